"""Load: a real ``chainrule serve`` under 200 clients with varied inputs, and under a flood of heavy training.

``chainrule serve`` runs in its own process on a free port of 127.0.0.1 (the
loopback address only), exactly as a learner starts it. The clients are
kept cheap, so that on a 2-core machine they leave the CPU to the server
they measure: each is one keep-alive HTTP/1.1 connection written by hand on
asyncio streams (request line, ``Host``, ``Content-Length``, body; the
answer read to its ``Content-Length``), all in one asyncio loop; httpx would
spend about as much CPU per request as the server does. The scenarios run one
after the other, each for ``SECONDS`` seconds:

1. **The simplest network, varied inputs.** 200 clients, each with its own
   connection, send
   ``POST /api/simplest`` back to back, every body different (input, target,
   weight, learning rate and steps drawn from a seeded generator, so no two
   requests are alike and no answer can come from a cache of bodies).
   Reported: requests, errors (any answer but 200 or a 503 with
   ``Retry-After``, or none within 10 s), refusals (503 with ``Retry-After``,
   which the client then waits, as the page does), p50 / p99 / max latency
   of the answers, throughput, and the server's peak memory.
   Target: 0 errors and p99 under 1 s. For comparison the same load is run
   with one body repeated (the lesson's caches then hold the answer's
   derivation): the difference is the cost of each new input.

   Then the same varied load from two standard clients, side by side with
   the bench's own: **wrk** (``bench/wrk_simplest.lua`` draws every body
   afresh; one thread, in C, so it leaves the server the CPU) and **httpx**
   (what a Python user would write: one ``AsyncClient`` per client, each
   connected before the clock starts, honouring ``Retry-After``). Reported
   for each: errors (timeouts, broken connections, any status but 200 and
   503), refusals (503 with ``Retry-After``), p50 / p99 / max and p99 / p50.
   Target, with every client: 0 errors, p99 under 1 s and at most 3 × p50.
   Needs ``wrk`` (Debian, Ubuntu: ``apt-get install wrk``).

1b. **Bodies that would amplify.** 8 clients send a 0.7 MB JSON body of
   60,000 unknown keys to ``/api/simplest`` back to back, while one client
   asks ``GET /api/limits`` every 0.05 s (and, before, alone for comparison).
   Reported: the refusals (422) and their size, errors, and the latency of
   ``/api/limits``. Target: a 422 of at most 4 KB and ``/api/limits`` p99
   under 100 ms beside them.
2. **Heavy training beside light requests.** 48 clients send the largest
   playground request the work budget allows (6 × 32 hidden layers, 2,000
   points, batches of 2,000, an 80 × 80 grid, 45 steps), back to back; a
   refused one (503) waits its ``Retry-After``, as the page does. Meanwhile
   one client asks ``GET /api/limits`` every 0.1 s. Reported: training
   answers (200), refusals (503), errors (anything else), and the latency of
   ``/api/limits``. Target: 0 errors and ``/api/limits`` p99 under 0.5 s
   (the issue measured 140.6 s before the pools).

3. **Half-sent request heads (slowloris).** 520 sockets each send a request
   line and never finish the head. Reported: requests answered meanwhile
   (``GET /api/limits``, one every 0.1 s; their worst latency, and any not
   answered) and how long until the server had closed all 520 (its header
   deadline is 5 s).
4. **Stopping under load.** With the 48 heavy clients of scenario 2 running
   again, SIGTERM: how long until the process has exited, and its exit
   status.

Memory: the peak resident size (VmHWM) of the server process and of its
worker processes (the training pool).

Bounded: each scenario stops after ``SECONDS`` (default 15; env
``CHAINRULE_LOAD_SECONDS``), each client after at most 100,000 requests;
the server is stopped at the end whatever happens.

Prints one Markdown section on stdout (``bench/run.py`` collects it).
Timings never go in tests; this is not a test.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from live_server import HOST, free_port, start_server, stop_server

CLIENTS = 200
HEAVY_CLIENTS = 48
SECONDS = float(os.environ.get("CHAINRULE_LOAD_SECONDS", "15"))
MAX_REQUESTS_PER_CLIENT = 100_000
SIMPLEST_P99_TARGET = 1.0
LIMITS_P99_TARGET = 0.5
HEAVY = {"dataset": "spiral", "layers": [32] * 6, "n_points": 2000, "batch_size": 2000, "grid": 80, "steps": 45}
ONE_BODY = {"input": 1.5, "target": 0.8, "weight": 0.8, "learning_rate": 0.1, "steps": 1}
TIMEOUT = 10.0  # seconds for one answer; past it the request counts as an error
TAIL_RATIO_TARGET = 3.0  # p99 at most this many times p50
WRK_SCRIPT = Path(__file__).with_name("wrk_simplest.lua")
AMPLIFY_CLIENTS = 8
AMPLIFY_KEYS = 60_000
PROBE_EVERY = 0.05
LIMITS_BESIDE_AMPLIFY_TARGET = 0.1
SMALL_REFUSAL_BYTES = 4096


class Connection:
    """One keep-alive HTTP/1.1 connection to the server: ``request`` sends one request and reads its answer."""

    def __init__(self, port: int):
        self.port = port
        self.streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def request(self, method: str, path: str, body: dict | None = None,
                      raw: bytes | None = None) -> tuple[int, dict[str, str], bytes]:
        """One request: ``body`` sent as JSON, or ``raw`` bytes sent as they are (as JSON)."""
        data = raw if raw is not None else json.dumps(body).encode() if body is not None else b""
        head = f"{method} {path} HTTP/1.1\r\nHost: {HOST}:{self.port}\r\n"
        if body is not None or raw is not None:
            head += f"Content-Type: application/json\r\nContent-Length: {len(data)}\r\n"
        message = head.encode() + b"\r\n" + data
        reused = self.streams is not None
        try:
            return await self._exchange(message)
        except (asyncio.IncompleteReadError, ConnectionResetError) as exc:
            # The server closes a keep-alive connection idle for 5 s; like any HTTP client, send again on a new one
            # when a reused connection turns out closed before a byte of the answer came.
            if not reused or (isinstance(exc, asyncio.IncompleteReadError) and exc.partial):
                raise
            return await self._exchange(message)

    async def _exchange(self, message: bytes) -> tuple[int, dict[str, str], bytes]:
        if self.streams is None:
            self.streams = await asyncio.open_connection(HOST, self.port)
        reader, writer = self.streams
        writer.write(message)
        try:
            raw = await reader.readuntil(b"\r\n\r\n")
            lines = raw.decode("latin-1").split("\r\n")
            status = int(lines[0].split(" ", 2)[1])
            headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)}
            content = await reader.readexactly(int(headers.get("content-length", "0")))
        except BaseException:
            self.close()  # half an answer: this connection is spent
            raise
        if headers.get("connection", "").lower() == "close":
            self.close()
        return status, headers, content

    def close(self) -> None:
        if self.streams is not None:
            self.streams[1].close()
            self.streams = None


def children(pid: int) -> list[int]:
    """The processes started by ``pid`` (the training workers and multiprocessing's helper)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry))
    return found


def peak_rss_mib(pid: int) -> float:
    """VmHWM: the most resident memory the process has used, in MiB (0 if it is gone)."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def varied_bodies(seed: int):
    """An endless stream of distinct simplest-network requests."""
    rng = random.Random(seed)
    while True:
        yield {
            "input": round(rng.choice([-1, 1]) * rng.uniform(0.2, 3.0), 4),
            "target": round(rng.uniform(-2.0, 2.0), 4),
            "weight": round(rng.uniform(-2.0, 2.0), 4),
            "learning_rate": round(rng.uniform(0.01, 0.4), 4),
            "steps": rng.randint(0, 20),
        }


def percentile(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))] if xs else float("nan")


def count(errors: dict[str, int], kind: str) -> None:
    errors[kind] = errors.get(kind, 0) + 1


# ------------------------------------------------------------ scenario 1
async def simplest_client(port: int, bodies, stop_at: float, latencies: list[float], errors: dict[str, int]) -> None:
    """Requests back to back; a 503 with Retry-After is a refusal (counted under "503") that waits its Retry-After."""
    connection = Connection(port)
    for _ in range(MAX_REQUESTS_PER_CLIENT):
        if time.monotonic() >= stop_at:
            break
        body = next(bodies)
        start = time.perf_counter()
        retry = None
        try:
            status, headers, _ = await asyncio.wait_for(connection.request("POST", "/api/simplest", body), TIMEOUT)
            kind = None if status == 200 else f"HTTP {status}"
            if status == 503 and headers.get("retry-after", "").isdigit():
                kind, retry = "503", float(headers["retry-after"])
        except (OSError, asyncio.IncompleteReadError, asyncio.TimeoutError) as exc:
            kind = type(exc).__name__
        if kind is None:
            latencies.append(time.perf_counter() - start)
        else:
            count(errors, kind)
        if retry is not None:
            await asyncio.sleep(min(retry, max(0.0, stop_at - time.monotonic())))
    connection.close()


async def simplest_load(port: int, bodies) -> tuple[list[float], dict[str, int], float, int]:
    """``CLIENTS`` clients for ``SECONDS``: the latencies of the answers (200), the errors by kind, the seconds it
    took, and the refusals (503 with Retry-After)."""
    latencies: list[float] = []
    errors: dict[str, int] = {}
    start = time.monotonic()
    await asyncio.gather(*(simplest_client(port, bodies, start + SECONDS, latencies, errors) for _ in range(CLIENTS)))
    return latencies, errors, time.monotonic() - start, errors.pop("503", 0)


# ------------------------------------------------------------ scenario 1, standard clients
def wrk_load(port: int) -> dict | None:
    """The varied load from wrk (``WRK_SCRIPT``): its summary line as a dict, or None if wrk is not installed."""
    wrk = shutil.which("wrk")
    if wrk is None:
        return None
    seconds = max(1, round(SECONDS))
    out = subprocess.run(
        [wrk, "-t", "1", "-c", str(CLIENTS), "-d", f"{seconds}s", "--timeout", f"{TIMEOUT:g}s", "-s", str(WRK_SCRIPT),
         f"http://{HOST}:{port}/api/simplest"],
        capture_output=True, text=True, timeout=seconds + 60)
    lines = [line for line in out.stdout.splitlines() if line.startswith("WRK ")]
    if out.returncode != 0 or not lines:
        raise RuntimeError(f"wrk failed (exit status {out.returncode}): {out.stderr.strip() or out.stdout.strip()}")
    found = json.loads(lines[-1][4:])
    statuses = {int(k): v for k, v in found["statuses"].items()}
    refused = statuses.get(503, 0)
    return {
        "requests": found["requests"],
        "errors": {**{k: found[k] for k in ("connect", "read", "write", "timeout") if found[k]},
                   **{f"HTTP {k}": v for k, v in statuses.items() if k not in (200, 503)},
                   **({"503 without Retry-After": refused - found["retry_after"]} if refused > found["retry_after"] else {})},
        "refused": found["retry_after"],
        "p50": found["p50_us"] / 1e6, "p99": found["p99_us"] / 1e6, "max": found["max_us"] / 1e6,
        "throughput": statuses.get(200, 0) / (found["duration_us"] / 1e6),
    }


async def httpx_load(port: int, bodies) -> dict:
    """The varied load from httpx: ``CLIENTS`` AsyncClients, each with its own connection, opened before the clock
    starts (creating 200 clients costs the client seconds of CPU, which must not count as the server's latency);
    a 503 waits its Retry-After, as the page does."""
    latencies: list[float] = []
    errors: dict[str, int] = {}
    refused = 0
    clients = [httpx.AsyncClient(base_url=f"http://{HOST}:{port}", timeout=TIMEOUT,
                                 limits=httpx.Limits(max_connections=1, max_keepalive_connections=1))
               for _ in range(CLIENTS)]
    try:
        await asyncio.gather(*(http.get("/api/limits") for http in clients))
        start = time.monotonic()
        stop_at = start + SECONDS

        async def client(http: httpx.AsyncClient) -> None:
            nonlocal refused
            for _ in range(MAX_REQUESTS_PER_CLIENT):
                if time.monotonic() >= stop_at:
                    return
                began = time.perf_counter()
                try:
                    r = await asyncio.wait_for(http.post("/api/simplest", json=next(bodies)), TIMEOUT)
                except (httpx.HTTPError, asyncio.TimeoutError) as exc:
                    count(errors, type(exc).__name__)
                    continue
                if r.status_code == 200:
                    latencies.append(time.perf_counter() - began)
                elif r.status_code == 503 and r.headers.get("retry-after", "").isdigit():
                    refused += 1
                    await asyncio.sleep(min(float(r.headers["retry-after"]), max(0.0, stop_at - time.monotonic())))
                else:
                    count(errors, f"HTTP {r.status_code}")

        await asyncio.gather(*(client(http) for http in clients))
        elapsed = time.monotonic() - start
    finally:
        await asyncio.gather(*(http.aclose() for http in clients), return_exceptions=True)
    return {"requests": len(latencies) + refused + sum(errors.values()), "errors": errors, "refused": refused,
            "p50": percentile(latencies, 0.5), "p99": percentile(latencies, 0.99),
            "max": max(latencies, default=float("nan")), "throughput": len(latencies) / elapsed}


# ------------------------------------------------------------ scenario 1b
def many_keys_body(keys: int = AMPLIFY_KEYS) -> bytes:
    """A JSON object of ``keys`` unknown keys, about 0.7 MB: what made validation amplify (issue 21)."""
    return ("{" + ",".join(f'"k{n:05d}":0' for n in range(keys)) + "}").encode()


async def amplify_client(port: int, body: bytes, stop_at: float, outcome: dict[str, int], sizes: list[int]) -> None:
    connection = Connection(port)
    for _ in range(MAX_REQUESTS_PER_CLIENT):
        if time.monotonic() >= stop_at:
            break
        try:
            status, _, content = await asyncio.wait_for(connection.request("POST", "/api/simplest", raw=body), TIMEOUT)
        except (OSError, asyncio.IncompleteReadError, asyncio.TimeoutError) as exc:
            count(outcome, type(exc).__name__)
            continue
        count(outcome, str(status))
        sizes.append(len(content))
    connection.close()


async def amplify_load(port: int) -> tuple[list[float], dict[str, int], list[float], dict[str, int], dict[str, int], list[int], float]:
    """``/api/limits`` probed alone for a third of ``SECONDS``, then beside ``AMPLIFY_CLIENTS`` clients sending
    ``many_keys_body()`` for ``SECONDS``."""
    alone: list[float] = []
    alone_errors: dict[str, int] = {}
    await prober(port, time.monotonic() + SECONDS / 3, alone, alone_errors, every=PROBE_EVERY)
    body = many_keys_body()
    beside: list[float] = []
    beside_errors: dict[str, int] = {}
    outcome: dict[str, int] = {}
    sizes: list[int] = []
    start = time.monotonic()
    stop_at = start + SECONDS
    await asyncio.gather(prober(port, stop_at, beside, beside_errors, every=PROBE_EVERY),
                         *(amplify_client(port, body, stop_at, outcome, sizes) for _ in range(AMPLIFY_CLIENTS)))
    return alone, alone_errors, beside, beside_errors, outcome, sizes, time.monotonic() - start


# ------------------------------------------------------------ scenario 2
async def heavy_client(port: int, stop_at: float, outcome: dict[str, int]) -> None:
    connection = Connection(port)
    for _ in range(MAX_REQUESTS_PER_CLIENT):
        if time.monotonic() >= stop_at:
            break
        try:
            status, headers, _ = await asyncio.wait_for(connection.request("POST", "/api/playground", HEAVY), 3 * TIMEOUT)
        except (OSError, asyncio.IncompleteReadError, asyncio.TimeoutError) as exc:
            count(outcome, type(exc).__name__)
            continue
        if status == 200:
            count(outcome, "200")
        elif status == 503 and headers.get("retry-after", "").isdigit():
            count(outcome, "503")
            await asyncio.sleep(min(float(headers["retry-after"]), max(0.0, stop_at - time.monotonic())))
        else:
            count(outcome, f"HTTP {status}")
    connection.close()


async def prober(port: int, stop_at: float, latencies: list[float], errors: dict[str, int], every: float = 0.1) -> None:
    connection = Connection(port)
    while time.monotonic() < stop_at:
        start = time.perf_counter()
        try:
            status, _, _ = await asyncio.wait_for(connection.request("GET", "/api/limits"), 3 * TIMEOUT)
            if status == 200:
                latencies.append(time.perf_counter() - start)
            else:
                count(errors, f"HTTP {status}")
        except (OSError, asyncio.IncompleteReadError, asyncio.TimeoutError) as exc:
            count(errors, type(exc).__name__)
        await asyncio.sleep(every)
    connection.close()


async def heavy_load(port: int) -> tuple[dict[str, int], list[float], dict[str, int]]:
    outcome: dict[str, int] = {}
    latencies: list[float] = []
    errors: dict[str, int] = {}
    stop_at = time.monotonic() + SECONDS
    await asyncio.gather(prober(port, stop_at, latencies, errors),
                         *(heavy_client(port, stop_at, outcome) for _ in range(HEAVY_CLIENTS)))
    return outcome, latencies, errors


# ------------------------------------------------------------ scenario 4
async def stop_under_load(port: int, proc: subprocess.Popen) -> tuple[float, int | None]:
    """SIGTERM while heavy clients run: seconds until the server process has exited, and its exit status."""
    stop_at = time.monotonic() + 60
    outcome: dict[str, int] = {}
    clients = [asyncio.create_task(heavy_client(port, stop_at, outcome)) for _ in range(HEAVY_CLIENTS)]
    while outcome.get("200", 0) < 4 and time.monotonic() < stop_at:
        await asyncio.sleep(0.1)
    start = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    while proc.poll() is None and time.monotonic() - start < 30:
        await asyncio.sleep(0.02)
    seconds = time.monotonic() - start
    for task in clients:
        task.cancel()
    await asyncio.gather(*clients, return_exceptions=True)
    return seconds, proc.poll()


# ------------------------------------------------------------ scenario 3
async def slowloris(port: int, sockets: int = 520) -> tuple[float, list[float], dict[str, int], int]:
    """Open ``sockets`` connections that send only a request line; probe meanwhile; time until all are closed."""
    start = time.monotonic()
    hanging = []
    for _ in range(sockets):
        reader, writer = await asyncio.open_connection(HOST, port)
        writer.write(b"GET / HTTP/1.1\r\n")
        hanging.append((reader, writer))
    latencies: list[float] = []
    errors: dict[str, int] = {}

    async def closed(reader: asyncio.StreamReader) -> float | None:
        try:
            data = await asyncio.wait_for(reader.read(1), 30)
        except (OSError, asyncio.TimeoutError):
            data = b""
        return time.monotonic() - start if data == b"" else None

    waits = [asyncio.create_task(closed(r)) for r, _ in hanging]
    probing = asyncio.create_task(prober(port, start + 7, latencies, errors))
    times = await asyncio.gather(*waits)
    await probing
    for _, writer in hanging:
        writer.close()
    still_open = sum(t is None for t in times)
    return max((t for t in times if t is not None), default=float("nan")), latencies, errors, still_open


def main() -> int:
    port = free_port()
    proc = start_server(port)
    base = f"http://{HOST}:{port}"
    try:
        warm = varied_bodies(1)
        for _ in range(20):  # warm-up: imports, first allocations (and the training workers starting)
            httpx.post(base + "/api/simplest", json=next(warm), timeout=10).raise_for_status()
        httpx.post(base + "/api/playground", json=HEAVY, timeout=60).raise_for_status()
        too_much = httpx.post(base + "/api/playground", json={**HEAVY, "steps": 200}, timeout=10)
        before = peak_rss_mib(proc.pid)
        load_before = os.getloadavg()
        latencies, errors, elapsed, refused_own = asyncio.run(simplest_load(port, varied_bodies(0)))
        after_simplest = peak_rss_mib(proc.pid)
        floor = asyncio.run(simplest_load(port, itertools.repeat(ONE_BODY)))
        by_wrk = wrk_load(port)
        by_httpx = asyncio.run(httpx_load(port, varied_bodies(2)))
        load_after = os.getloadavg()
        amplify = asyncio.run(amplify_load(port))
        after_amplify = peak_rss_mib(proc.pid)
        outcome, probe, probe_errors = asyncio.run(heavy_load(port))
        server_peak = peak_rss_mib(proc.pid)
        workers = children(proc.pid)
        workers_peak = sum(peak_rss_mib(pid) for pid in workers)
        all_closed, loris_probe, loris_errors, still_open = asyncio.run(slowloris(port))
        alive = proc.poll() is None
        stop_seconds, stop_status = asyncio.run(stop_under_load(port, proc))
    finally:
        stop_server(proc)
    ms = lambda s: f"{1000 * s:,.0f} ms"  # noqa: E731
    n_err = sum(errors.values())
    total = len(latencies) + n_err + refused_own
    p99 = percentile(latencies, 0.99)
    print("## Load: the explorer under 200 clients with varied inputs (its own, wrk and httpx), beside bodies that "
          "would amplify, and beside heavy training\n")
    print(f"`chainrule serve` on {HOST} (its own settings). {CLIENTS} clients, each with its own keep-alive connection, "
          f"send `POST /api/simplest` back to back for {SECONDS:g} s, **every body different** (input, target, "
          "weight, learning rate and steps from a seeded generator). The lesson pool admits a request only while "
          "the queue ahead of it holds at most about half a second of work (`LESSONS_MAX_WAIT`, "
          "`web/server.py`); beyond that it answers 503 with "
          "`Retry-After` at once, which the clients wait, as the page does. Percentiles are of the answers (200).\n")
    print("| bodies | requests | errors | refused (503 + Retry-After) | p50 | p99 | max | throughput | server peak RSS |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    print(f"| every one different | {total:,} | {n_err} | {refused_own:,} | {ms(percentile(latencies, 0.5))} | "
          f"{ms(p99)} | {ms(max(latencies)) if latencies else 'n/a'} | {len(latencies) / elapsed:,.0f} req/s | "
          f"{after_simplest:.0f} MiB (after start-up {before:.0f} MiB) |")
    f_lat, f_err, f_elapsed, f_refused = floor
    print(f"| one body, repeated (for comparison: no derivation to do) | "
          f"{len(f_lat) + sum(f_err.values()) + f_refused:,} | {sum(f_err.values())} | {f_refused:,} | "
          f"{ms(percentile(f_lat, 0.5))} | {ms(percentile(f_lat, 0.99))} | "
          f"{ms(max(f_lat)) if f_lat else 'n/a'} | {len(f_lat) / f_elapsed:,.0f} req/s | |")
    print()
    if errors:
        print("Errors by kind: " + ", ".join(f"{k}: {v}" for k, v in sorted(errors.items())) + ".\n")
    simplest_ok = n_err == 0 and p99 < SIMPLEST_P99_TARGET
    print(f"Target: 0 errors and p99 under {SIMPLEST_P99_TARGET:g} s: **{'met' if simplest_ok else 'NOT met'}**.\n")

    # the same varied load from two standard clients
    cores = os.cpu_count()
    print(f"The same varied load ({CLIENTS} connections, {SECONDS:g} s each, one client after the other) from two "
          "standard clients beside the bench's own: **wrk** (one thread, in C: it leaves the server the CPU; "
          "`bench/wrk_simplest.lua` draws every body afresh and waits a refusal's `Retry-After`; wrk's percentiles "
          "count every answer, refusals included) and **httpx** (one `AsyncClient` per connection, "
          "each connected before the clock starts, honouring `Retry-After`; in the bench's process, so it shares "
          f"the {cores} cores with the server). Load average of the machine (1 min) before and after these runs: "
          f"{load_before[0]:.1f} and {load_after[0]:.1f}: other work may have been running.\n")
    print("| client | requests | errors | refused (503 + Retry-After) | p50 | p99 | max | p99 / p50 | throughput |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    own = {"requests": total, "errors": errors, "refused": refused_own, "p50": percentile(latencies, 0.5), "p99": p99,
           "max": max(latencies, default=float("nan")), "throughput": len(latencies) / elapsed}
    tails_ok = True
    rows = [("the bench's own (asyncio streams)", own), ("wrk 4 (`bench/wrk_simplest.lua`)", by_wrk),
            ("httpx (`AsyncClient` per connection)", by_httpx)]
    for name, r in rows:
        if r is None:
            print(f"| {name} | not run: wrk is not installed (Debian, Ubuntu: `apt-get install wrk`) | | | | | | | |")
            tails_ok = False
            continue
        ratio = r["p99"] / r["p50"] if r["p50"] > 0 else float("nan")
        tails_ok &= (not r["errors"] and r["p99"] < SIMPLEST_P99_TARGET and ratio <= TAIL_RATIO_TARGET)
        print(f"| {name} | {r['requests']:,} | {sum(r['errors'].values())} | {r['refused']:,} | {ms(r['p50'])} | "
              f"{ms(r['p99'])} | {ms(r['max'])} | {ratio:.2f}× | {r['throughput']:,.0f} req/s |")
    print()
    for name, r in rows:
        if r is not None and r["errors"]:
            print(f"Errors of {name.split(' (')[0]} by kind: "
                  + ", ".join(f"{k}: {v}" for k, v in sorted(r["errors"].items())) + ".\n")
    print(f"Target, with every client: 0 errors, p99 under {SIMPLEST_P99_TARGET:g} s and at most "
          f"{TAIL_RATIO_TARGET:g} × p50: **{'met' if tails_ok else 'NOT met'}**.\n")

    # bodies that would amplify
    alone, alone_errors, beside, beside_errors, amp_outcome, sizes, amp_elapsed = amplify
    refusals = amp_outcome.get("422", 0)
    amp_errors = sum(v for k, v in amp_outcome.items() if k != "422") + sum(alone_errors.values()) \
        + sum(beside_errors.values())
    body_kb = len(many_keys_body()) / 1000
    print(f"Then {AMPLIFY_CLIENTS} clients send a {body_kb:,.0f} KB JSON body of {AMPLIFY_KEYS:,} unknown keys to "
          f"`/api/simplest` back to back for {SECONDS:g} s, while one client asks `GET /api/limits` every "
          f"{PROBE_EVERY:g} s (and before them, alone, for {SECONDS / 3:g} s). Each such body is refused from its raw "
          "bytes (more strings than the request's schema has keys) before it is parsed.\n")
    print("| `/api/limits` | answered | p50 | p99 | max | p99 / p99 alone |")
    print("|---|---:|---:|---:|---:|---:|")
    a99, b99 = percentile(alone, 0.99), percentile(beside, 0.99)
    print(f"| alone | {len(alone):,} | {ms(percentile(alone, 0.5))} | {ms(a99)} | {ms(max(alone, default=float('nan')))} "
          "| 1.00× |")
    print(f"| beside {AMPLIFY_CLIENTS} clients sending {AMPLIFY_KEYS:,}-key bodies | {len(beside):,} | "
          f"{ms(percentile(beside, 0.5))} | {ms(b99)} | {ms(max(beside, default=float('nan')))} | "
          f"{b99 / a99 if a99 > 0 else float('nan'):.2f}× |")
    print()
    largest = max(sizes, default=0)
    print(f"The {AMPLIFY_KEYS:,}-key bodies: {refusals:,} refused with 422 ({refusals / amp_elapsed:,.0f} a second), "
          f"each answer at most {largest:,} bytes; {amp_errors} errors; server peak RSS {after_amplify:.0f} MiB.\n")
    if amp_errors:
        kinds = {k: v for k, v in amp_outcome.items() if k != "422"} | alone_errors | beside_errors
        print("Errors by kind: " + ", ".join(f"{k}: {v}" for k, v in sorted(kinds.items())) + ".\n")
    amplify_ok = amp_errors == 0 and refusals > 0 and largest <= SMALL_REFUSAL_BYTES \
        and b99 < LIMITS_BESIDE_AMPLIFY_TARGET
    print(f"Target: every such body refused with a 422 of at most {SMALL_REFUSAL_BYTES // 1024} KB, and `/api/limits` "
          f"p99 under {1000 * LIMITS_BESIDE_AMPLIFY_TARGET:g} ms beside them: **{'met' if amplify_ok else 'NOT met'}**.\n")

    done, refused = outcome.get("200", 0), outcome.get("503", 0)
    heavy_errors = sum(v for k, v in outcome.items() if k not in ("200", "503")) + sum(probe_errors.values())
    lp99 = percentile(probe, 0.99)
    print(f"Then {HEAVY_CLIENTS} clients send the largest playground request the work budget allows "
          f"(`{HEAVY}`) back to back for {SECONDS:g} s, waiting `Retry-After` when refused, while one client "
          f"asks `GET /api/limits` every 0.1 s. (The issue's request, 200 steps of that network, is refused at "
          f"once: HTTP {too_much.status_code}, \"{too_much.json().get('error', '')[:80]}…\".)\n")
    print("| training answered | refused (503 + Retry-After) | errors | `/api/limits` p50 | p99 | max | "
          "server peak RSS | workers' peak RSS |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    print(f"| {done:,} | {refused:,} | {heavy_errors} | {ms(percentile(probe, 0.5))} | {ms(lp99)} | "
          f"{ms(max(probe)) if probe else 'n/a'} | {server_peak:.0f} MiB | {workers_peak:.0f} MiB "
          f"({len(workers)} processes) |")
    print()
    if heavy_errors:
        kinds = {k: v for k, v in outcome.items() if k not in ("200", "503")} | probe_errors
        print("Errors by kind: " + ", ".join(f"{k}: {v}" for k, v in sorted(kinds.items())) + ".\n")
    heavy_ok = heavy_errors == 0 and lp99 < LIMITS_P99_TARGET and alive
    print(f"Target: 0 errors and `/api/limits` p99 under {LIMITS_P99_TARGET:g} s beside the flood: "
          f"**{'met' if heavy_ok else 'NOT met'}**; the server was {'still running' if alive else 'NOT running'} "
          "at the end.\n")
    print("Then 520 sockets each send a request line and never finish the head (slowloris), while one client asks "
          "`GET /api/limits` every 0.1 s; and at the end, with the 48 heavy clients running again, SIGTERM.\n")
    print("| `/api/limits` answered during the attack | not answered | worst latency | all 520 closed by the server "
          "after | still open after 30 s | SIGTERM under load: exited after | exit status |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    print(f"| {len(loris_probe)} | {sum(loris_errors.values())} | {ms(max(loris_probe)) if loris_probe else 'n/a'} | "
          f"{all_closed:.1f} s | {still_open} | {stop_seconds:.1f} s | {stop_status} |")
    print()
    loris_ok = not loris_errors and still_open == 0
    stop_ok = stop_status == 0 and stop_seconds < 10
    print(f"Target: every request answered during the attack and every half-sent head dropped: "
          f"**{'met' if loris_ok else 'NOT met'}**; stopped within 10 s of SIGTERM under load: "
          f"**{'met' if stop_ok else 'NOT met'}**.\n")
    standard_errors = sum(sum(r["errors"].values()) for r in (by_wrk, by_httpx) if r is not None)
    return 0 if (n_err == 0 and heavy_errors == 0 and alive and loris_ok and stop_ok and by_wrk is not None
                 and standard_errors == 0 and amp_errors == 0) else 1


if __name__ == "__main__":
    sys.exit(main())
