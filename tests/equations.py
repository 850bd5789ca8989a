"""Every printed equation is true: find each chain ``name = expression = … = number`` and evaluate it.

A line such as ``∂C/∂w = (−2.58263) · 1 · 0.915137 · 1 · 0.5 = −1.18173`` is
split at its " = " signs. Its last part is the number printed; every part
in between that can be read as arithmetic (numbers, + − · / powers, the op
table's functions, and the names whose numbers were printed earlier on the
same page, such as ``p₃`` after ``p₃ = e₃/S = … = 0.307843``) is evaluated
and must give that number, up to the rounding of the numbers printed in the
line (each printed to its own digits: the error is bounded by what those
digits can carry). Parts with words or symbols nothing on the page gave a
number to (∂C/∂a, a sum Σ) are not arithmetic and are passed over. The
expressions are read by the exercises' own safe reader
(``exercises.answers.parse_answer``), never by ``eval``.
"""

from __future__ import annotations

import math
import re

from chainrule.exercises.answers import AnswerError, parse_answer

BOX = "│╭╮╰╯─┃┏┓┗┛━┡┩└┘"
NUMBER = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)(?:·10([⁻]?[⁰¹²³⁴⁵⁶⁷⁸⁹]+)|e([+−-]?\d+))?")
NAME = re.compile(r"^[^\W\d_][\w⁰¹²³⁴⁵⁶⁷⁸⁹₀₁₂₃₄₅₆₇₈₉′]*$")
NOTE = re.compile(r"\s{2,}\(.*$")  # "   (backprop's accumulated gradient, = w.grad)"
SUPERSCRIPT = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻", "0123456789-")


def _plain(text: str) -> str:
    """A number as Python reads it: 2.77556·10⁻¹⁷ → 2.77556e-17, the minus sign → '-'."""
    text = text.replace("−", "-")
    return re.sub(r"·10([⁻]?[⁰¹²³⁴⁵⁶⁷⁸⁹]+)", lambda m: "e" + m.group(1).translate(SUPERSCRIPT), text)


def printed_number(text: str) -> float | None:
    """The number a part prints ('−1.18173', '2.77556·10⁻¹⁷', '0.0400'), or None."""
    text = text.strip()
    if not re.fullmatch(r"[−-]?\d+(?:\.\d+)?(?:·10[⁻]?[⁰¹²³⁴⁵⁶⁷⁸⁹]+|e[+−-]?\d+)?", text):
        return None
    return float(_plain(text))


def significant(digits: str) -> int:
    """How many significant digits a number is written with: '0.0400' → 3, '1.5' → 2, '0' → 1."""
    mantissa = digits.split("e")[0].lstrip("-").replace(".", "").lstrip("0")
    return max(1, len(mantissa))


def rounding(digits: str, precision: int) -> float:
    """How far, relatively, the number written as ``digits`` may be from the number it stands for.

    Pages round to ``precision`` significant digits and drop trailing zeros (0.0996680 prints as 0.099668, 0.5000001
    as 0.5), so a short number may be rounded too: it is within half a unit of the page's last digit. A number that
    shows three or more digits may have been rounded at its own last one (a page's tables use fewer digits).
    """
    shown = significant(digits)
    return 0.5 * 10.0 ** (1 - (shown if shown >= 3 else precision))


def _numbers(text: str) -> list[str]:
    return [_plain(m.group(0)) for m in NUMBER.finditer(text)]


def chains(lines: list[str]) -> list[tuple[str, list[str]]]:
    """Each line's parts at " = ", box drawing and trailing notes removed: (the line, its parts)."""
    out = []
    for raw in lines:
        line = raw.strip().strip(BOX).strip()
        line = NOTE.sub("", line).rstrip(" ;,.")
        for piece in line.split("; "):  # '∂C/∂p₁ = 0; ∂C/∂p₂ = 0'
            listed = piece.split(", ")
            pieces = listed if len(listed) > 1 and all(" = " in x for x in listed) else [piece]  # 'i = 0.1, w = 0.6'
            for one in pieces:
                parts = [p.strip() for p in one.split(" = ")]
                if len(parts) >= 2:
                    out.append((raw.strip(), parts))
    return out


def check_lines(lines: list[str], env: dict[str, float] | None = None, precision: int = 6) -> list[str]:
    """The false equations among ``lines`` (each with what it evaluates to); names learn their numbers in order.

    ``precision``: the significant digits the page rounds its numbers to (6 for a lesson, 3 for an exercise's key).
    """
    env = dict(env or {})
    wrong = []
    for line, parts in chains(lines):
        final = printed_number(parts[-1])
        if final is None:
            continue
        name = parts[0]
        for part in parts[1:-1]:
            try:
                answer = parse_answer(part, names={k: k for k in env})
            except AnswerError:
                continue  # words, ∂, Σ, or a name nothing gave a number to: not arithmetic
            if not answer.symbols and printed_number(part) is not None:
                continue  # a number repeated: nothing to evaluate
            try:
                value = answer.value(env)
            except AnswerError:
                continue
            literals = _numbers(part) + [_plain(parts[-1])]
            # the rounding each printed number carries, as a fraction of it, summed (a product's error bound);
            # names carry the rounding of the numbers they were printed with (their env value is that number)
            relative = sum(rounding(d, precision) for d in literals)
            relative += sum(rounding(repr(env[s]), precision) for s in answer.symbols)
            scale = max([abs(final), abs(value)] + [abs(float(d)) for d in literals])
            if abs(value - final) > relative * scale * 2 + 1e-12 * scale:
                wrong.append(f"{line!r}: {part} evaluates to {value:.9g}, not {parts[-1]}")
        if NAME.match(name):
            env[name] = final
    return wrong


# Notation that reads wrong even when its number is right: a coefficient 1 written before a name (1e₃ for e₃), and
# −1 set against a parenthesis (−1(−1)·e₃ for e₃).
GARBLED = (re.compile(r"(?<![\w.⁰¹²³⁴⁵⁶⁷⁸⁹])1(?=[^\W\d_])(?!e[+−-]?\d)"), re.compile(r"(?<![\w.])[−-]1\("))


def notation_problems(lines: list[str]) -> list[str]:
    """The lines whose notation is garbled (``GARBLED``), whatever their numbers."""
    return [line for line in lines if any(p.search(line) for p in GARBLED)]
