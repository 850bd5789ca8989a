"""The typed errors chainrule raises.

Every error names the offending value and says what is allowed, so a learner
reads one line and knows what to fix. They subclass the built-in exception a
Python programmer would expect (``ValueError``, ``OverflowError``...) so
``except ValueError`` keeps working.
"""


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
