"""The typed errors chainrule raises.

Every error names the offending value and says what is allowed, so a learner
reads one line and knows what to fix. They subclass the built-in exception a
Python programmer would expect (``ValueError``, ``OverflowError``...) so
``except ValueError`` keeps working.
"""

import re


class ChainruleError(Exception):
    """Base class of every error chainrule raises on purpose."""


class InvalidValueError(ChainruleError, ValueError):
    """A number, shape or option outside what is allowed."""


class NumericalOverflowError(ChainruleError, OverflowError):
    """An operation whose exact result does not fit in a float."""


class NonFiniteError(ChainruleError, FloatingPointError):
    """A NaN or infinity appeared where a finite number was required."""


class MissingDependencyError(ChainruleError, RuntimeError):
    """An optional program or package is not installed; the message says how to get it."""


# "params[0].W: wrong shape; ..." names the field it is about first
_NAMED = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*(?:\[\d+\]|\.[A-Za-z_][A-Za-z0-9_]*)*): ")


def refusal(exc: ChainruleError) -> dict:
    """The explorer's answer to a request the library refused (HTTP 422, from the server or the static pages):
    the error's first line, and the field it names first (``"params[0].W: …"``), or ``""``."""
    message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    named = _NAMED.match(message)
    return {"error": message, "detail": [{"field": named.group(1) if named else "", "message": message}]}
