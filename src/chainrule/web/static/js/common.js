// chainrule explorer: what every page shares.
//
// The pages compute nothing: they send their state to the server's JSON API
// and draw the answer. The state of a page lives in its URL (query string),
// so copying the address bar reproduces exactly what is on screen.
"use strict";

const CR = (() => {
  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

  // How often a request refused with 503 (every worker busy, the queue full) is sent again, after Retry-After.
  const BUSY_RETRIES = 5;

  /**
   * One request to the API: resolve to its JSON answer, or reject with the answer's one-line message, or say the
   * server is gone. A server whose workers are all busy answers 503 with Retry-After: the request is sent again
   * after those seconds, BUSY_RETRIES times at most; a 503 without it (the static explorer's Python could not
   * start) is final at once.
   */
  async function send(path, init) {
    let response;
    for (let attempt = 0; ; attempt++) {
      try {
        response = await fetch(path, init);
      } catch (err) {
        throw new Error("the explorer's server does not answer: is `chainrule serve` still running?");
      }
      if (response.status !== 503 || !response.headers.has("Retry-After") || attempt >= BUSY_RETRIES) break;
      const wait = Number(response.headers.get("Retry-After"));
      await sleep(1000 * (Number.isFinite(wait) && wait > 0 ? Math.min(wait, 10) : 1));
    }
    const data = await response.json().catch(() => ({}));
    if (!response.ok) {
      throw new Error(data.error || `the server answered HTTP ${response.status}`);
    }
    return data;
  }

  /** POST a JSON body to the API (see send). */
  const api = (path, body) =>
    send(path, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });

  /** GET a JSON answer from the API (see send). */
  const get = (path) => send(path, {});

  /**
   * Read the page state from the URL. `spec` maps each key to [type, default]
   * with type "number", "int", "string" or "list" (comma-separated numbers).
   * A value that does not parse falls back to the default.
   */
  function readState(spec) {
    const params = new URLSearchParams(window.location.search);
    const state = {};
    for (const [key, [type, fallback]] of Object.entries(spec)) {
      const raw = params.get(key);
      let value = fallback;
      if (raw !== null) {
        if (type === "number" || type === "int") {
          const x = Number(raw);
          if (raw.trim() !== "" && Number.isFinite(x)) value = type === "int" ? Math.trunc(x) : x;
        } else if (type === "list") {
          const xs = raw === "" ? [] : raw.split(",").map(Number);
          if (xs.every(Number.isFinite)) value = xs;
        } else {
          value = raw;
        }
      }
      state[key] = value;
    }
    return state;
  }

  /** Write the page state into the URL without adding a history entry per change. */
  function writeState(state) {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(state)) {
      if (value === null || value === undefined) continue;
      params.set(key, Array.isArray(value) ? value.join(",") : String(value));
    }
    const url = `${window.location.pathname}?${params.toString()}`;
    window.history.replaceState(null, "", url);
    const share = document.getElementById("share-link");
    if (share) share.href = url;
  }

  /** Show (or clear, with an empty message) the error line at the top of the page. */
  function showError(message) {
    const box = document.getElementById("error");
    if (!box) return;
    box.textContent = message || "";
    box.hidden = !message;
  }

  function setText(id, text) {
    const node = document.getElementById(id);
    if (node) node.textContent = text;
    return node;
  }

  /** Create an element: el("td", {class: "num"}, "1.2"). Text is always set as text, never as HTML. */
  function el(tag, attrs = {}, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs)) {
      if (key === "dataset") Object.assign(node.dataset, value);
      else node.setAttribute(key, value);
    }
    for (const child of children) {
      if (child === null || child === undefined) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  const SVG_NS = "http://www.w3.org/2000/svg";
  function svg(tag, attrs = {}, text) {
    const node = document.createElementNS(SVG_NS, tag);
    for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, value);
    if (text !== undefined) node.textContent = text;
    return node;
  }

  /** Plotly's settings shared by every chart: no toolbar, no logo link, fits its box. */
  const PLOT_CONFIG = { displayModeBar: false, responsive: true, displaylogo: false };
  const PLOT_LAYOUT = {
    margin: { l: 48, r: 12, t: 8, b: 40 },
    paper_bgcolor: "rgba(0,0,0,0)",
    plot_bgcolor: "#ffffff",
    font: { family: "system-ui, sans-serif", size: 12, color: "#1f2933" },
    showlegend: true,
    legend: { orientation: "h", x: 0, y: 1.02, yanchor: "bottom", font: { size: 11 } },
  };

  /**
   * Call `redraw` once plotly.js has arrived. The pages load it `async`, so the first render never waits
   * for its 4.8 MB: the numbers show at once and the charts are drawn when plotly is there.
   */
  function whenPlotly(redraw) {
    if (window.Plotly) return;
    const tag = document.querySelector('script[src$="plotly.min.js"]');
    if (tag) tag.addEventListener("load", () => redraw(), { once: true });
  }

  /** A text from the address as a line quotes it: in quotation marks, cut at 24 characters. */
  const quoted = (text) => `“${String(text).length > 24 ? String(text).slice(0, 23) + "…" : String(text)}”`;

  /**
   * The notes that say what the address asked for that the page does not use as it stands, and what it uses
   * instead: one line per key, shown in the element `id` (role="status") until `set(key, "")` or `clear(key)`,
   * when the reader changes that setting. They are notes, not errors: the page works with what they say.
   */
  function notes(id) {
    const lines = new Map();
    const render = () => {
      const box = document.getElementById(id);
      if (!box) return;
      box.replaceChildren(...[...lines].map(([key, text]) => el("p", { "data-key": key }, text)));
      box.hidden = !lines.size;
    };
    return {
      set(key, text) {
        if (text) lines.set(key, text); else lines.delete(key);
        render();
      },
      clear(...keys) {
        if (keys.some((k) => lines.delete(k))) render();
      },
      get: (key) => lines.get(key) || "",
    };
  }

  /**
   * What the address holds that the page does not read: keys that are not among `known` (one line for all of
   * them, under the key "ignored"), and a key given more than once (under its own key: the first is used).
   */
  function strayParameters(known) {
    const values = new Map();
    for (const [key, value] of new URLSearchParams(window.location.search)) {
      if (!values.has(key)) values.set(key, []);
      values.get(key).push(value);
    }
    const out = [];
    const unknown = [...values.keys()].filter((key) => !known.includes(key));
    if (unknown.length) {
      const listed = unknown.slice(0, 5).map(quoted).join(", ") + (unknown.length > 5 ? ` and ${unknown.length - 5} more` : "");
      out.push({ key: "ignored", text: `Ignored in the address: ${listed}, not ${unknown.length === 1 ? "a setting" : "settings"} ` +
        `of this page (its settings: ${known.join(", ")}).` });
    }
    for (const [key, given] of values) {
      if (known.includes(key) && given.length > 1) {
        out.push({ key, text: `${key} is given ${given.length} times in the address; the first, ${quoted(given[0])}, is used.` });
      }
    }
    return out;
  }

  /** Mark the moment the page first shows a computed number (the browser tests time what comes after it). */
  function firstNumber() {
    if (performance.getEntriesByName("chainrule:first-number").length === 0) performance.mark("chainrule:first-number");
  }

  return { api, get, readState, writeState, showError, setText, el, svg, PLOT_CONFIG, PLOT_LAYOUT, sleep, whenPlotly,
    quoted, notes, strayParameters, firstNumber };
})();
