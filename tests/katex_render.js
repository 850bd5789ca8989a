// Render every formula given on stdin (a JSON list of {"tex": ..., "display": true|false}) with KaTeX, as a page
// would, and print a JSON list of {"index": k, "error": message} for those KaTeX refuses. Used by
// tests/test_equations.py; KaTeX comes from npm (package.json, installed into node_modules/ by `make test`).
const katex = require("katex");

let input = "";
process.stdin.on("data", (chunk) => { input += chunk; });
process.stdin.on("end", () => {
  const errors = [];
  JSON.parse(input).forEach((formula, index) => {
    try {
      katex.renderToString(formula.tex, { displayMode: formula.display, throwOnError: true, strict: "error" });
    } catch (e) {
      errors.push({ index, error: String(e.message) });
    }
  });
  process.stdout.write(JSON.stringify(errors));
});
