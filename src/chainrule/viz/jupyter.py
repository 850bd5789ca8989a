"""In Jupyter, a ``Value`` shows itself as its drawn graph.

The engine knows nothing about drawing: instead of a ``_repr_svg_`` method on
``Value``, this module registers the drawing with IPython's display system
by the class's name (``chainrule.scalar.Value``), which IPython resolves
only when it displays one. ``import chainrule`` calls ``register`` when it
runs inside IPython.
"""

from __future__ import annotations


def _svg(value) -> str | None:
    from .graph import svg_or_none

    return svg_or_none(value)


def register(shell) -> None:
    """Show every ``Value`` as its graph (SVG) in this IPython ``shell``; its text repr stays the fallback."""
    formatter = shell.display_formatter.formatters["image/svg+xml"]
    formatter.for_type_by_name("chainrule.scalar", "Value", _svg)
