// chainrule site: compile the static explorer's Python to bytecode once, with the folder's own Pyodide in Node.js.
//   node compile_bytecode.mjs PYODIDE_DIR OUT_ZIP WHEEL...
// Installs the wheels, then chainrule.static_explorer.bytecode.write() imports and exercises what the pages use
// and zips each imported module's bytecode (that module's docstring says why).
import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";

const [pyodideDir, out, ...wheels] = process.argv.slice(2);
const { loadPyodide } = await import(pathToFileURL(path.join(pyodideDir, "pyodide.mjs")).href);
const pyodide = await loadPyodide({ indexURL: pyodideDir + path.sep, stdout: () => {}, stderr: (s) => console.error(s) });
await pyodide.loadPackage(wheels, { messageCallback: () => {} });
const count = pyodide.runPython(`
from chainrule.static_explorer.bytecode import write
write("/tmp/bytecode.zip")
`);
fs.writeFileSync(out, pyodide.FS.readFile("/tmp/bytecode.zip"));
console.log(count);
