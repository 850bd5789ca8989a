"""The explorer: a local web page to play with backprop (``chainrule serve``).

The server (``server.create_app()``) does every computation with chainrule's
own engines and answers JSON; the pages in ``static/`` only draw what it
sends. Nothing here evaluates user input as code, every request is bounded by
its pydantic model (``api_models``), and the server keeps no state per client.

``create_app`` is imported on first use (PEP 562's module ``__getattr__``), so
that importing a part of the explorer that is not HTTP, such as the
step-through's trace (``web.stepper``), does not import FastAPI.
"""

__all__ = ["create_app"]


def __getattr__(name: str):
    if name == "create_app":
        from .server import create_app

        return create_app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
