"""Safe variable names for emitted code, made from the graph's labels.

A label is user text: ``Value(0.8, label=...)`` can hold quotes, newlines,
``__import__("os")``, a keyword, or a Cyrillic а that looks like a Latin a.
Nothing of it may become code. So every name in an emitted program is
*built* here, character by character, from a small alphabet: ASCII letters,
digits and the underscore. What a label contributes:

* ASCII letters, digits and ``_`` are kept;
* superscript digits become digits and a run of subscript digits becomes
  ``_`` and the digits, so the lessons' w¹₁₁ is ``w1_11`` and x₂ is ``x_2``;
* a Greek letter becomes its name (σ → ``sigma``, Δ → ``Delta``);
* anything else (quotes, brackets, spaces, newlines, look-alike letters of
  other scripts) becomes a separator ``_``.

Then the result is made a valid, harmless name: a leading digit gets a
``v`` in front, leading underscores are dropped (no ``__dunder__`` names), a
keyword or the name of a builtin or of a function the program uses gets a
trailing ``_`` (``lambda_``, ``print_``), a name that would read as a
gradient (``g_…``) gets a ``v`` in front, and repeated names are numbered
(``w_1``, ``w_2``, as the explainer numbers w₁, w₂). A label with nothing
usable in it, and every unlabelled node, is named by position (``t1``,
``t2``, …).

For comments, ``shown(label)`` returns the label itself only when every
character of it is a letter, a digit (super- and subscripts included), an
underscore or a prime; otherwise None, and the comment uses the identifier.
"""

from __future__ import annotations

import builtins
import keyword
import unicodedata

__all__ = ["identifier", "shown", "Namer", "MAX_LENGTH"]

MAX_LENGTH = 40  # longer identifiers are cut (then numbered if that makes them collide)

_SUPERSCRIPTS = {ch: str(d) for d, ch in enumerate("⁰¹²³⁴⁵⁶⁷⁸⁹")}
_SUBSCRIPTS = {ch: str(d) for d, ch in enumerate("₀₁₂₃₄₅₆₇₈₉")}
_ASCII = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")
# Names an emitted program may use for itself, so no variable may take them.
_PROGRAM_NAMES = frozenset({"math", "np", "numpy", "torch", "exp", "log", "tanh", "sigmoid", "relu", "step",
                            "isfinite", "steps", "learning_rate", "step_number", "costs"})


def _greek(ch: str) -> str | None:
    """'σ' → 'sigma', 'Δ' → 'Delta'; None for anything that is not a plain Greek letter."""
    try:
        name = unicodedata.name(ch)
    except ValueError:
        return None
    for prefix, capital in (("GREEK SMALL LETTER ", False), ("GREEK CAPITAL LETTER ", True)):
        if name.startswith(prefix):
            word = name[len(prefix):]
            if not word.isalpha() or not word.isascii():  # FINAL SIGMA, WITH TONOS: not plain letters
                return None
            word = word.lower()
            return word.capitalize() if capital else word
    return None


def identifier(label: str, reserved: frozenset = frozenset()) -> str:
    """A harmless ASCII identifier from ``label`` ('' when nothing of it is usable). See the module docstring."""
    out: list[str] = []
    in_subscript = after_word = False  # inside a run of subscript digits; just after a Greek letter's name
    for ch in str(label):
        if ch in _ASCII:
            if after_word and ch != "_":  # σ1 → sigma_1, not sigma1
                out.append("_")
            out.append(ch)
            in_subscript = after_word = False
        elif ch in _SUPERSCRIPTS:
            out.append(_SUPERSCRIPTS[ch])
            in_subscript = after_word = False
        elif ch in _SUBSCRIPTS:
            if not in_subscript:
                out.append("_")
            out.append(_SUBSCRIPTS[ch])
            in_subscript, after_word = True, False
        else:
            word = _greek(ch)
            if word is not None:
                if out and out[-1] != "_":
                    out.append("_")
                out.append(word)
            else:
                out.append("_")
            in_subscript, after_word = False, word is not None
    text = "".join(out)
    while "__" in text:
        text = text.replace("__", "_")
    text = text.strip("_")[:MAX_LENGTH].rstrip("_")
    if not text:
        return ""
    if text[0].isdigit():
        text = "v" + text
    if keyword.iskeyword(text) or keyword.issoftkeyword(text) or text in _RESERVED or text in reserved:
        text += "_"
    return text


_RESERVED = frozenset(dir(builtins)) | _PROGRAM_NAMES


def shown(label: str) -> str | None:
    """The label itself if it is safe to print in a comment (letters, digits, sub/superscripts, _ and primes)."""
    if not label or len(label) > MAX_LENGTH:
        return None
    for ch in label:
        if ch in "_'′″":
            continue
        category = unicodedata.category(ch)
        if category[0] not in "LN":
            return None
    return label


class Namer:
    """Hands out unique identifiers for one program.

    ``prefixes``: the beginnings reserved for names the emitter derives (the
    gradient ``g_a`` of ``a``): no variable starts with them, so a derived
    name never collides with a variable's.
    """

    def __init__(self, prefixes: tuple[str, ...] = ("g_",), reserved: frozenset = frozenset()):
        self.prefixes = prefixes
        self.reserved = reserved
        self.taken: set[str] = set()
        self._counts: dict[str, int] = {}  # stem -> the last number handed out

    def _fix(self, text: str) -> str:
        if text and text.startswith(self.prefixes):
            text = "v" + text
        return text

    def _unique(self, text: str) -> str:
        if text not in self.taken:
            return text
        n = 2
        while f"{text}_{n}" in self.taken:
            n += 1
        return f"{text}_{n}"

    def take(self, text: str) -> str:
        """Reserve exactly ``text`` (already a safe identifier, e.g. a function name)."""
        self.taken.add(text)
        return text

    def labelled(self, labels: list[str]) -> list[str]:
        """Identifiers for ``labels`` in order ('' where a label gives none: name those by ``temporary``).

        A label several nodes share is numbered in order, w_1, w_2, … (as the
        explainer writes w₁, w₂), skipping names already taken.
        """
        bases = [self._fix(identifier(label, self.reserved)) for label in labels]
        counts: dict[str, int] = {}
        for base in bases:
            if base:
                counts[base] = counts.get(base, 0) + 1
        numbered: dict[str, int] = {}
        out = []
        for base in bases:
            if not base:
                out.append("")
                continue
            if counts[base] > 1:
                n = numbered.get(base, 0)
                while True:
                    n += 1
                    candidate = f"{base}_{n}"
                    if candidate not in self.taken:
                        break
                numbered[base] = n
                name = candidate
            else:
                name = self._unique(base)
            self.taken.add(name)
            out.append(name)
        return out

    def temporary(self, stem: str = "t") -> str:
        """The next free positional name: t1, t2, …"""
        n = self._counts.get(stem, 0)
        while True:
            n += 1
            name = f"{stem}{n}"
            if name not in self.taken:
                self._counts[stem] = n
                self.taken.add(name)
                return name
