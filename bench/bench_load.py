"""Load: a real ``chainrule serve`` under 200 clients with varied inputs, and under a flood of heavy training.

``chainrule serve`` runs in its own process on a free port of 127.0.0.1 (the
loopback address only), exactly as a learner starts it. The clients are
kept cheap, so that on a 2-core machine they leave the CPU to the server
they measure: each is one keep-alive HTTP/1.1 connection written by hand on
asyncio streams (request line, ``Host``, ``Content-Length``, body; the
answer read to its ``Content-Length``), all in one asyncio loop; httpx would
spend about as much CPU per request as the server does. Two scenarios, one
after the other, each for ``SECONDS`` seconds:

1. **The simplest network, varied inputs.** 200 clients, each with its own
   connection, send
   ``POST /api/simplest`` back to back, every body different (input, target,
   weight, learning rate and steps drawn from a seeded generator, so no two
   requests are alike and no answer can come from a cache of bodies).
   Reported: requests, errors (any answer but 200, or none within 10 s),
   p50 / p99 / max latency, throughput, and the server's peak memory.
   Target: 0 errors and p99 under 1 s. For comparison the same load is run
   with one body repeated (the lesson's caches then hold the answer's
   derivation): the difference is the cost of each new input.
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
import signal
import subprocess
import sys
import time

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


class Connection:
    """One keep-alive HTTP/1.1 connection to the server: ``request`` sends one request and reads its answer."""

    def __init__(self, port: int):
        self.port = port
        self.streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def request(self, method: str, path: str, body: dict | None = None) -> tuple[int, dict[str, str], bytes]:
        data = json.dumps(body).encode() if body is not None else b""
        head = f"{method} {path} HTTP/1.1\r\nHost: {HOST}:{self.port}\r\n"
        if body is not None:
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
    connection = Connection(port)
    for _ in range(MAX_REQUESTS_PER_CLIENT):
        if time.monotonic() >= stop_at:
            break
        body = next(bodies)
        start = time.perf_counter()
        try:
            status, _, _ = await asyncio.wait_for(connection.request("POST", "/api/simplest", body), TIMEOUT)
            kind = None if status == 200 else f"HTTP {status}"
        except (OSError, asyncio.IncompleteReadError, asyncio.TimeoutError) as exc:
            kind = type(exc).__name__
        if kind is None:
            latencies.append(time.perf_counter() - start)
        else:
            count(errors, kind)
    connection.close()


async def simplest_load(port: int, bodies) -> tuple[list[float], dict[str, int], float]:
    latencies: list[float] = []
    errors: dict[str, int] = {}
    start = time.monotonic()
    await asyncio.gather(*(simplest_client(port, bodies, start + SECONDS, latencies, errors) for _ in range(CLIENTS)))
    return latencies, errors, time.monotonic() - start


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


async def prober(port: int, stop_at: float, latencies: list[float], errors: dict[str, int]) -> None:
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
        await asyncio.sleep(0.1)
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
        latencies, errors, elapsed = asyncio.run(simplest_load(port, varied_bodies(0)))
        after_simplest = peak_rss_mib(proc.pid)
        floor = asyncio.run(simplest_load(port, itertools.repeat(ONE_BODY)))
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
    total = len(latencies) + n_err
    p99 = percentile(latencies, 0.99)
    print("## Load: the explorer under 200 clients with varied inputs, and beside heavy training\n")
    print(f"`chainrule serve` on {HOST} (its own settings). {CLIENTS} clients, each with its own keep-alive connection, "
          f"send `POST /api/simplest` back to back for {SECONDS:g} s, **every body different** (input, target, "
          "weight, learning rate and steps from a seeded generator).\n")
    print("| bodies | requests | errors | p50 | p99 | max | throughput | server peak RSS |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    print(f"| every one different | {total:,} | {n_err} | {ms(percentile(latencies, 0.5))} | {ms(p99)} | "
          f"{ms(max(latencies)) if latencies else 'n/a'} | {len(latencies) / elapsed:,.0f} req/s | "
          f"{after_simplest:.0f} MiB (after start-up {before:.0f} MiB) |")
    f_lat, f_err, f_elapsed = floor
    print(f"| one body, repeated (for comparison: no derivation to do) | {len(f_lat) + sum(f_err.values()):,} | "
          f"{sum(f_err.values())} | {ms(percentile(f_lat, 0.5))} | {ms(percentile(f_lat, 0.99))} | "
          f"{ms(max(f_lat)) if f_lat else 'n/a'} | {len(f_lat) / f_elapsed:,.0f} req/s | |")
    print()
    if errors:
        print("Errors by kind: " + ", ".join(f"{k}: {v}" for k, v in sorted(errors.items())) + ".\n")
    simplest_ok = n_err == 0 and p99 < SIMPLEST_P99_TARGET
    print(f"Target: 0 errors and p99 under {SIMPLEST_P99_TARGET:g} s: **{'met' if simplest_ok else 'NOT met'}**.\n")

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
    return 0 if n_err == 0 and heavy_errors == 0 and alive and loris_ok and stop_ok else 1


if __name__ == "__main__":
    sys.exit(main())
