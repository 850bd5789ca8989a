// Step through backprop: a lesson network's graph, its forward values, then
// the backward pass one edge at a time.
//
// /api/backprop sends the whole story at once: the nodes (with values and the
// box dot placed them in), the edges (with local derivatives and their
// splines) and one event per edge in the order backpropagation visits them,
// with the running product and the running sum already computed by the engine.
// This page only decides how much of the story to show. State in the URL:
// lesson, forward (0/1), edge (events shown).
//
// Races: each request for a lesson takes a ticket; choosing another lesson or
// Reset makes older answers stale, and a stale answer never reaches the
// picture, the tables or the URL.
"use strict";

(() => {
  const SPEC = { lesson: ["string", "wide"], forward: ["int", 0], edge: ["int", 0] };
  const state = CR.readState(SPEC);
  let trace = null;
  let asked = 0; // numbers each request for a lesson; an answer with an older ticket is dropped
  let fromUrl = true; // the first lesson's step comes from the address: checked once its edges are known
  let lessonNote = ""; // what the address asked for that is not a lesson here
  // Where focus goes when the button that has it disables itself (so it never falls to the page).
  const NEXT_FOCUS = { "btn-forward": "btn-backward", "btn-backward": "btn-back", "btn-finish": "btn-back",
    "btn-back": "btn-backward" };

  async function load() {
    const ticket = ++asked;
    const lesson = state.lesson;
    document.querySelector("main").dataset.busy = "1";
    let data;
    try {
      data = await CR.api("/api/backprop", { lesson });
    } catch (err) {
      if (ticket === asked) {
        document.querySelector("main").dataset.busy = "0";
        CR.showError(err.message);
      }
      return;
    }
    if (ticket !== asked) return; // another lesson was chosen (or Reset pressed) since
    document.querySelector("main").dataset.busy = "0";
    trace = data;
    CR.showError(fromUrl ? [lessonNote, checkUrl()].filter(Boolean).join(" ") : "");
    fromUrl = false;
    if (state.edge > 0) state.forward = 1;
    CR.setText("summary", trace.summary || "");
    draw();
  }

  /**
   * The address's forward and edge, checked against this network once its edges are known: a value out of
   * range is not silently clamped; the page says what it shows instead (returns that sentence, or "").
   */
  function checkUrl() {
    const params = new URLSearchParams(window.location.search);
    const total = trace.events.length;
    const problems = [];
    const whole = (key, high) => {
      if (!params.has(key)) return null;
      const raw = params.get(key).trim();
      if (/^\d+$/.test(raw) && Number(raw) <= high) return Number(raw);
      problems.push(`${key} in the address: “${raw.slice(0, 24)}” is not allowed; allowed: a whole number from 0 to ${high}` +
        (key === "edge" ? ` (this network has ${total} edges)` : ""));
      return null;
    };
    const forward = whole("forward", 1);
    const edge = whole("edge", total);
    state.forward = forward === null ? 0 : forward;
    state.edge = edge === null ? (params.has("edge") && /^\d+$/.test(params.get("edge").trim()) ? total : 0) : edge;
    if (!problems.length) return "";
    return `${problems.join("; ")}. Showing ${state.edge ? `edge ${state.edge}` : "the start"} instead.`;
  }

  // --------------------------------------------------------------- the graph
  /** Shrink a text to `width` if the browser's font is wider than the layout counted (it never overflows). */
  function fit(text, width) {
    if (!text.textContent) return;
    const length = text.getComputedTextLength();
    if (length > width) {
      text.setAttribute("textLength", String(width));
      text.setAttribute("lengthAdjust", "spacingAndGlyphs");
    }
  }

  function drawGraph(shown, active) {
    const svg = document.getElementById("graph");
    svg.setAttribute("viewBox", `0 0 ${trace.width} ${trace.height}`);
    svg.style.maxWidth = `${trace.width}px`; // never blown up past its own size; scaled down to the width
    const crossed = new Set(trace.events.slice(0, state.edge).map((e) => e.edge));
    const activeEdge = active ? active.edge : -1;
    const defs = CR.svg("defs");
    for (const [id, cls] of [["arrow", "arrow"], ["arrow-done", "arrow done"], ["arrow-active", "arrow active"]]) {
      const marker = CR.svg("marker", { id, viewBox: "0 0 8 8", refX: 7, refY: 4, markerWidth: 6, markerHeight: 6, orient: "auto" });
      marker.append(CR.svg("path", { class: cls, d: "M 0 0 L 8 4 L 0 8 z" }));
      defs.append(marker);
    }
    const edges = trace.edges.map((e) => {
      const kind = e.id === activeEdge ? "active" : crossed.has(e.id) ? "done" : "";
      const marker = kind ? `url(#arrow-${kind})` : "url(#arrow)";
      return CR.svg("path", { class: `edge ${kind}`.trim(), d: e.path, "data-edge": e.id, "marker-end": marker });
    });
    const ports = new Map(); // node id → its ports' edges, by slot
    for (const e of trace.edges) {
      if (!ports.has(e.target)) ports.set(e.target, []);
      ports.get(e.target)[e.slot] = e;
    }
    const texts = [];
    const nodes = trace.nodes.map((n) => {
      const b = n.box;
      let cls = `node ${n.kind}`;
      if (active && n.id === active.target) cls += " active";
      if (active && n.id === active.source) cls += " receiving";
      const g = CR.svg("g", { class: cls, "data-node": n.id });
      g.append(CR.svg("title", {}, `${n.name}${n.op ? ` (operation ${n.op})` : ""}`));
      g.append(CR.svg("rect", { class: "box", x: b.x, y: b.y, width: b.w, height: b.h, rx: 6 }));
      (ports.get(n.id) || []).forEach((e, k) => {
        const p = b.ports[k];
        g.append(CR.svg("rect", { class: e.id === activeEdge ? "port active" : "port", x: p.x, y: p.y, width: p.w, height: p.h, "data-port": e.id }));
        const label = CR.svg("text", { class: e.id === activeEdge ? "port-label active" : "port-label", x: p.x + p.w / 2, y: p.y + p.h / 2, "data-edge-label": e.id },
          state.forward && (crossed.has(e.id) || e.id === activeEdge) ? e.local_text : "");
        g.append(label);
        texts.push([label, p.w - 2]);
      });
      const cx = b.body.x + b.body.w / 2;
      const grad = shown.get(n.id);
      const lines = [
        ["name", n.name],
        ["val", state.forward ? n.value_text : "?"],
        ["grad", grad ? grad.text : ""],
        ["so-far", grad && grad.partial ? trace.so_far : ""],
      ];
      lines.forEach(([kind, text], k) => {
        const t = CR.svg("text", { class: kind, x: cx, y: b.lines[k], ...(kind === "grad" ? { "data-grad": n.id } : {}) }, text);
        g.append(t);
        texts.push([t, b.body.w - 4]);
      });
      return g;
    });
    svg.replaceChildren(defs, ...edges, ...nodes);
    for (const [t, width] of texts) fit(t, width);
    CR.setText("graph-desc", describeGraph(shown, active));
  }

  /** The graph in words, for a screen reader (the tables below hold every number). */
  function describeGraph(shown, active) {
    const parts = [`The ${trace.lesson} network as a graph of ${trace.nodes.length} operations and ${trace.edges.length} edges,` +
      ` inputs on the left, the cost ${trace.cost_name} on the right.`];
    if (!state.forward) parts.push("The values are not computed yet.");
    else if (!active) parts.push(`Forward pass done: ${trace.cost_name} = ${trace.nodes[trace.cost].value_text}.`);
    else parts.push(`Edge ${state.edge} of ${trace.events.length}: ${active.text.chain} = ${active.text.numbers}; ${active.text.sum}.`);
    return parts.join(" ");
  }

  /** The gradient each node shows after the first `state.edge` events: the running sums, partial until complete. */
  function shownGradients() {
    const shown = new Map();
    if (state.forward && (state.edge > 0 || trace.events.length === 0)) {
      shown.set(trace.nodes[trace.cost].id, { text: "1", value: 1, partial: false });
    }
    for (const e of trace.events.slice(0, state.edge)) {
      shown.set(e.source, { text: e.text.after, value: e.after, partial: !e.complete });
    }
    return shown;
  }

  // ------------------------------------------------------------ side panels
  function drawEvent(active) {
    const box = document.getElementById("event");
    if (!state.forward) {
      box.replaceChildren(CR.el("p", { class: "note" }, "Press Forward to compute every node's value from the inputs."));
      return;
    }
    if (!active) {
      const text = trace.events.length
        ? `Forward pass done: ${trace.cost_name} = ${trace.nodes[trace.cost].value_text}. ` +
          `Backward starts at the cost with ∂${trace.cost_name}/∂${trace.cost_name} = 1.`
        : "This graph has no edges.";
      box.replaceChildren(CR.el("p", {}, text));
      return;
    }
    const t = active.text;
    const children = [
      CR.el("p", { class: "note" }, "running product × local derivative:"),
      CR.el("p", { class: "big" }, t.chain),
      CR.el("p", { class: "lines" }, t.formula),
      CR.el("p", { class: "big", id: "event-numbers" }, `= ${t.numbers}`),
    ];
    if (active.meets) {
      children.push(CR.el("p", { class: "meets" }, "Paths meet here: the chain rule adds this path to what already arrived."));
    }
    children.push(CR.el("p", { class: "big", id: "event-sum" }, t.sum));
    const node = trace.nodes[active.source];
    if (active.complete) {
      children.push(CR.el("p", { class: "note" }, `Every path into ${node.name} has arrived: its gradient is final.`));
    } else {
      children.push(CR.el("p", { class: "note so-far-note" },
        `${node.name}'s gradient so far: more paths into ${node.name} are still to arrive.`));
    }
    const code = codeLine(active);
    if (code) children.push(code);
    box.replaceChildren(...children);
  }

  /**
   * The line of generated code that performs this edge (chainrule code: issue 12), when the API sends it:
   * each event's `code`, a line of the lesson's straight-line backward pass.
   */
  function codeLine(active) {
    if (typeof active.code !== "string" || !active.code) return null;
    return CR.el("div", { class: "code-line" },
      CR.el("p", { class: "note" }, "the line of generated code that does it:"),
      CR.el("pre", { id: "event-code" }, CR.el("code", {}, active.code)));
  }

  function drawGradients(shown) {
    const order = { parameter: 0, input: 1, cost: 2 };
    const rows = trace.nodes
      .filter((n) => n.kind in order)
      .sort((a, b) => order[a.kind] - order[b.kind] || a.name.localeCompare(b.name, undefined, { numeric: true }))
      .map((n) => {
        const grad = shown.get(n.id);
        const cell = CR.el("td", { "data-node": n.id, class: "grad-cell" },
          grad ? grad.text : "", grad && grad.partial ? CR.el("span", { class: "so-far" }, ` (${trace.so_far})`) : null);
        if (grad) cell.dataset.value = String(grad.value);
        if (grad && !grad.partial && state.edge === trace.events.length && state.forward) cell.dataset.final = "1";
        if (grad && grad.partial) cell.dataset.partial = "1";
        return CR.el("tr", { dataset: { kind: n.kind } },
          CR.el("td", {}, n.kind === "parameter" ? CR.el("b", {}, n.name) : n.name),
          CR.el("td", {}, state.forward ? n.value_text : "?"),
          cell);
      });
    document.getElementById("grads").replaceChildren(...rows);
  }

  function drawDerivation() {
    const log = document.getElementById("log");
    const shown = trace.events.slice(0, state.edge);
    log.replaceChildren(
      ...shown.map((e, n) =>
        CR.el("p", { class: n === shown.length - 1 ? "deriv active" : "deriv" },
          `${n + 1}. ${e.text.chain} = ${e.text.numbers}   ⇒ ${e.text.sum}`)),
    );
    log.scrollTop = log.scrollHeight;
    const paths = document.getElementById("paths");
    if (state.forward && state.edge === trace.events.length && trace.events.length) {
      paths.replaceChildren(
        CR.el("h3", {}, "Every parameter: sum over paths of the product of local derivatives"),
        ...trace.derivations
          .filter((d) => trace.nodes[d.node].kind === "parameter")
          .map((d) => CR.el("p", { class: "deriv" }, `${d.formula}\n    ${d.numbers}`)),
      );
    } else {
      paths.replaceChildren();
    }
  }

  function setDisabled(id, disabled) {
    const button = document.getElementById(id);
    const focused = document.activeElement === button;
    button.disabled = disabled;
    return focused && disabled;
  }

  function draw() {
    CR.writeState(state);
    const total = trace.events.length;
    const active = state.edge > 0 ? trace.events[state.edge - 1] : null;
    const shown = shownGradients();
    drawGraph(shown, active);
    drawEvent(active);
    drawGradients(shown);
    drawDerivation();
    const main = document.querySelector("main");
    main.dataset.edge = String(state.edge);
    main.dataset.forward = String(state.forward);
    main.dataset.lesson = trace.lesson;
    main.dataset.done = state.forward && state.edge === total ? "1" : "0";
    CR.setText("progress", !state.forward ? "Values not computed yet."
      : `Backward: edge ${state.edge} of ${total}` + (state.edge === total ? " — every parameter has its gradient." : ""));
    const lostFocus = [
      ["btn-backward", state.edge >= total], ["btn-finish", state.edge >= total],
      ["btn-back", state.edge === 0], ["btn-forward", !!state.forward],
    ].filter(([id, disabled]) => setDisabled(id, disabled)).map(([id]) => id);
    if (lostFocus.length) {
      const next = [NEXT_FOCUS[lostFocus[0]], "btn-reset"].map((id) => document.getElementById(id)).find((b) => !b.disabled);
      next.focus();
    }
    document.getElementById("lesson").value = state.lesson;
  }

  // ----------------------------------------------------------------- controls
  async function start() {
    try {
      const limits = await fetch("/api/limits").then((r) => r.json());
      const select = document.getElementById("lesson");
      select.replaceChildren(...limits.lessons.map((name) => CR.el("option", { value: name }, name)));
      if (!limits.lessons.includes(state.lesson) && limits.lessons.length) {
        lessonNote = `lesson in the address: “${state.lesson.slice(0, 24)}” is not a network to step through; ` +
          `allowed: ${limits.lessons.join(", ")}. Showing ${limits.lessons.includes("wide") ? "wide" : limits.lessons[0]}.`;
        state.lesson = limits.lessons.includes("wide") ? "wide" : limits.lessons[0];
      }
    } catch (err) {
      CR.showError("the explorer's server does not answer: is `chainrule serve` still running?");
      return;
    }
    document.getElementById("lesson").addEventListener("change", (e) => {
      fromUrl = false;
      state.lesson = e.target.value;
      state.forward = 0;
      state.edge = 0;
      load();
    });
    const act = (change) => () => {
      if (!trace || trace.lesson !== state.lesson) return; // the lesson's answer has not arrived yet
      change();
      draw();
    };
    document.getElementById("btn-forward").addEventListener("click", act(() => { state.forward = 1; }));
    document.getElementById("btn-backward").addEventListener("click", act(() => {
      state.forward = 1;
      state.edge = Math.min(trace.events.length, state.edge + 1);
    }));
    document.getElementById("btn-back").addEventListener("click", act(() => { state.edge = Math.max(0, state.edge - 1); }));
    document.getElementById("btn-finish").addEventListener("click", act(() => {
      state.forward = 1;
      state.edge = trace.events.length;
    }));
    document.getElementById("btn-reset").addEventListener("click", act(() => { state.forward = 0; state.edge = 0; }));
    load();
  }

  document.addEventListener("DOMContentLoaded", start);
})();
