// chainrule's static explorer: the pages of `chainrule serve`, answered in the browser instead of by a server.
//
// This script loads before the page's own scripts. It hands every request the page makes to /api/... to a worker
// running chainrule's Python in Pyodide (python_worker.js) and gives the page the worker's answer as the server's
// HTTP response, so the page's code is the same on both back ends. A line at the foot of the page says what is
// loading; a service worker (sw.js) keeps the folder so that the pages work offline after the first visit.
"use strict";

(() => {
  const here = document.currentScript.src;
  const root = new URL("../../", here);
  const worker = new Worker(new URL("python_worker.js", here), { type: "module" });
  const waiting = new Map();
  let next = 0;

  // --------------------------------------------------------------- the loading line
  const line = document.createElement("p");
  line.id = "python-status";
  line.setAttribute("role", "status");
  line.className = "python-status";
  line.textContent = "Loading chainrule's Python into this page (first visit: about 25 MB, then kept offline)…";
  const place = () => document.body.append(line);
  if (document.body) place();
  else document.addEventListener("DOMContentLoaded", place);
  const mb = (bytes) => `${(bytes / 1e6).toFixed(1)} MB`;
  const STAGES = {
    python: (p) => `Loading Python (Pyodide, ${mb(p.bytes)})…`,
    chainrule: (p) => `Loading chainrule and sympy (${mb(p.bytes)})…`,
    import: () => "Starting chainrule…",
    ready: (p) => `chainrule's Python is running in this page (ready in ${p.seconds.toFixed(1)} s): no server needed.`,
  };

  // Python could not start (an old browser, a file missing from the folder): every request, waiting or to come,
  // is answered with that reason, which the page shows as it shows any refusal.
  let failure = null;
  const refusal = () => ({ status: 503, body: JSON.stringify({ error: failure }) });
  function fail(reason) {
    failure = `chainrule's Python could not start in this browser: ${reason}`;
    line.textContent = failure;
    line.dataset.stage = "failed";
    for (const resolve of waiting.values()) resolve(refusal());
    waiting.clear();
  }
  worker.onerror = (event) => fail(event.message || "its worker did not load");

  worker.onmessage = (event) => {
    const data = event.data;
    if (data.progress) {
      line.textContent = STAGES[data.progress.stage](data.progress);
      line.dataset.stage = data.progress.stage;
      if (data.progress.stage === "ready") {
        performance.mark("chainrule:python-ready");
        setTimeout(() => line.classList.add("done"), 4000);
      }
      return;
    }
    if (data.failed) {
      fail(data.failed);
      return;
    }
    const resolve = waiting.get(data.id);
    waiting.delete(data.id);
    if (resolve) resolve(data);
  };

  // ------------------------------------------------------------------ the API, answered here
  const nativeFetch = window.fetch.bind(window);
  window.fetch = async (input, init = {}) => {
    const url = new URL(typeof input === "string" || input instanceof URL ? input : input.url, location.href);
    const isApi = url.origin === location.origin && (url.pathname.startsWith("/api/") || url.pathname === "/openapi.json");
    if (!isApi) return nativeFetch(input, init);
    const method = (init.method || (input instanceof Request ? input.method : "GET")).toUpperCase();
    const body = typeof init.body === "string" ? init.body : "";
    if (failure) return new Response(refusal().body, { status: 503, headers: { "Content-Type": "application/json" } });
    const id = next++;
    const answered = new Promise((resolve) => waiting.set(id, resolve));
    worker.postMessage({ id, method, path: url.pathname, body });
    const { status, body: text } = await answered;
    return new Response(text, { status, headers: { "Content-Type": "application/json" } });
  };

  // ------------------------------------------------------------------ offline after the first visit
  if ("serviceWorker" in navigator && location.protocol.startsWith("http")) {
    navigator.serviceWorker.register(new URL("sw.js", root), { scope: root.pathname }).catch(() => {});
  }
})();
