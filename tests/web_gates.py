"""A gate for the full-queue tests: the server's work waits until the test opens it, so a queue fills on purpose."""

from __future__ import annotations

import threading


def gated(monkeypatch, module, name):
    """Make ``module.name`` wait for the returned gate before it computes (the work is real; it only waits first).

    Returns ``(gate, started)``: set ``gate`` to let the waiting calls go on; ``started`` is released once per call
    that began waiting.
    """
    gate, started = threading.Event(), threading.Semaphore(0)
    real = getattr(module, name)

    def waiting(*args):
        started.release()
        assert gate.wait(30), "the test never opened the gate"
        return real(*args)

    monkeypatch.setattr(module, name, waiting)
    return gate, started
