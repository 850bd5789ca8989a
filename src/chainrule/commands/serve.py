"""``chainrule serve``: the explorer, a local web page to play with backprop.

It listens on 127.0.0.1 (this computer only) unless told otherwise, and warns
when told to listen elsewhere: the explorer is meant for one learner or a
classroom projector, not for the open internet.

The HTTP server is Hypercorn, chosen for the limits it keeps by itself
(uvicorn has no timeout on reading a request's head):

* ``HEADER_TIMEOUT``: a connection that has not sent a whole request head
  (request line and headers) within this many seconds of opening, or of its
  last answer, is closed. Hypercorn's ``keep_alive_timeout`` runs from the
  moment a connection is idle until a complete head has been read, so
  sockets that send half a request and wait (slowloris) are dropped, and
  they never count against anything the server keeps for real requests;
* ``READ_TIMEOUT``: a connection that sends nothing for this long while a
  request body is still due is closed;
* ``SHUTDOWN_TIMEOUT``: on SIGTERM or Ctrl+C the server stops accepting,
  lets the requests in progress finish for at most this long, then cancels
  the rest and exits; every request is bounded (``web.api_models``), so the
  process is gone within a few seconds whatever the load.
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import re
import signal
import socket
import sys
import threading
import webbrowser
from typing import Awaitable, Callable

from ..errors import InvalidValueError
from .options import int_in_range

LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")
WILDCARDS = ("0.0.0.0", "::")
HEADER_TIMEOUT = 5  # seconds to send a whole request head (see the module docstring)
READ_TIMEOUT = 30  # seconds of silence allowed while a request body is due
SHUTDOWN_TIMEOUT = 3  # seconds the requests in progress get to finish after SIGTERM / Ctrl+C
BACKLOG = 1024  # connections the system may queue before the server accepts them
_HOSTNAME = re.compile(r"^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$")


def host_name(text: str) -> str:
    """An IP address or a host name (letters, digits, dots and hyphens)."""
    try:
        ipaddress.ip_address(text)
        return text
    except ValueError:
        pass
    if not _HOSTNAME.match(text):
        raise argparse.ArgumentTypeError(
            f"{text!r} is not an IP address or host name; for example 127.0.0.1 (this computer only) or 0.0.0.0 (every network)"
        )
    return text


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", type=host_name, default="127.0.0.1",
                        help="address to listen on (default 127.0.0.1: this computer only)")
    parser.add_argument("--port", type=int_in_range(1, 65535), default=8000, help="port to listen on (default 8000)")
    parser.add_argument("--open", action="store_true", help="open the explorer in the web browser")
    parser.add_argument("--lesson-file", metavar="FILE.py", action="append", default=[],
                        help="add a lesson of your own (a Python file with one @lesson function) to the step-through "
                             "and the exercises; read once at start-up, never over HTTP (may be repeated)")


def _listen(host: str, port: int) -> socket.socket:
    """Bind the listening socket ourselves, so a busy port is one clear line, not a traceback."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise InvalidValueError(f"cannot resolve --host {host!r}: {exc.strerror}") from None
    family, _, _, _, address = infos[0]
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
    except OSError as exc:
        sock.close()
        raise InvalidValueError(f"cannot listen on {host}:{port}: {exc.strerror or exc}; try another --port") from None
    sock.listen(512)
    sock.setblocking(False)
    return sock


def url_for(host: str, port: int) -> str:
    shown = "127.0.0.1" if host in WILDCARDS else host
    if ":" in shown:
        shown = f"[{shown}]"
    return f"http://{shown}:{port}/"


def allowed_hosts(host: str) -> tuple[str, ...]:
    """The ``Host`` names the explorer answers to: this computer's, the ``--host`` given, and, when it listens on
    every network, this computer's name (any address it is reached at is accepted by ``web.server.HostGuard``)."""
    names = [*LOCAL_HOSTS, host]
    if host in WILDCARDS:
        name = socket.gethostname()
        names += [name, f"{name}.local"]
    return tuple(dict.fromkeys(names))


def server_config(sock: socket.socket):
    """Hypercorn's settings for the explorer, serving on the already listening ``sock`` (which it takes over)."""
    from hypercorn.config import Config  # the server and the app (FastAPI) load once serving: see run

    config = Config()
    config.bind = [f"fd://{sock.detach()}"]
    config.keep_alive_timeout = HEADER_TIMEOUT
    config.read_timeout = READ_TIMEOUT
    config.graceful_timeout = SHUTDOWN_TIMEOUT
    config.backlog = BACKLOG
    config.loglevel = "WARNING"
    config.accesslog = None
    config.include_server_header = False
    return config


async def serve(app, sock: socket.socket, shutdown_trigger: Callable[[], Awaitable] | None = None) -> None:
    """Serve ``app`` on the listening ``sock`` until ``shutdown_trigger()`` returns (by default: SIGINT or SIGTERM).

    Then the app's computing pools refuse what still waits (503) and Hypercorn gives the requests in progress
    ``SHUTDOWN_TIMEOUT`` seconds before it cancels them and the app's worker processes stop.
    """
    from hypercorn.asyncio import serve as hypercorn_serve  # see run

    from ..web.server import stop_computing

    async def stopped() -> None:
        await (shutdown_trigger or _signalled)()
        stop_computing(app)

    asyncio.get_running_loop().set_exception_handler(_quiet_about_cut_connections)
    await hypercorn_serve(app, server_config(sock), shutdown_trigger=stopped)


def _quiet_about_cut_connections(loop: asyncio.AbstractEventLoop, context: dict) -> None:
    """A connection cancelled at the end of the shutdown's grace period is expected, not an error to print.

    (Python 3.11's asyncio reports such a cancelled connection task as "Exception in callback" with a
    traceback; everything else goes to asyncio's own handler.)
    """
    if isinstance(context.get("exception"), asyncio.CancelledError):
        return
    loop.default_exception_handler(context)


async def _signalled() -> None:
    """Return on the first SIGINT (Ctrl+C) or SIGTERM."""
    loop = asyncio.get_running_loop()
    event = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, event.set)
        except NotImplementedError:  # Windows: a plain handler that wakes the loop
            signal.signal(sig, lambda *_: loop.call_soon_threadsafe(event.set))
    await event.wait()


def run(args: argparse.Namespace) -> int:
    own = []
    if args.lesson_file:  # before the app is built: its request models list the lessons they accept
        from ..lessons.from_file import load_file

        own = [load_file(path) for path in args.lesson_file]
    # the app (FastAPI, pydantic, the lessons) and Hypercorn take about a second to import, and the web extra may
    # not be installed: `serve --help` and a bad --port answer without them
    from ..web import create_app

    if args.host not in LOCAL_HOSTS:
        print(
            f"chainrule serve: warning: listening on {args.host}, not 127.0.0.1: other computers on the network "
            "can reach the explorer. Use --host 127.0.0.1 to keep it on this computer.",
            file=sys.stderr,
        )
    sock = _listen(args.host, args.port)
    url = url_for(args.host, args.port)
    app = create_app(hosts=allowed_hosts(args.host))
    app.state.training.start()  # the training workers start while the browser opens
    for lesson in own:
        print(f"chainrule explorer: lesson {lesson.name!r} from {lesson.source}", file=sys.stderr)
    print(f"chainrule explorer: {url}  (Ctrl+C to stop)", file=sys.stderr)
    if args.open:
        threading.Timer(0.8, webbrowser.open, args=(url,)).start()
    serve_forever(app, sock)
    print("chainrule explorer: stopped", file=sys.stderr)
    return 0


def serve_forever(app, sock: socket.socket) -> None:
    """Serve until SIGINT or SIGTERM, then stop within ``SHUTDOWN_TIMEOUT`` seconds and a request's time."""
    asyncio.run(serve(app, sock))
