"""The explorer: a local web page to play with backprop (``chainrule serve``).

The server (``server.create_app()``) does every computation with chainrule's
own engines and answers JSON; the pages in ``static/`` only draw what it
sends. Nothing here evaluates user input as code, every request is bounded by
its pydantic model (``api_models``), and the server keeps no state per client.
"""

from .server import create_app

__all__ = ["create_app"]
