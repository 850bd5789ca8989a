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

// Pyodide says a file it could not load only on the console and then waits for ever: every file is asked for
// first (the answer's status only, the body left unread), so a folder copied in part is said on the page.
const PYODIDE = ["pyodide.asm.mjs", "pyodide.asm.wasm", "python_stdlib.zip", "pyodide-lock.json"];
async function present(paths) {
  await Promise.all(paths.map(async (path) => {
    const control = new AbortController();
    const response = await fetch(new URL(path, root), { signal: control.signal });
    control.abort();
    if (!response.ok) {
      throw new Error(`${path} is missing from the folder (HTTP ${response.status}): build it again with chainrule site`);
    }
  }));
}

async function start() {
  const manifest = await fetch(new URL("explorer.json", root)).then((r) => r.json());
  await present([...PYODIDE.map((f) => `pyodide/${f}`), ...manifest.wheels, manifest.bytecode, manifest.graphviz]);
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

const failed = (err) => postMessage({ failed: String(err && err.message ? err.message : err) });
// Pyodide reports a file it could not load (a folder copied in part) by an error it throws, not always by rejecting
self.addEventListener("unhandledrejection", (event) => failed(event.reason));
self.addEventListener("error", (event) => failed(event.message));
const ready = start();
ready.catch(failed);

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
