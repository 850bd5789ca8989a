"""A lesson as a slide deck for a class: one self-contained HTML file, one factor of the chain per click.

    html = deck("simplest")           # the lesson's own numbers (or seed=N: a worksheet's)
    open("simplest.html", "w").write(html)

The deck is the exercise's questions with their answers, in the order of
backprop: the network and its numbers, the forward pass (one value per
click), then one slide per running product and gradient, where each click
reveals the next factor (∂C/∂a = 2(a − y) = 0.8, then ∂a/∂w = i = 1.5) and
the last one their product; then the update, the lesson's plot when it has
one, and the check: each gradient on the slides against the engine's
``w.grad`` and against finite differences (``gradcheck.check_graph``).

Self-contained: the math is MathML (``mathml``, rendered by the browser
itself), the plot is inline SVG, the script and styles are inline, and the
page's Content-Security-Policy forbids it to load anything at all. Keys:
→, space or a click for the next step; ← to go back; Home, End.
"""

from __future__ import annotations

import os
import tempfile
from html import escape

from .. import lessons
from ..explainer.format import factor, num, substitute
from ..gradcheck import check_graph
from .exercise import Exercise, build
from .mathml import to_mathml

__all__ = ["deck", "slides_of"]

CSP = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:"

STYLE = """
html, body { margin: 0; height: 100%; background: #fafaf7; color: #222;
  font-family: "DejaVu Sans", "Helvetica Neue", Arial, sans-serif; }
.slide { display: none; box-sizing: border-box; height: 100vh; padding: 5vh 7vw; overflow: auto; }
.slide.current { display: block; }
h1 { font-size: 2.4em; margin: 0 0 0.4em; } h2 { font-size: 1.8em; margin: 0 0 0.8em; color: #334; }
p, li { font-size: 1.25em; line-height: 1.5; }
math { font-size: 1.5em; }
.line { margin: 0.55em 0; }
.step { visibility: hidden; }
.step.shown { visibility: visible; }
.step.shown:last-of-type { color: #063; }
.note { color: #666; font-size: 1em; }
table { border-collapse: collapse; font-size: 1.15em; margin-top: 1em; }
td, th { border-bottom: 1px solid #ccc; padding: 0.35em 1em; text-align: right; }
th:first-child, td:first-child { text-align: left; }
#counter { position: fixed; right: 1.2em; bottom: 0.8em; color: #888; font-size: 0.95em; }
svg { max-width: 100%; height: auto; max-height: 70vh; }
"""

SCRIPT = """
(function () {
  const slides = Array.from(document.querySelectorAll('.slide'));
  const counter = document.getElementById('counter');
  let k = 0, shown = 0;
  function steps(i) { return slides[i].querySelectorAll('.step'); }
  function show() {
    slides.forEach((s, i) => s.classList.toggle('current', i === k));
    steps(k).forEach((el, i) => el.classList.toggle('shown', i < shown));
    counter.textContent = (k + 1) + ' / ' + slides.length;
    history.replaceState(null, '', '#' + (k + 1) + '.' + shown);
  }
  function next() {
    if (shown < steps(k).length) { shown += 1; }
    else if (k < slides.length - 1) { k += 1; shown = 0; }
    show();
  }
  function prev() {
    if (shown > 0) { shown -= 1; }
    else if (k > 0) { k -= 1; shown = steps(k).length; }
    show();
  }
  document.addEventListener('keydown', (e) => {
    if (['ArrowRight', ' ', 'PageDown', 'Enter'].includes(e.key)) { e.preventDefault(); next(); }
    else if (['ArrowLeft', 'PageUp', 'Backspace'].includes(e.key)) { e.preventDefault(); prev(); }
    else if (e.key === 'Home') { k = 0; shown = 0; show(); }
    else if (e.key === 'End') { k = slides.length - 1; shown = steps(k).length; show(); }
  });
  document.addEventListener('click', next);
  const m = /^#(\\d+)\\.(\\d+)$/.exec(location.hash);
  if (m) { k = Math.min(slides.length, Math.max(1, +m[1])) - 1; shown = Math.min(+m[2], steps(k).length); }
  show();
})();
"""


def _math(text: str, step: bool = False) -> str:
    cls = "line step" if step else "line"
    return f'<div class="{cls}">{to_mathml(text, display=True)}</div>'


def _slide(title: str, body: list[str]) -> str:
    return f'<section class="slide"><h2>{escape(title)}</h2>{"".join(body)}</section>'


def _forward_line(ex: Exercise, q) -> str:
    """'a = i·w = 1.5·0.8 = 1.2'; a check, whose name is its formula: 'exp(z₃)/(…) = exp(1.38)/(…) = 0.149'."""
    values = {k: factor(ex.env[k]) for k in q.factors}
    formula = q.formula or q.name
    numbers = substitute(formula, values)
    parts = ([q.name] if q.formula else []) + [formula] + ([numbers] if numbers != formula else []) + [num(q.value)]
    return " = ".join(parts)


def _factor_line(q) -> str:
    parts = [q.name] + ([q.formula] if q.formula and q.formula != num(q.value) else []) + [num(q.value)]
    return " = ".join(parts)


def _product_line(ex: Exercise, q) -> str:
    by_key = ex.by_key()
    terms = []
    for up, slope in q.terms:
        factors = ([factor(by_key[up].value)] if up else []) + [factor(by_key[slope].value)]
        terms.append(" · ".join(factors))
    several = len(terms) > 1
    body = " + ".join(f"({t})" if several else t for t in terms)
    return f"{q.name} = {body} = {num(q.value)}"


def slides_of(ex: Exercise) -> list[str]:
    """The deck's sections, in order (see the module docstring)."""
    module = lessons.load(ex.lesson)
    by_key = ex.by_key()
    out = []
    given = ", ".join(f"{g.key} = {num(g.value)}" for g in ex.givens)
    out.append(f'<section class="slide"><h1>{escape(ex.lesson)}</h1><p>{escape(ex.summary)}</p>'
               + "".join(_math(line) for line in ex.network)
               + f'<p>with</p>{_math(given)}'
               + (f'<p>{escape(ex.note)}</p>' if ex.note else "")
               + '<p class="note">→ or click: the next step</p></section>')
    forward = [q for q in ex.questions if q.kind in ("forward", "cost", "check")]
    out.append(_slide("The forward pass", [_math(_forward_line(ex, q), step=True) for q in forward]))
    for q in ex.questions:
        if q.kind not in ("delta", "gradient"):
            continue
        if not q.terms:  # a weight read by the cost itself: its slope is its gradient
            out.append(_slide(f"The gradient {q.name}", [_math(_factor_line(q), step=True)]))
            continue
        body = [_math(f"{q.name} = {q.chain}")]
        seen = []
        for up, slope in q.terms:
            for k in ((up,) if up else ()) + (slope,):
                if k not in seen:
                    seen.append(k)
                    body.append(_math(_factor_line(by_key[k]), step=True))
        body.append(_math(_product_line(ex, q), step=True))
        what = "gradient" if q.kind == "gradient" else "running product"
        paths = f", {len(q.terms)} paths that add" if len(q.terms) > 1 else ""
        out.append(_slide(f"The {what} {q.name}{paths}", body))
    updates = [q for q in ex.questions if q.kind == "update"]
    if updates:
        lines = []
        for q in updates:
            w, lr, g = q.factors
            lines.append(_math(f"{q.name} = {q.formula} = {factor(ex.env[w])} − {factor(ex.env[lr])}·"
                               f"{factor(ex.env[g])} = {num(q.value)}", step=True))
        for q in ex.questions:
            if q.kind == "after":  # the forward pass again: did the step go downhill?
                cost = ex.view.name(ex.view.cost)
                words = escape(f"{q.name}: the forward pass again, at the new weights")
                lines.append(f'<div class="line step"><p>{words}</p>'
                             f'{to_mathml(f"{cost} = {num(ex.env[cost])} → {num(q.value)}", display=True)}</div>')
        title = "One step of gradient descent" + (" (too large, on purpose)" if ex.diverges else "")
        out.append(_slide(title, lines))
    plot = _plot(module, ex)
    if plot:
        out.append(_slide("The picture", [plot]))
    out.append(_slide("Checked", _check(ex)))
    return out


def _plot(module, ex: Exercise) -> str:
    """The lesson's plot as inline SVG, with the exercise's numbers ('' for a lesson that draws nothing)."""
    if not module.plots:
        return ""
    result = module.train(**ex.params)
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "plot.svg")
        module.plot(result, path)
        with open(path, encoding="utf-8") as f:
            svg = f.read()
    start = svg.find("<svg")
    return svg[start:] if start >= 0 else ""


def _check(ex: Exercise) -> list[str]:
    """Each gradient on the slides against the engine's and against finite differences."""
    report = {c.name: c for c in check_graph(ex.view.cost).checks}
    rows = []
    for q in ex.questions:
        if q.kind != "gradient" or q.below is None:
            continue
        weight = q.below
        fd = report.get(weight.label)
        ok = "✓" if fd is not None and fd.ok and abs(weight.grad - q.value) <= 1e-9 * max(1.0, abs(q.value)) else "✗"
        rows.append(f"<tr><td>{to_mathml(q.name)}</td><td>{escape(num(q.value))}</td>"
                    f"<td>{escape(num(weight.grad))}</td><td>{escape(num(fd.max_abs_error, 2)) if fd else '—'}</td>"
                    f"<td>{ok}</td></tr>")
    return ['<p>Every number on these slides is computed from the graph; the gradients are the engine\'s.</p>',
            "<table><tr><th>gradient</th><th>on the slides</th><th>the engine's w.grad</th>"
            "<th>finite differences: |difference|</th><th></th></tr>" + "".join(rows) + "</table>"]


def deck(lesson: str, seed: int | None = None, settings: dict | None = None) -> str:
    """The whole deck as one HTML document (``seed`` None: the lesson's own numbers)."""
    ex = build(lesson, seed, settings)
    title = f"chainrule: {lesson}"
    return ("<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{escape(title)}</title><style>{STYLE}</style></head><body><main>"
            + "".join(slides_of(ex))
            + f'</main><div id="counter"></div><script>{SCRIPT}</script></body></html>\n')
