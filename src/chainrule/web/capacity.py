"""How much computing the explorer does at once: bounded pools with a bounded queue.

The server's event loop only reads requests, checks them and writes answers;
the computing runs in a pool, and each kind of computing has its own pool
(a ``Capacity``):

* at most ``workers`` of its requests compute at the same time (an anyio
  ``CapacityLimiter``: first come, first served);
* at most ``waiting`` more wait for a turn, and, with ``max_wait``, only as
  long as the queue ahead should take at most that many seconds at the
  pool's recent pace (the mean time a request computes, ``expected_wait``):
  the queue is as long as the machine is fast, so a slow or busy machine
  refuses sooner instead of answering late;
* beyond that a request is refused at once with HTTP 503 and ``Retry-After``
  (how long the queue ahead of it should take at the pool's recent pace), so
  a flood of heavy requests costs the server no more than reading them, and
  a request admitted is answered within about ``max_wait`` plus its own
  time, never left to its client's timeout.

A pool computes in threads of this process, or, with ``processes=True``, in
worker processes of its own. Training (numpy, many small array operations)
runs in processes: in a thread it would wait for Python's GIL after every
array operation whenever the event loop is busy, and crawl exactly when the
server is under load. The lesson networks are pure Python with caches that
are worth sharing, so they run in threads.

The answer is encoded to JSON where it was computed, so a large answer (the
playground's grid and points) never holds up the event loop.

Requests that compute nothing (``/api/limits``, the pages, the static files)
are answered on the event loop itself and never wait behind a pool.

Stopping: ``close()`` (on SIGTERM or Ctrl+C) refuses every request still
waiting, and every new one, with 503; the ones computing finish (each is
bounded by its request model). ``shutdown()`` then stops the worker
processes.
"""

from __future__ import annotations

import asyncio
import json
import math
import multiprocessing
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Callable

import anyio
import anyio.to_thread
from fastapi.responses import Response


class Busy(Exception):
    """The pool cannot take the request: answer 503 with ``Retry-After: retry_after`` seconds."""

    def __init__(self, message: str, retry_after: int):
        self.retry_after = retry_after
        super().__init__(message)


def encoded(compute: Callable[[Any], Any], request: Any) -> bytes:
    """``compute(request)`` as JSON bytes (what ``JSONResponse`` would send); module-level, so a process can run it."""
    return json.dumps(compute(request), ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode("utf-8")


def _warm() -> None:
    """Import what training needs, so that a worker process is ready before the first request."""
    from . import playground  # noqa: F401


def _one_blas_thread() -> None:
    """A worker process computes with one BLAS thread: the pool's workers are the parallelism.

    OpenBLAS would otherwise start a thread per core in every worker, and threads that spin waiting
    for each other on oversubscribed cores made a training request 5 to 80 times slower on the
    2-core dev machine under load.

    threadpoolctl limits only the BLAS libraries already loaded, so numpy is imported first: a fresh
    worker (spawned) has not loaded it yet, and since ``import chainrule.web`` no longer imports the server
    (and numpy with it), a limit set before numpy loaded limited nothing and two workers ran two OpenBLAS
    threads each on 2 cores (48 heavy clients: 0 answers in 15 s instead of 34).
    """
    import numpy  # noqa: F401  (loads OpenBLAS, so that the limit below reaches it)
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1)


class Capacity:
    """A pool of ``workers`` for one kind of request, with room for ``waiting`` more in its queue, and with
    ``max_wait`` for no more than that many seconds of queue ahead (None: the count alone bounds it).

    ``seconds``: what one request is expected to take before the pool has timed any (a running mean follows).
    """

    def __init__(self, name: str, workers: int, waiting: int, processes: bool = False,
                 max_wait: float | None = None, seconds: float = 0.05):
        if workers < 1 or waiting < 0:
            raise ValueError(f"a pool needs at least 1 worker and a queue of at least 0 (got {workers}, {waiting})")
        if max_wait is not None and max_wait <= 0:
            raise ValueError(f"max_wait must be a positive number of seconds (got {max_wait})")
        self.name = name
        self.workers = workers
        self.waiting = waiting
        self.processes = processes
        self.max_wait = max_wait
        self.admitted = 0  # computing or waiting; only touched on the event loop, so no lock is needed
        self.refused = 0
        self.closing = False
        self._mean_seconds = seconds  # a running mean of the durations, for Retry-After and max_wait
        self._limiter: anyio.CapacityLimiter | None = None
        self._queue: set[anyio.CancelScope] = set()
        self._pool: ProcessPoolExecutor | None = None

    @property
    def limit(self) -> int:
        """How many requests may be admitted at once: computing plus waiting."""
        return self.workers + self.waiting

    def expected_wait(self) -> float:
        """Seconds a request admitted now should wait for a worker: the rounds of the queue ahead at the recent pace."""
        return (self.admitted // self.workers) * self._mean_seconds

    def retry_after(self) -> int:
        """Seconds until the queue ahead has drained, at the recent pace (at least 1)."""
        rounds = math.ceil((self.admitted + 1) / self.workers)
        return max(1, math.ceil(rounds * self._mean_seconds))

    def _full(self) -> str | None:
        """Why the queue takes no one more now (None: it does)."""
        if self.admitted >= self.limit:
            return f"{self.limit} {self.name} requests are already computing or waiting"
        if self.max_wait is not None and self.expected_wait() > self.max_wait:
            return (f"the {self.admitted} {self.name} requests computing or waiting would keep a new one waiting "
                    f"about {self.expected_wait():.1f} s, more than the {self.max_wait:g} s allowed")
        return None

    def start(self) -> None:
        """Start the worker processes now rather than on the first request (``chainrule serve`` does)."""
        if self.processes:
            pool = self._processes()
            for _ in range(self.workers):
                pool.submit(_warm)

    async def run(self, compute: Callable[[Any], Any], request: Any) -> Response:
        """``compute(request)`` in the pool, answered as JSON; ``Busy`` if the queue is full or the server is stopping."""
        if self.closing:
            raise Busy("the server is stopping; start it again with chainrule serve", 5)
        full = self._full()
        if full is not None:
            self.refused += 1
            raise Busy(f"the server is busy: {full}; try again in {self.retry_after()} s", self.retry_after())
        if self._limiter is None:  # created inside the running loop, as anyio wants
            self._limiter = anyio.CapacityLimiter(self.workers)
        self.admitted += 1
        try:
            with anyio.CancelScope() as turn:  # close() cancels the wait of everyone still in the queue
                self._queue.add(turn)
                try:
                    await self._limiter.acquire()
                finally:
                    self._queue.discard(turn)
            if turn.cancelled_caught:
                raise Busy("the server is stopping; start it again with chainrule serve", 5)
            try:
                start = time.perf_counter()
                with anyio.CancelScope(shield=True):  # a started computation is seen through: the slot stays taken
                    body = await self._compute(compute, request)
                self._mean_seconds = 0.9 * self._mean_seconds + 0.1 * (time.perf_counter() - start)
            finally:
                self._limiter.release()
        finally:
            self.admitted -= 1
        return Response(body, media_type="application/json")

    async def _compute(self, compute: Callable[[Any], Any], request: Any) -> bytes:
        if not self.processes:
            return await anyio.to_thread.run_sync(encoded, compute, request)
        pool = self._processes()
        try:
            return await asyncio.get_running_loop().run_in_executor(pool, encoded, compute, request)
        except BrokenProcessPool:  # a worker died (killed from outside, out of memory): start afresh next time
            if self._pool is pool:
                self._pool = None
            raise Busy(f"a {self.name} worker stopped unexpectedly; try again", 1) from None

    def _processes(self) -> ProcessPoolExecutor:
        if self._pool is None:
            # "spawn": a fresh interpreter, never a fork of this threaded server
            self._pool = ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("spawn"),
                                             initializer=_one_blas_thread)
        return self._pool

    def open(self) -> None:
        """Take requests (again): a new pool is open; ``close()`` stops that until the next ``open()``."""
        self.closing = False

    def close(self) -> None:
        """Refuse from now on, and answer 503 to every request still waiting for a turn."""
        self.closing = True
        for turn in list(self._queue):
            turn.cancel()

    def shutdown(self) -> None:
        """Stop the worker processes (each finishes the request it is computing; none is waiting any more)."""
        self.close()
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
