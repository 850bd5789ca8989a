// Step through backprop: a lesson network's graph, its forward values, then
// the backward pass one edge at a time.
//
// /api/backprop sends the whole story at once: the nodes (with values), the
// edges (with local derivatives) and one event per edge in the order
// backpropagation visits them, with the running product and the running sum
// already computed by the engine. This page only decides how much of the
// story to show. State in the URL: lesson, forward (0/1), edge (events shown).
"use strict";

(() => {
  const SPEC = { lesson: ["string", "wide"], forward: ["int", 0], edge: ["int", 0] };
  const state = CR.readState(SPEC);
  let trace = null;

  // Geometry of the drawing (SVG user units).
  const COL = 150, ROW = 74, NODE_W = 104, NODE_H = 50, PAD = 16;

  async function load() {
    let data;
    try {
      data = await CR.api("/api/backprop", { lesson: state.lesson });
    } catch (err) {
      CR.showError(err.message);
      return;
    }
    CR.showError("");
    trace = data;
    state.edge = Math.min(Math.max(state.edge, 0), trace.events.length);
    if (state.edge > 0) state.forward = 1;
    CR.setText("summary", trace.summary || "");
    draw();
  }

  // --------------------------------------------------------------- the graph
  function position(node) {
    const rowsTall = Math.max(...trace.nodes.map((n) => n.rows));
    const x = PAD + node.col * COL;
    const offset = ((rowsTall - node.rows) * ROW) / 2; // centre short columns
    const y = PAD + offset + node.row * ROW;
    return { x, y, cx: x + NODE_W / 2, cy: y + NODE_H / 2 };
  }

  function drawGraph(shownGrad, active) {
    const svg = document.getElementById("graph");
    const rowsTall = Math.max(...trace.nodes.map((n) => n.rows));
    const width = PAD * 2 + (trace.columns - 1) * COL + NODE_W;
    const height = PAD * 2 + (rowsTall - 1) * ROW + NODE_H;
    svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
    svg.style.maxHeight = `${Math.max(260, Math.min(height * 1.25, 560))}px`;
    const pos = trace.nodes.map(position);
    const doneEdges = new Set(trace.events.slice(0, state.edge).map((e) => e.edge));
    const activeEdge = active ? active.edge : -1;

    const edges = trace.edges.map((e) => {
      const a = pos[e.source], b = pos[e.target];
      const x1 = a.x + NODE_W, y1 = a.cy, x2 = b.x, y2 = b.cy;
      const mx = (x1 + x2) / 2;
      const cls = e.id === activeEdge ? "edge active" : doneEdges.has(e.id) ? "edge done" : "edge";
      const group = CR.svg("g", { "data-edge": e.id });
      group.append(CR.svg("path", { class: cls, d: `M ${x1} ${y1} C ${mx} ${y1}, ${mx} ${y2}, ${x2} ${y2}` }));
      if (state.forward && (doneEdges.has(e.id) || e.id === activeEdge)) {
        // Once backprop has crossed an edge, its local derivative labels it.
        const t = 0.5;
        const lx = (1 - t) ** 3 * x1 + 3 * (1 - t) ** 2 * t * mx + 3 * (1 - t) * t ** 2 * mx + t ** 3 * x2;
        const ly = (1 - t) ** 3 * y1 + 3 * (1 - t) ** 2 * t * y1 + 3 * (1 - t) * t ** 2 * y2 + t ** 3 * y2;
        group.append(CR.svg("text", {
          class: e.id === activeEdge ? "edge-label active" : "edge-label", x: lx, y: ly - 4,
          "paint-order": "stroke", stroke: "#fff", "stroke-width": 3,
        }, e.local_text));
      }
      return group;
    });

    const nodes = trace.nodes.map((n, k) => {
      const p = pos[k];
      let cls = `node ${n.kind}`;
      if (active && n.id === active.target) cls += " active";
      if (active && n.id === active.source) cls += " receiving";
      const g = CR.svg("g", { class: cls, "data-node": n.id });
      g.append(CR.svg("rect", { x: p.x, y: p.y, width: NODE_W, height: NODE_H, rx: 8 }));
      g.append(CR.svg("title", {}, `${n.name}${n.op ? ` (operation ${n.op})` : ""}`));
      g.append(CR.svg("text", { class: "name", x: p.cx, y: p.y + 11 }, clip(n.name, 14)));
      g.append(CR.svg("text", { class: "val", x: p.cx, y: p.y + 25 }, state.forward ? n.value_text : "?"));
      const grad = shownGrad.get(n.id);
      g.append(CR.svg("text", { class: "grad", x: p.cx, y: p.y + 39, "data-grad": n.id }, grad ? `grad ${grad.text}` : ""));
      return g;
    });
    svg.replaceChildren(...edges, ...nodes);
  }

  const clip = (text, n) => (text.length > n ? text.slice(0, n - 1) + "…" : text);

  /** The gradient each node shows after the first `state.edge` events: the running sums. */
  function shownGradients() {
    const shown = new Map();
    if (state.edge > 0 || state.forward) {
      if (state.edge > 0 || trace.events.length === 0) {
        const cost = trace.nodes[trace.cost];
        shown.set(cost.id, { text: "1", value: 1 });
      }
    }
    for (const e of trace.events.slice(0, state.edge)) {
      shown.set(e.source, { text: e.text.after, value: e.after });
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
    if (active.complete) {
      const node = trace.nodes[active.source];
      children.push(CR.el("p", { class: "note" }, `Every path into ${node.name} has arrived: its gradient is final.`));
    }
    box.replaceChildren(...children);
  }

  function drawGradients(shown) {
    const order = { parameter: 0, input: 1, cost: 2 };
    const rows = trace.nodes
      .filter((n) => n.kind in order)
      .sort((a, b) => order[a.kind] - order[b.kind] || a.name.localeCompare(b.name, undefined, { numeric: true }))
      .map((n) => {
        const grad = shown.get(n.id);
        const final = state.edge === trace.events.length && state.forward;
        const cell = CR.el("td", { "data-node": n.id, class: "grad-cell" }, grad ? grad.text : "");
        if (grad) cell.dataset.value = String(grad.value);
        if (final) cell.dataset.final = "1";
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
        CR.el("h2", {}, "Every parameter: sum over paths of the product of local derivatives"),
        ...trace.derivations
          .filter((d) => trace.nodes[d.node].kind === "parameter")
          .map((d) => CR.el("p", { class: "deriv" }, `${d.formula}\n    ${d.numbers}`)),
      );
    } else {
      paths.replaceChildren();
    }
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
    document.getElementById("btn-backward").disabled = state.edge >= total;
    document.getElementById("btn-finish").disabled = state.edge >= total;
    document.getElementById("btn-back").disabled = state.edge === 0;
    document.getElementById("btn-forward").disabled = !!state.forward;
    document.getElementById("lesson").value = state.lesson;
  }

  // ----------------------------------------------------------------- controls
  async function start() {
    try {
      const limits = await fetch("/api/limits").then((r) => r.json());
      const select = document.getElementById("lesson");
      select.replaceChildren(...limits.lessons.map((name) => CR.el("option", { value: name }, name)));
      if (!limits.lessons.includes(state.lesson) && limits.lessons.length) {
        state.lesson = limits.lessons.includes("wide") ? "wide" : limits.lessons[limits.lessons.length - 1];
      }
    } catch (err) {
      CR.showError("the explorer's server does not answer");
    }
    document.getElementById("lesson").addEventListener("change", (e) => {
      state.lesson = e.target.value;
      state.forward = 0;
      state.edge = 0;
      load();
    });
    document.getElementById("btn-forward").addEventListener("click", () => { state.forward = 1; draw(); });
    document.getElementById("btn-backward").addEventListener("click", () => {
      state.forward = 1;
      state.edge = Math.min(trace.events.length, state.edge + 1);
      draw();
    });
    document.getElementById("btn-back").addEventListener("click", () => { state.edge = Math.max(0, state.edge - 1); draw(); });
    document.getElementById("btn-finish").addEventListener("click", () => {
      state.forward = 1;
      state.edge = trace.events.length;
      draw();
    });
    document.getElementById("btn-reset").addEventListener("click", () => { state.forward = 0; state.edge = 0; draw(); });
    load();
  }

  document.addEventListener("DOMContentLoaded", start);
})();
