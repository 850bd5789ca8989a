// Sets every formula of a page with KaTeX, served from this site (assets/katex/, copied from npm at build time).
// The pages' maths comes out of pymdownx.arithmatex as <span class="arithmatex">\(…\)</span> and
// <div class="arithmatex">\[…\]</div>; the table of contents repeats a heading's \(…\) as text, and the
// notebooks' Markdown keeps its $…$ and $$…$$: auto-render sets those.
// tests/test_docs_site.py renders the same formulas with the same KaTeX and fails on any it refuses.
(function () {
  "use strict";

  function typeset(root) {
    root.querySelectorAll(".arithmatex").forEach(function (el) {
      const text = el.textContent.trim();
      const display = el.tagName === "DIV";
      const tex = text.slice(2, -2);  // the \( \) or \[ \] around it
      katex.render(tex, el, { displayMode: display, throwOnError: false });
    });
    root.querySelectorAll(".md-nav--secondary").forEach(function (el) {
      renderMathInElement(el, {
        delimiters: [{ left: "\\(", right: "\\)", display: false }],
        throwOnError: false,
      });
    });
    root.querySelectorAll(".jupyter-wrapper").forEach(function (el) {
      renderMathInElement(el, {
        delimiters: [
          { left: "$$", right: "$$", display: true },
          { left: "$", right: "$", display: false },
        ],
        throwOnError: false,
      });
    });
  }

  // mkdocs-material's instant loading swaps pages without reloading: document$ says when one is shown
  if (typeof document$ !== "undefined") {
    document$.subscribe(function () { typeset(document.body); });
  } else {
    document.addEventListener("DOMContentLoaded", function () { typeset(document.body); });
  }
})();
