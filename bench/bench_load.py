"""Load: 200 concurrent clients against the simplest network's endpoint of a real ``chainrule serve``.

``chainrule serve`` runs in its own process on a free port of 127.0.0.1 (the
loopback address only), exactly as a learner starts it. Then 200 clients,
each with its own connection (``httpx.AsyncClient``, all in one asyncio
loop), send ``POST /api/simplest`` (one descent step of the video's network)
back to back for ``SECONDS`` seconds. Reported: requests, errors (any answer
but 200, or no answer within 10 s: must be 0), p50 / p99 / max latency,
throughput, and the server's resident memory (VmRSS) after start-up and a
warm-up, then after the load.

Bounded: the run stops after ``SECONDS`` (default 15; env
``CHAINRULE_LOAD_SECONDS``) and each client after at most 100,000 requests;
the server is stopped at the end whatever happens.

Prints one Markdown section on stdout (``bench/run.py`` collects it).
Timings never go in tests; this is not a test.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import statistics
import subprocess
import sys
import time

import httpx

CLIENTS = 200
SECONDS = float(os.environ.get("CHAINRULE_LOAD_SECONDS", "15"))
MAX_REQUESTS_PER_CLIENT = 100_000
PATH = "/api/simplest"
BODY = {"input": 1.5, "target": 0.8, "weight": 0.8, "learning_rate": 0.1, "steps": 1}
HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return -1


def start_server(port: int) -> subprocess.Popen:
    code = f"import sys; from chainrule.cli import main; sys.exit(main(['serve', '--host', '{HOST}', '--port', '{port}']))"
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"chainrule serve exited with {proc.returncode}: {proc.stderr.read().strip()}")
        try:
            if httpx.get(f"http://{HOST}:{port}/api/limits", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    proc.kill()
    raise RuntimeError("chainrule serve did not answer within 30 s")


async def client(base: str, stop_at: float, latencies: list[float], errors: dict[str, int]) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=10.0) as http:
        for _ in range(MAX_REQUESTS_PER_CLIENT):
            if time.monotonic() >= stop_at:
                return
            start = time.perf_counter()
            try:
                r = await http.post(PATH, json=BODY)
                kind = None if r.status_code == 200 else f"HTTP {r.status_code}"
            except httpx.HTTPError as exc:
                kind = type(exc).__name__
            if kind is None:
                latencies.append(time.perf_counter() - start)
            else:
                errors[kind] = errors.get(kind, 0) + 1


async def load(base: str) -> tuple[list[float], dict[str, int], float]:
    latencies: list[float] = []
    errors: dict[str, int] = {}
    start = time.monotonic()
    await asyncio.gather(*(client(base, start + SECONDS, latencies, errors) for _ in range(CLIENTS)))
    return latencies, errors, time.monotonic() - start


def percentile(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))] if xs else float("nan")


def main() -> int:
    port = free_port()
    proc = start_server(port)
    base = f"http://{HOST}:{port}"
    try:
        for _ in range(20):  # warm-up: imports, first allocations
            httpx.post(base + PATH, json=BODY, timeout=10).raise_for_status()
        before = rss_kib(proc.pid)
        latencies, errors, elapsed = asyncio.run(load(base))
        after = rss_kib(proc.pid)
        alive = proc.poll() is None
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
    n_err = sum(errors.values())
    total = len(latencies) + n_err
    ms = lambda s: f"{1000 * s:.1f} ms"  # noqa: E731
    print("## Load: 200 concurrent clients on the explorer\n")
    print(f"`chainrule serve` on {HOST} (its own settings), {CLIENTS} clients each with its own connection, "
          f"`POST {PATH}` with `{BODY}` back to back for {SECONDS:g} s.\n")
    print("| requests | errors | p50 | p99 | max | throughput | server RSS before | server RSS after |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    print(f"| {total} | {n_err} | {ms(percentile(latencies, 0.5))} | {ms(percentile(latencies, 0.99))} | "
          f"{ms(max(latencies)) if latencies else 'n/a'} | {len(latencies) / elapsed:.0f} req/s | "
          f"{before / 1024:.1f} MiB | {after / 1024:.1f} MiB |")
    print()
    if errors:
        print("Errors by kind: " + ", ".join(f"{k}: {v}" for k, v in sorted(errors.items())) + ".\n")
    if latencies:
        print(f"Mean latency {ms(statistics.fmean(latencies))}; the server was "
              f"{'still running' if alive else 'NOT running'} at the end.\n")
    print(f"Target: 0 errors: **{'met' if n_err == 0 and alive else 'NOT met'}**.\n")
    return 0 if n_err == 0 and alive else 1


if __name__ == "__main__":
    sys.exit(main())
