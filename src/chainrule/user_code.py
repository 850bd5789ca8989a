"""A learner's own Python file, run in its own process: a time limit, a memory limit, one line when it fails.

``chainrule check --fn`` and ``chainrule exercise tensor-softmax --answers``
run code a learner wrote. Whatever it does (raise, loop for ever, allocate
without end, kill its interpreter), chainrule answers with one line naming
the file and, where it can, the line, never with a traceback of its own:

* ``run_worker(module, args, path, time_limit)`` starts ``python -m module
  args…`` in the file's folder, in a new session (so a hang is killed with
  everything it started), and waits at most ``time_limit`` seconds;
* the worker calls ``limit_resources()`` first, loads the file with
  ``load(path)`` and reports failures with ``user_error``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import traceback

from .errors import ChainruleError

__all__ = ["UserCodeError", "run_worker", "limit_resources", "load", "user_error", "clean", "MEMORY_LIMIT"]

MEMORY_LIMIT = 4 * 2**30  # bytes of address space for the user's file (where the system can limit it)


class UserCodeError(ChainruleError):
    """The user's own code failed (an exception, a hang, a dead interpreter): one line saying how and where."""


def clean(text: str, limit: int = 240) -> str:
    """User text for one line of a terminal: control characters escaped, cut to ``limit``."""
    text = "".join(ch if ch.isprintable() else ascii(ch)[1:-1] for ch in str(text))
    return text if len(text) <= limit else text[: limit - 1] + "…"


def user_error(exc: BaseException, path: str, what: str) -> str:
    """'my_backprop.py, line 7, in grad: ZeroDivisionError: division by zero', from the deepest frame of the file."""
    where = ""
    for frame in traceback.extract_tb(exc.__traceback__):
        if os.path.abspath(frame.filename) == os.path.abspath(path):
            where = f"{os.path.basename(path)}, line {frame.lineno}, in {frame.name}: "
    message = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    return clean(f"{what} failed: {where}{message}", 400)


def limit_resources() -> None:
    """In the worker: at most ``MEMORY_LIMIT`` of address space and 64 MiB per written file (where supported)."""
    try:
        import resource
    except ImportError:  # not on this system (Windows): the time limit still holds
        return
    for limit, value in ((resource.RLIMIT_AS, MEMORY_LIMIT), (resource.RLIMIT_FSIZE, 64 * 2**20)):
        try:
            soft, hard = resource.getrlimit(limit)
            if hard == resource.RLIM_INFINITY or hard > value:
                resource.setrlimit(limit, (value, hard if hard != resource.RLIM_INFINITY else value))
        except (ValueError, OSError):
            pass


def load(path: str, run_name: str) -> dict:
    """In the worker: the namespace of the user's file after running it (its folder first on ``sys.path``)."""
    import runpy

    sys.path.insert(0, os.path.dirname(path))
    return runpy.run_path(path, run_name=run_name)


def _kill(process) -> None:
    try:
        if os.name == "posix":
            os.killpg(process.pid, 9)
        else:
            process.kill()
    except (ProcessLookupError, PermissionError):
        pass
    process.wait()


def run_worker(module: str, args: list[str], path: str, time_limit: float, what: str) -> None:
    """``python -m module *args`` for the user's file ``path``; ``UserCodeError`` if it hangs or dies.

    The worker writes its own answer (a file named in ``args``); this only
    waits for it, kills it after ``time_limit`` seconds (``what``: what it
    was doing, for the message) and turns a dead interpreter into one line.
    """
    shown = os.path.basename(path)
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    with tempfile.TemporaryFile() as err:
        process = subprocess.Popen([sys.executable, "-m", module, *args], stdin=subprocess.DEVNULL,
                                   stdout=subprocess.DEVNULL, stderr=err, cwd=os.path.dirname(os.path.abspath(path)),
                                   env=env, start_new_session=(os.name == "posix"))
        try:
            code = process.wait(timeout=time_limit)
        except subprocess.TimeoutExpired:
            _kill(process)
            raise UserCodeError(f"{shown} did not finish within {time_limit:g} s ({what})") from None
        if code == 0:
            return
        err.seek(0, os.SEEK_END)
        err.seek(max(0, err.tell() - 2000))
        tail = err.read().decode("utf-8", "replace").strip().splitlines()
    last = clean(tail[-1]) if tail else ""
    raise UserCodeError(f"{shown} stopped the interpreter (exit code {code}) before answering"
                        + (f": {last}" if last else ""))
