"""``chainrule serve``: the explorer, a local web page to play with backprop.

It listens on 127.0.0.1 (this computer only) unless told otherwise, and warns
when told to listen elsewhere: the explorer is meant for one learner or a
classroom projector, not for the open internet.
"""

from __future__ import annotations

import argparse
import ipaddress
import re
import socket
import sys
import threading
import webbrowser

from ..errors import InvalidValueError
from .options import int_in_range

LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")
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
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    if ":" in shown:
        shown = f"[{shown}]"
    return f"http://{shown}:{port}/"


def run(args: argparse.Namespace) -> int:
    import uvicorn

    from ..web import create_app

    if args.host not in LOCAL_HOSTS:
        print(
            f"chainrule serve: warning: listening on {args.host}, not 127.0.0.1: other computers on the network "
            "can reach the explorer. Use --host 127.0.0.1 to keep it on this computer.",
            file=sys.stderr,
        )
    sock = _listen(args.host, args.port)
    url = url_for(args.host, args.port)
    config = uvicorn.Config(
        create_app(),
        log_level="warning",
        # Bounded however many clients come: at most 512 connections at once (beyond that uvicorn
        # answers 503 at once, holding nothing), short keep-alive. Each request is stateless and
        # bounded by its request model, so 512 in flight stay within a few hundred MB.
        limit_concurrency=512,
        timeout_keep_alive=5,
    )
    server = uvicorn.Server(config)
    print(f"chainrule explorer: {url}  (Ctrl+C to stop)", file=sys.stderr)
    if args.open:
        threading.Timer(0.8, webbrowser.open, args=(url,)).start()
    server.run(sockets=[sock])
    return 0
