// chainrule's static explorer: chainrule's own Python, running in Pyodide in this worker, answers the pages.
//
// The page (python_backend.js) sends {id, method, path, body}; the worker answers {id, status, body} with
// chainrule.static_explorer.answers.answer(method, path, body): the same library calls as `chainrule serve`'s
// endpoints. Everything loads from this folder (explorer.json lists the files): Pyodide, chainrule's wheel and the
// pure-Python wheels it needs, and Graphviz compiled to WebAssembly for the step-through's layout. Python runs here,
// off the page's main thread, so the page never freezes while it loads or computes.
import { loadPyodide } from "../../pyodide/pyodide.mjs";

const root = new URL("../../", import.meta.url);
const started = performance.now();
const say = (stage, detail = {}) =>
  postMessage({ progress: { stage, seconds: (performance.now() - started) / 1000, ...detail } });

async function start() {
  const manifest = await fetch(new URL("explorer.json", root)).then((r) => r.json());
  say("python", { bytes: manifest.bytes.python });
  const graphviz = import(new URL(manifest.graphviz, root).href).then((m) => m.Graphviz.load());
  const pyodide = await loadPyodide({ indexURL: new URL("pyodide/", root).href, fullStdLib: false });
  say("chainrule", { bytes: manifest.bytes.wheels });
  const bytecode = fetch(new URL(manifest.bytecode, root)).then((r) => r.arrayBuffer());
  await pyodide.loadPackage(manifest.wheels.map((w) => new URL(w, root).href), { messageCallback: () => {} });
  // what the pages import, compiled when the folder was built: Python skips compiling it here
  const purelib = pyodide.runPython("import site; site.getsitepackages()[0]");
  pyodide.unpackArchive(await bytecode, "zip", { extractDir: purelib });
  const gv = await graphviz;
  self.chainruleDot = (source) => gv.layout(source, "json", "dot");
  say("import");
  pyodide.runPython(`
from js import chainruleDot
from chainrule.stepthrough import dot
dot.use(lambda source: chainruleDot(source))
from chainrule.static_explorer.answers import answer
`);
  say("ready");
  return pyodide.globals.get("answer");
}

const ready = start();
ready.catch((err) => postMessage({ failed: String(err && err.message ? err.message : err) }));

onmessage = async (event) => {
  const { id, method, path, body } = event.data;
  try {
    const answer = await ready;
    const result = answer(method, path, body);
    const [status, text] = result.toJs();
    result.destroy();
    postMessage({ id, status, body: text });
  } catch (err) {
    postMessage({ id, status: 500, body: JSON.stringify({ error: `chainrule's Python failed: ${err.message || err}` }) });
  }
};
