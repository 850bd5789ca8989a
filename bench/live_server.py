"""A real ``chainrule serve`` for the benchmarks that need one: started on a free loopback port, stopped at the end.

Used by ``bench_load.py``, ``bench_first_render.py`` and ``bench_long_tasks.py`` (not a benchmark itself: ``bench/run.py`` runs only
``bench_*.py``).
"""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time

import httpx

HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def start_server(port: int) -> subprocess.Popen:
    """``chainrule serve --host 127.0.0.1 --port PORT`` in its own process, once it answers ``/api/limits``."""
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


def stop_server(proc: subprocess.Popen) -> None:
    """Ctrl+C, as a learner stops it; killed if it has not gone within 15 s."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=15)
            return
        except subprocess.TimeoutExpired:
            proc.kill()
    proc.wait(timeout=10)
