"""``chainrule serve`` in its own process on a free loopback port, as a learner starts it (for the tests that need a
real server: raw sockets, signals, load)."""

from __future__ import annotations

import socket
import subprocess
import sys
import time

import httpx
import pytest


class LiveServer:
    """A running ``chainrule serve``; ``stop()`` ends it (SIGTERM first, so its worker processes go with it)."""

    def __init__(self, *extra: str):
        """``extra``: more options of ``chainrule serve`` (e.g. ``--lesson-file FILE``)."""
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        argv = ["serve", "--port", str(self.port), *extra]
        code = f"import sys; from chainrule.cli import main; sys.exit(main({argv!r}))"
        self.proc = subprocess.Popen([sys.executable, "-c", code], stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, self.proc.stderr.read()
            try:
                if httpx.get(self.url + "/api/limits", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.1)
        self.stop()
        pytest.fail("chainrule serve did not answer within 60 s")

    def raw(self, request: bytes) -> tuple[int, bytes]:
        """Send ``request`` as it is on a new connection; the status and the body of the answer."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=10) as s:
            s.sendall(request)
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
            head, _, rest = data.partition(b"\r\n\r\n")
            length = next((int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                           if line.lower().startswith(b"content-length:")), 0)
            while len(rest) < length:
                chunk = s.recv(65536)
                if not chunk:
                    break
                rest += chunk
        return int(head.split(b" ", 2)[1]), rest

    def stop(self):
        # SIGTERM, so that the server closes its pool of training workers (a killed server leaves them running);
        # a kill only if it has not stopped in time
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        self.proc.stderr.close()
