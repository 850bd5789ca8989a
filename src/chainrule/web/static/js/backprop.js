// Step through backprop: a lesson network's graph, its forward values, then
// the backward pass one edge at a time.
//
// /api/backprop sends the whole story at once: the nodes (with values and the
// box dot placed them in), the edges (with local derivatives and their
// splines) and one event per edge in the order backpropagation visits them,
// with the running product and the running sum already computed by the engine.
// This page only decides how much of the story to show. State in the URL:
// lesson, forward (0/1), edge (events shown), collapse (the layers folded).
//
// The graph is drawn once per lesson; a step only changes the classes and the
// texts that step changes. Its view (graphview.js) zooms and pans, and follows
// the active edge at a size that can be read. A layer (a column of the graph,
// as the server lays it out) can be folded into one box (collapse.js): a
// button per layer; a folded layer that holds an end of the edge being
// crossed is shown open while it does, and the page says so.
//
// Exercise mode ("I'll compute it", exercise.js): the story comes from
// /api/exercise/steps with the learner's numbers (seed), and each step is
// revealed only once the learner has computed it; the URL holds mode=exercise,
// the seed and the marks of the questions answered.
//
// Never silent: what the address asks for that is not used as it stands (an
// edge past the last, a lesson that is not here, an unknown key) is said in
// the notes above the graph, with what is shown instead, until that setting
// is changed.
//
// Races: each request takes a ticket; choosing another lesson, Reset, ◀ or a
// new mode makes older answers stale, and a stale answer never reaches the
// picture, the tables or the URL.
"use strict";

(() => {
  const SPEC = {
    lesson: ["string", "wide"], forward: ["int", 0], edge: ["int", 0],
    mode: ["string", ""], seed: ["string", ""], marks: ["string", ""], collapse: ["string", ""],
  };
  const KNOWN = Object.keys(SPEC);
  const state = CR.readState(SPEC);
  const notes = CR.notes("notes");
  let trace = null;
  let ex = null; // exercise mode: {questions, given, seed, marks, tries, feedback, pending, answers}
  let asked = 0; // numbers each request for a lesson; an answer with an older ticket is dropped
  let checking = 0; // numbers each answer sent for checking; moving on makes a pending one stale
  let fromUrl = true; // the first lesson's step comes from the address: checked once its edges are known
  let exerciseLessons = null; // the lessons whose step-through is also an exercise (from /api/limits)
  let drawn = null; // the graph drawn for the trace now shown: its elements, by node and edge id
  let view = null; // the graph's view (graphview.js)
  let folded = new Set(); // the layers the reader folded (collapse.js), by number: kept in the address
  // Where focus goes when the button that has it disables itself: never to the page, never onto Reset or ◀ (the
  // next Enter would wipe the run or walk it back): to the next step, or to the line that says where things stand.
  const NEXT_FOCUS = {
    "btn-forward": ["btn-backward", "progress"], "btn-backward": ["progress"], "btn-finish": ["progress"],
    "btn-back": ["btn-backward", "ex-answer", "progress"],
  };

  const exercising = () => state.mode === "exercise";
  const exercisable = (lesson) => !exerciseLessons || exerciseLessons.includes(lesson);
  /** Why a lesson's step-through is not an exercise, and where its exercise is instead. */
  const noExercise = (lesson) => `${lesson}: one question for each node and edge would be more than fit one ` +
    `sitting, so this network is stepped through, not asked; its exercise is in a terminal: chainrule exercise ${lesson}.`;

  async function load() {
    const ticket = ++asked;
    checking++;
    const lesson = state.lesson;
    if (exercising() && !exercisable(lesson)) { // never sent: the page says why, and steps through instead
      notes.set("mode", `mode=exercise in the address: exercise mode is not offered for ${lesson}; showing its ` +
        "step-through instead (the note below the controls says why).");
      Object.assign(state, { mode: "", seed: "", marks: "" });
    }
    const exercise = exercising();
    const seed = exercise ? EXERCISE.parseSeed(state.seed) : { seed: null, problem: "" };
    const main = document.querySelector("main");
    main.dataset.busy = "1";
    let data;
    try {
      data = exercise
        ? await CR.api("/api/exercise/steps", seed.seed === null ? { lesson } : { lesson, seed: seed.seed })
        : await CR.api("/api/backprop", { lesson });
    } catch (err) {
      if (ticket === asked) {
        main.dataset.busy = "0";
        CR.showError(exercise ? `exercise mode: ${err.message}` : err.message);
      }
      return;
    }
    if (ticket !== asked) return; // another lesson, mode or start was chosen since
    main.dataset.busy = "0";
    CR.showError("");
    if (fromUrl && seed.problem) notes.set("seed", seed.problem);
    if (exercise) {
      const next = Object.assign(data.trace, { lesson: data.lesson, summary: data.summary });
      if (!EXERCISE.follows(data.questions, next)) {
        CR.showError("exercise mode: the questions do not follow this network's backward pass");
        return;
      }
      trace = next;
      const parsed = EXERCISE.parseMarks(fromUrl ? state.marks : "", data.questions.length);
      if (fromUrl && parsed.problem) notes.set("marks", parsed.problem);
      if (fromUrl) { // the marks say where the learner stands: an edge or forward in the address is not read
        const params = new URLSearchParams(window.location.search);
        for (const key of ["edge", "forward"].filter((k) => params.has(k))) {
          notes.set(key, `${key} in the address is not read in exercise mode: the marks say how far the learner got ` +
            `(here: ${parsed.marks.length} of ${data.questions.length} answered).`);
        }
      }
      ex = { questions: data.questions, given: data.given, seed: seed.seed, marks: parsed.marks, tries: 0, feedback: null,
        pending: false, answers: {} }; // answers: the learner's last try at each question, by id, sent with the next
    } else {
      trace = data;
      ex = null;
      if (fromUrl) checkUrl();
    }
    if (fromUrl) { // the layers to fold, checked once this graph's layers are known
      const asked = COLLAPSE.parse(new URLSearchParams(window.location.search).get("collapse"), trace.layers.length);
      folded = new Set(asked.layers);
      if (asked.problem) notes.set("collapse", asked.problem);
    } else {
      folded = new Set([...folded].filter((k) => k <= trace.layers.length));
    }
    fromUrl = false;
    if (state.edge > 0) state.forward = 1;
    CR.setText("summary", trace.summary || "");
    buildGraph();
    draw();
    view.step(false); // an address with an edge opens on it
    CR.firstNumber();
  }

  /**
   * The address's forward and edge, checked against this network once its edges are known: a value out of
   * range is not silently clamped; the notes say what is shown instead.
   */
  function checkUrl() {
    const params = new URLSearchParams(window.location.search);
    const total = trace.events.length;
    const problems = [];
    const whole = (key, high) => {
      if (!params.has(key)) return null;
      const raw = params.get(key).trim();
      if (/^\d+$/.test(raw) && Number(raw) <= high) return Number(raw);
      problems.push([key, `${key} in the address: ${CR.quoted(raw)} is not allowed; allowed: a whole number from 0 to ${high}` +
        (key === "edge" ? ` (this network has ${total} edges)` : "")]);
      return null;
    };
    const forward = whole("forward", 1);
    const edge = whole("edge", total);
    state.forward = forward === null ? 0 : forward;
    state.edge = edge === null ? (params.has("edge") && /^\d+$/.test(params.get("edge").trim()) ? total : 0) : edge;
    const instead = state.edge ? `edge ${state.edge}` : state.forward ? "the forward pass" : "the start";
    for (const [key, text] of problems) notes.set(key, `${text}. Showing ${instead} instead.`);
  }

  /** In exercise mode the marks say how far the learner got: the forward values answered, the edges shown. */
  function followMarks() {
    if (!ex) return null;
    const at = EXERCISE.progress(ex.questions, ex.marks);
    state.forward = at.nodesDone === at.nodes ? 1 : 0;
    state.edge = at.edgesShown;
    return at;
  }

  /** Whether a node's value is shown: after Forward; in exercise mode, a given one or one the learner computed. */
  function valueShown(n, at) {
    if (!ex) return !!state.forward;
    if (n.kind === "parameter" || n.kind === "input") return true;
    const k = ex.questions.findIndex((q) => q.id === `node:${n.id}`);
    return k < 0 || k < at.nodesDone;
  }

  // --------------------------------------------------------------- the graph
  /** The graph's elements, made once per lesson: every box, port and edge, their texts empty until shown. */
  function buildGraph() {
    const svg = document.getElementById("graph");
    const defs = CR.svg("defs");
    for (const kind of ["", "done", "active", "asked", "mark-r", "mark-s", "mark-a"]) {
      const marker = CR.svg("marker", { id: kind ? `arrow-${kind}` : "arrow", viewBox: "0 0 8 8", refX: 7, refY: 4,
        markerWidth: 6, markerHeight: 6, orient: "auto" });
      marker.append(CR.svg("path", { class: `arrow ${kind}`.trim(), d: "M 0 0 L 8 4 L 0 8 z" }));
      defs.append(marker);
    }
    const edges = trace.edges.map((e) => CR.svg("path", { class: "edge", d: e.path, "data-edge": e.id, "marker-end": "url(#arrow)" }));
    const ports = new Map(); // node id → its ports' edges, by slot
    for (const e of trace.edges) {
      if (!ports.has(e.target)) ports.set(e.target, []);
      ports.get(e.target)[e.slot] = e;
    }
    const nodes = trace.nodes.map((n) => {
      const b = n.box;
      const g = CR.svg("g", { class: `node ${n.kind}`, "data-node": n.id });
      g.append(CR.svg("title", {}, `${n.name}${n.op ? ` (operation ${n.op})` : ""}`));
      g.append(CR.svg("rect", { class: "box", x: b.x, y: b.y, width: b.w, height: b.h, rx: 6 }));
      const portEls = (ports.get(n.id) || []).map((e, k) => {
        const p = b.ports[k];
        const rect = CR.svg("rect", { class: "port", x: p.x, y: p.y, width: p.w, height: p.h, "data-port": e.id });
        const label = CR.svg("text", { class: "port-label", x: p.x + p.w / 2, y: p.y + p.h / 2, "data-edge-label": e.id });
        g.append(rect, label);
        return { edge: e, rect, label, width: p.w - 2, on: "" };
      });
      const cx = b.body.x + b.body.w / 2;
      const line = (kind, k) => {
        const t = CR.svg("text", { class: kind, x: cx, y: b.lines[k], ...(kind === "grad" ? { "data-grad": n.id } : {}) });
        g.append(t);
        return t;
      };
      const name = line("name", 0);
      name.textContent = n.name;
      return { g, ports: portEls, name, val: line("val", 1), grad: line("grad", 2), soFar: line("so-far", 3),
        width: b.body.w - 4, cls: "" };
    });
    const edgeLayer = CR.svg("g", { class: "edges" });
    const nodeLayer = CR.svg("g", { class: "nodes" });
    edgeLayer.append(...edges);
    nodeLayer.append(...nodes.map((n) => n.g));
    // under the edges: each layer's folded box (shown while it is folded) and the column a layer button points
    // at; edges that only pass across a folded column stay drawn over its box
    const hint = CR.svg("rect", { class: "column-hint", x: 0, y: 0, width: 0, height: 0, rx: 8 });
    const folds = trace.layers.map((l) => {
      const b = l.box;
      const g = CR.svg("g", { class: "fold", "data-fold": l.layer, display: "none" });
      g.append(CR.svg("title", {}, `${l.label}, collapsed (press to open)`));
      g.append(CR.svg("rect", { class: "fold-box", x: b.x, y: b.y, width: b.w, height: b.h, rx: 8 }));
      const texts = l.lines.map((line, k) => { // their words are written while the layer is folded
        const t = CR.svg("text", { class: k === 0 ? "fold-name" : "fold-text", x: b.x + b.w / 2, y: l.baselines[k] });
        g.append(t);
        return t;
      });
      g.addEventListener("click", () => setFolded(l.layer, false));
      return { layer: l, g, texts, on: false };
    });
    const foldLayer = CR.svg("g", { class: "folds" });
    foldLayer.append(hint, ...folds.map((f) => f.g));
    const mergedLayer = CR.svg("g", { class: "merged-edges" });
    const layer = document.getElementById("graph-layer"); // the group the view moves (graphview.js)
    layer.replaceChildren(foldLayer, edgeLayer, mergedLayer, nodeLayer);
    svg.replaceChildren(defs, layer);
    buildFoldButtons(hint);
    // the width of one character of the graph's monospace font, measured once: every text's width follows from it
    const probe = CR.svg("text", { class: "val", x: 0, y: -100 }, "0".repeat(20));
    nodes[0].g.append(probe);
    const charWidth = probe.getComputedTextLength() / 20;
    probe.remove();
    drawn = { lesson: trace.lesson, edges: edges.map((path) => ({ path, cls: "" })), nodes, charWidth, log: 0, program: null,
      overviewOn: -1, folds, mergedLayer, foldKey: null };
    for (const n of nodes) fit(n.name, n.width);
    view.setGraph(trace.width, trace.height, drawOverview);
  }

  /** The overview: every box and edge, small, coloured by kind; the active edge is marked as the page moves. */
  function drawOverview(svg) {
    const edges = trace.edges.map((e) => CR.svg("path", { class: "o-edge", d: e.path, "data-edge": e.id }));
    const boxes = trace.nodes.map((n) => CR.svg("rect", { class: `o-node ${n.kind}`, x: n.box.x, y: n.box.y,
      width: n.box.w, height: n.box.h, rx: 4, "data-node": n.id }));
    const folds = trace.layers.map((l) => CR.svg("rect", { class: "o-fold", x: l.box.x, y: l.box.y, width: l.box.w,
      height: l.box.h, rx: 4, "data-fold": l.layer, display: "none" }));
    svg.append(CR.svg("rect", { class: "o-paper", x: 0, y: 0, width: trace.width, height: trace.height }), ...folds, ...edges,
      ...boxes);
    drawn.overview = { edges, boxes, folds };
  }

  // --------------------------------------------------------- folded layers
  /** A button per layer of this graph (the server's columns), pressed while that layer is folded. */
  function buildFoldButtons(hint) {
    const showHint = (l) => {
      const b = l ? l.box : { x: 0, y: 0, w: 0, h: 0 };
      for (const [key, value] of Object.entries({ x: b.x - 4, y: b.y - 4, width: b.w + 8, height: b.h + 8 })) {
        hint.setAttribute(key, l ? value : 0);
      }
    };
    const buttons = trace.layers.map((l) => {
      const button = CR.el("button", { type: "button", class: "fold-button", "data-layer": l.layer, "aria-pressed": "false",
        "aria-label": `Collapse layer ${l.layer}: ${l.text}`, title: `layer ${l.layer}: ${l.text}` }, String(l.layer));
      button.addEventListener("click", () => setFolded(l.layer, !folded.has(l.layer)));
      for (const type of ["mouseenter", "focus"]) button.addEventListener(type, () => showHint(l));
      for (const type of ["mouseleave", "blur"]) button.addEventListener(type, () => showHint(null));
      return button;
    });
    document.getElementById("fold-buttons").replaceChildren(...buttons);
  }

  /** The reader folds (or opens) layer `layer`: the address keeps it, and a note about collapse= has had its say. */
  function setFolded(layer, on) {
    if (!trace || !trace.layers.some((l) => l.layer === layer)) return;
    if (on) folded.add(layer); else folded.delete(layer);
    notes.clear("collapse");
    draw();
  }

  /** The nodes the view follows now (focusOf): the asked node, or the two ends of the asked or active edge. */
  function focusNodes(active, askedNow) {
    if (askedNow && askedNow.kind === "node") return [askedNow.id];
    const e = askedNow && askedNow.kind === "edge" ? trace.edges[askedNow.id] : active ? trace.edges[active.edge] : null;
    return e ? [e.source, e.target] : [];
  }

  /**
   * The folded layers as they are drawn now: every folded layer is one box, except one that holds an end of the
   * edge being crossed (or the question asked), shown open while it does, so the learner never loses it. The
   * edges into and out of a box are merged (collapse.js), one line per neighbour; returns the edges drawn as they
   * are (a Set of ids) and the layers shown open because of the focus.
   */
  function drawFolds(active, askedNow, crossed) {
    const focus = new Set(focusNodes(active, askedNow).map((id) => trace.nodes[id].layer));
    const held = [...folded].filter((k) => focus.has(k)).sort((a, b) => a - b);
    const shut = new Set([...folded].filter((k) => !focus.has(k)));
    const key = [...shut].sort((a, b) => a - b).join(",");
    for (const [k, f] of drawn.folds.entries()) {
      const on = shut.has(f.layer.layer);
      if (f.on === on) continue;
      f.on = on;
      f.texts.forEach((t, line) => {
        t.textContent = on ? f.layer.lines[line] : "";
        fit(t, f.layer.box.w - 8);
      });
      f.g.setAttribute("display", on ? "inline" : "none");
      drawn.overview.folds[k].setAttribute("display", on ? "inline" : "none");
    }
    if (drawn.foldKey !== key) {
      drawn.foldKey = key;
      const { kept, merged } = COLLAPSE.merge(trace, shut);
      drawn.kept = new Set(kept);
      const name = (end) => ("layer" in end ? `layer ${end.layer}` : trace.nodes[end.node].name);
      drawn.merged = merged.map((group) => {
        const path = CR.svg("path", { class: "edge merged", d: COLLAPSE.line(trace, group), "marker-end": "url(#arrow)",
          "data-merged": group.edges.join(",") });
        const n = group.edges.length;
        path.append(CR.svg("title", {}, `${n} ${n === 1 ? "edge" : "edges merged"}: from ${name(group.from)} to ${name(group.to)}`));
        return { group, path, cls: "edge merged" };
      });
      drawn.mergedLayer.replaceChildren(...drawn.merged.map((m) => m.path));
      trace.nodes.forEach((n, k) => drawn.overview.boxes[k].setAttribute("display", shut.has(n.layer) ? "none" : "inline"));
      trace.edges.forEach((e, k) => drawn.overview.edges[k].setAttribute("display", drawn.kept.has(e.id) ? "inline" : "none"));
    }
    for (const m of drawn.merged) { // a merged line is done once every edge it stands for has been crossed
      const cls = m.group.edges.every((id) => crossed.has(id)) ? "edge merged done" : "edge merged";
      if (m.cls !== cls) m.path.setAttribute("marker-end", cls.endsWith("done") ? "url(#arrow-done)" : "url(#arrow)");
      setClass(m, m.path, cls);
    }
    for (const button of document.querySelectorAll("#fold-buttons .fold-button")) {
      const layer = Number(button.dataset.layer);
      button.setAttribute("aria-pressed", folded.has(layer) ? "true" : "false");
      if (held.includes(layer)) button.dataset.held = "1"; else delete button.dataset.held;
    }
    const what = ex ? "the question asked" : "the edge being crossed";
    const list = (ks) => `${ks.length === 1 ? "layer" : "layers"} ${ks.join(", ")}`;
    CR.setText("fold-status", !folded.size ? "" : held.length
      ? `Collapsed: ${list([...folded].sort((a, b) => a - b))}. ${list(held).replace(/^l/, "L")} ${held.length === 1 ? "is" : "are"} ` +
        `shown open while ${what} is in ${held.length === 1 ? "it" : "them"}, and folds again after.`
      : `Collapsed: ${list([...folded].sort((a, b) => a - b))}; the buttons open ${folded.size === 1 ? "it" : "them"}.`);
    const main = document.querySelector("main");
    main.dataset.collapsed = key;
    main.dataset.held = held.join(",");
    return drawn.kept;
  }

  /**
   * Shrink a text to `width` if the browser's font is wider than the layout counted (it never overflows). The
   * font is monospace: a text's width is its characters times the width of one, measured once per graph, so no
   * step forces a layout to measure its texts.
   */
  function fit(text, width) {
    const long = [...text.textContent].length * drawn.charWidth > width;
    if (long === text.hasAttribute("textLength")) return;
    if (long) {
      text.setAttribute("textLength", String(width));
      text.setAttribute("lengthAdjust", "spacingAndGlyphs");
    } else {
      text.removeAttribute("textLength");
      text.removeAttribute("lengthAdjust");
    }
  }

  /** Set a text if it changed; the changed ones are measured once all are set (one layout, not one per text). */
  function setText(t, text, width, changed) {
    if (t.textContent === text) return;
    t.textContent = text;
    changed.push([t, width]);
  }

  function setClass(item, el, cls) {
    if (item.cls === cls) return;
    item.cls = cls;
    el.setAttribute("class", cls);
  }

  function drawGraph(shown, active, at) {
    const crossed = new Set(trace.events.slice(0, state.edge).map((e) => e.edge));
    const marks = ex ? EXERCISE.classes(ex.questions, ex.marks) : { node: new Map(), edge: new Map() };
    const askedNow = ex && at.current ? EXERCISE.about(at.current) : null;
    const wrong = ex && ex.feedback && ex.feedback.kind === "wrong" ? " wrong" : "";
    const highlighted = ex ? -1 : active ? active.edge : -1; // the exercise colours edges by their marks instead
    const changed = [];
    const kept = drawFolds(active, askedNow, crossed);
    let on = -1;
    trace.edges.forEach((e, k) => {
      let kind = e.id === highlighted ? "active" : marks.edge.get(e.id) || (crossed.has(e.id) ? "done" : "");
      if (askedNow && askedNow.kind === "edge" && askedNow.id === e.id) kind = "asked";
      const item = drawn.edges[k];
      const cls = `edge ${kind}${kind === "asked" ? wrong : ""}${kept.has(e.id) ? "" : " folded"}`.replace(/ +/g, " ").trim();
      if (item.cls !== cls) item.path.setAttribute("marker-end", kind ? `url(#arrow-${kind})` : "url(#arrow)");
      setClass(item, item.path, cls);
      if (kind === "active" || kind === "asked") on = k;
    });
    if (on !== drawn.overviewOn) { // the overview marks the edge being crossed (or asked)
      if (drawn.overviewOn >= 0) drawn.overview.edges[drawn.overviewOn].setAttribute("class", "o-edge");
      if (on >= 0) drawn.overview.edges[on].setAttribute("class", "o-edge on");
      drawn.overviewOn = on;
    }
    const askedEdge = askedNow && askedNow.kind === "edge" ? trace.edges[askedNow.id] : null;
    trace.nodes.forEach((n, k) => {
      const item = drawn.nodes[k];
      let cls = `node ${n.kind}`;
      if (!ex && active && n.id === active.target) cls += " active";
      if (!ex && active && n.id === active.source) cls += " receiving";
      if (marks.node.has(n.id)) cls += ` ${marks.node.get(n.id)}`;
      if (askedNow && askedNow.kind === "node" && askedNow.id === n.id) cls += ` asked${wrong}`;
      if (askedEdge && (askedEdge.source === n.id || askedEdge.target === n.id)) cls += " asked-edge";
      if (drawn.folds[n.layer - 1].on) cls += " folded"; // inside a folded layer's box
      setClass(item, item.g, cls);
      for (const p of item.ports) {
        const on = p.edge.id === highlighted ? " active" : "";
        if (p.on !== on) {
          p.on = on;
          p.rect.setAttribute("class", `port${on}`);
          p.label.setAttribute("class", `port-label${on}`);
        }
        setText(p.label, state.forward && crossed.has(p.edge.id) ? p.edge.local_text : "", p.width, changed);
      }
      const grad = shown.get(n.id);
      setText(item.val, valueShown(n, at) ? n.value_text : "?", item.width, changed);
      setText(item.grad, grad ? grad.text : "", item.width, changed);
      setText(item.soFar, grad && grad.partial ? trace.so_far : "", item.width, changed);
    });
    for (const [t, width] of changed) fit(t, width);
    CR.setText("graph-desc", describeGraph(active, at));
    view.setFocus(focusOf(active, askedNow));
  }

  /** What the view follows: the active edge (its port, and the box its gradient goes to), or the asked node. */
  function focusOf(active, askedNow) {
    const port = (e) => trace.nodes[e.target].box.ports[e.slot];
    if (askedNow && askedNow.kind === "node") {
      const box = trace.nodes[askedNow.id].box;
      return { anchor: box, source: box, label: "" };
    }
    const e = askedNow && askedNow.kind === "edge" ? trace.edges[askedNow.id] : active ? trace.edges[active.edge] : null;
    if (!e) return null;
    const source = trace.nodes[e.source];
    // off screen, the source's button says what the edge has just sent it (never an answer still to compute)
    const label = !ex && active ? active.text.sum : `from ${source.name}`;
    return { anchor: port(e), source: source.box, label };
  }

  /** The graph in words, for a screen reader (the tables below hold every number). */
  function describeGraph(active, at) {
    const parts = [`The ${trace.lesson} network as a graph of ${trace.nodes.length} operations and ${trace.edges.length} edges,` +
      ` inputs on the left, the cost ${trace.cost_name} on the right.`];
    const shut = drawn.folds.filter((f) => f.on).map((f) => `${f.layer.label}`);
    if (shut.length) parts.push(`Collapsed into one box each: ${shut.join("; ")}.`);
    if (ex && at.current) parts.push(`Your turn: ${at.current.prompt}`);
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
  /** What the last revealed edge did: the running product, the local derivative, the sum where paths meet. */
  function explainEvent(active) {
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
    return children;
  }

  function drawEvent(active, at) {
    const box = document.getElementById("event");
    const bar = document.getElementById("ex-bar");
    bar.hidden = !ex;
    if (ex) {
      bar.replaceChildren(...exercisePanel(at));
      box.replaceChildren(...(active ? explainEvent(active) : [CR.el("p", { class: "note" }, state.forward
        ? "Forward pass done. Now backward: the running product along each edge, starting at the cost."
        : "First the forward pass: the value of each node, from the numbers given.")]));
      return;
    }
    bar.replaceChildren();
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
    box.replaceChildren(...explainEvent(active));
  }

  /**
   * The line of generated code that performs this edge (chainrule.compile: issue 12), when the API sends it:
   * each event's `code`, one line of the lesson's straight-line backward pass, and the whole program with
   * that line marked (`program`, the line's number `code_line`).
   */
  function codeLine(active) {
    if (typeof active.code !== "string" || !active.code) return null;
    const parts = [CR.el("p", { class: "note" }, "the line of generated code that does it:"),
      CR.el("pre", { id: "event-code", tabindex: "0" }, CR.el("code", {}, active.code))];
    if (typeof trace.program === "string" && Number.isInteger(active.code_line)) {
      if (!drawn.program) { // made once per lesson (and kept open or closed as the reader left it)
        const lines = trace.program.split("\n").map((line) => CR.el("span", { class: "line" }, `${line}\n`));
        drawn.program = { lines, current: null, details: CR.el("details", {},
          CR.el("summary", {}, "the whole program (forward, then one line per edge)"),
          CR.el("pre", { class: "program", tabindex: "0" }, CR.el("code", {}, ...lines))) };
      }
      const program = drawn.program;
      if (program.current) program.current.className = "line";
      program.current = program.lines[active.code_line - 1] || null;
      if (program.current) program.current.className = "line current";
      parts.push(program.details);
    }
    return CR.el("div", { class: "code-line" }, ...parts);
  }

  /** The exercise's question now, the answer box, and what the last answer got. */
  function exercisePanel(at) {
    // the givens as the page writes every number: a real minus sign (the answer box takes it back as typed)
    const given = ex.given.map((g) => `${g.symbol} = ${String(g.value).replace(/^-/, "−")}`).join(", ");
    const out = [CR.el("p", { class: "note" },
      `Your numbers${ex.seed === null ? " (the lesson's own)" : ` (seed ${ex.seed})`}: ${given}. ` +
      "Answer with a number, to 3 significant digits, or a formula in these symbols.")];
    if (ex.feedback) {
      const f = ex.feedback;
      out.push(CR.el("p", { class: `feedback ${f.kind}`, id: "ex-feedback", role: "status", "data-kind": f.kind,
        "data-mistake": f.mistake || "" }, f.text, f.note ? CR.el("span", { class: "hint" }, ` ${f.note}`) : null));
    }
    if (!at.current) {
      out.push(CR.el("p", { class: "big", id: "ex-done", tabindex: "-1" }, `Done! ${EXERCISE.score(ex.marks, ex.questions.length)}.`));
      return out;
    }
    const q = at.current;
    // a full keyboard (no inputmode): an answer may be negative (−1.5, the minus sign the page prints, or -1.5)
    // or a formula, and a phone's decimal pad has no minus sign
    const input = CR.el("input", { id: "ex-answer", type: "text", autocomplete: "off", autocapitalize: "off",
      spellcheck: "false", "aria-describedby": ex.feedback ? "ex-error ex-feedback" : "ex-error" });
    const form = CR.el("form", { id: "ex-form", class: "ex-form" },
      CR.el("label", { for: "ex-answer", class: "big", id: "ex-prompt" }, q.prompt),
      input, CR.el("button", { type: "submit", class: "primary", id: "btn-check" }, "Check"));
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      submit(q, input.value);
    });
    out.push(CR.el("p", { class: "note", id: "ex-progress" },
      `Question ${at.index + 1} of ${ex.questions.length}` +
      (q.id.startsWith("node:") ? " (forward pass: the value of a node)" : " (backward pass: the running product along the dashed edge)") +
      (ex.tries ? ` · try ${ex.tries + 1} of ${EXERCISE.TRIES}` : "")), form,
    CR.el("p", { class: "field-error", id: "ex-error", hidden: "" }));
    return out;
  }

  /**
   * Send one answer for checking; a right one (or a second miss) reveals the step. The Check button stays
   * enabled while the mark is on its way (a focused button that disabled itself would drop the focus): a
   * second press meanwhile is answered in words, not sent.
   */
  async function submit(question, answer) {
    const error = document.getElementById("ex-error");
    const shownError = (message) => {
      error.textContent = message;
      error.hidden = !message;
      document.getElementById("ex-answer").setAttribute("aria-invalid", message ? "true" : "false");
    };
    if (ex.pending) {
      shownError("your answer: the last one is still being checked; a moment");
      return;
    }
    if (!answer.trim()) {
      shownError(`your answer: no value; allowed: a number (like −1.5) or a formula in the symbols ${question.symbols.join(", ")}`);
      return;
    }
    const ticket = ++checking;
    const body = { lesson: trace.lesson, question: question.id, answer };
    if (ex.seed !== null) body.seed = ex.seed;
    const before = EXERCISE.earlier(ex.questions, ex.answers, ex.questions.indexOf(question));
    if (before.length) body.earlier = before;
    ex.pending = true;
    document.getElementById("btn-check").setAttribute("aria-busy", "true");
    notes.clear("marks");
    let verdict;
    try {
      verdict = await CR.api("/api/exercise/check", body);
    } catch (err) {
      if (ticket === checking) {
        ex.pending = false;
        document.getElementById("btn-check").removeAttribute("aria-busy");
        shownError(`your answer: ${err.message}`); // not an answer (nothing was counted): said on the field
      }
      return;
    }
    if (ticket !== checking) return; // the learner moved on (◀, Reset, another lesson) before the mark arrived
    ex.pending = false;
    ex.answers[question.id] = answer; // their own number, carried into the next checks
    const tries = ex.tries + (verdict.correct ? 0 : 1);
    ex.feedback = Object.assign(EXERCISE.feedback(verdict, tries), { mistake: verdict.mistake });
    if (verdict.correct) {
      ex.marks += ex.tries ? "s" : "r";
      ex.tries = 0;
    } else if (tries >= EXERCISE.TRIES) {
      ex.marks += "a";
      ex.tries = 0;
    } else {
      ex.tries = tries;
    }
    draw({ step: true });
    const next = document.getElementById("ex-answer") || document.getElementById("ex-done");
    if (next) next.focus();
  }

  function drawGradients(shown, at) {
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
          CR.el("td", {}, valueShown(n, at) ? n.value_text : "?"),
          cell);
      });
    document.getElementById("grads").replaceChildren(...rows);
  }

  /** Every edge crossed so far, one line each, the last one marked; a step adds or takes away one line. */
  function drawDerivation() {
    const log = document.getElementById("log");
    const line = (n) => {
      const e = trace.events[n];
      return CR.el("p", { class: "deriv" }, `${n + 1}. ${e.text.chain} = ${e.text.numbers}   ⇒ ${e.text.sum}`);
    };
    const had = drawn.log;
    if (state.edge === had + 1 && log.childElementCount === had) log.append(line(had));
    else if (state.edge === had - 1 && log.childElementCount === had) log.lastElementChild.remove();
    else if (state.edge !== had || log.childElementCount !== had) {
      log.replaceChildren(...trace.events.slice(0, state.edge).map((_, n) => line(n)));
    }
    drawn.log = state.edge;
    const active = log.querySelector(".deriv.active");
    if (active) active.className = "deriv";
    if (log.lastElementChild) log.lastElementChild.className = "deriv active";
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

  function writeUrl() {
    const url = { lesson: state.lesson, forward: state.forward, edge: state.edge,
      collapse: folded.size ? [...folded].sort((a, b) => a - b).join(",") : null };
    if (ex) Object.assign(url, { mode: "exercise", seed: ex.seed === null ? null : ex.seed, marks: ex.marks });
    CR.writeState(url);
  }

  /** Draw the state; `step`: the reader moved through the story, so the view follows again. */
  function draw({ step = false } = {}) {
    const at = followMarks();
    writeUrl();
    const total = trace.events.length;
    const active = state.edge > 0 ? trace.events[state.edge - 1] : null;
    const shown = shownGradients();
    drawGraph(shown, active, at);
    drawEvent(active, at);
    drawGradients(shown, at);
    drawDerivation();
    const main = document.querySelector("main");
    main.dataset.edge = String(state.edge);
    main.dataset.forward = String(state.forward);
    main.dataset.lesson = trace.lesson;
    main.dataset.done = state.forward && state.edge === total && (!ex || !at.current) ? "1" : "0";
    main.dataset.mode = ex ? "exercise" : "";
    main.dataset.marks = ex ? ex.marks : "";
    CR.setText("progress", ex ? EXERCISE.score(ex.marks, ex.questions.length) + "."
      : !state.forward ? "Values not computed yet."
        : `Backward: edge ${state.edge} of ${total}` + (state.edge === total ? " — every parameter has its gradient." : ""));
    for (const id of ["btn-forward", "btn-backward", "btn-finish"]) document.getElementById(id).hidden = !!ex;
    document.getElementById("btn-new-numbers").hidden = !ex;
    document.getElementById("exercise-legend").hidden = !ex;
    const switcher = document.getElementById("exercise-switch");
    switcher.checked = !!ex;
    switcher.disabled = !ex && !exercisable(state.lesson);
    const why = document.getElementById("exercise-note");
    why.hidden = !switcher.disabled;
    why.textContent = switcher.disabled ? noExercise(state.lesson) : "";
    switcher.setAttribute("aria-checked", ex ? "true" : "false");
    const lostFocus = [
      ["btn-backward", state.edge >= total], ["btn-finish", state.edge >= total],
      ["btn-back", ex ? !ex.marks.length : state.edge === 0], ["btn-forward", !!state.forward],
    ].filter(([id, disabled]) => setDisabled(id, disabled)).map(([id]) => id);
    if (lostFocus.length) {
      const next = NEXT_FOCUS[lostFocus[0]].map((id) => document.getElementById(id))
        .find((b) => b && !b.disabled && !b.hidden);
      if (next) next.focus();
    }
    document.getElementById("lesson").value = state.lesson;
    if (step) view.step();
  }

  // ----------------------------------------------------------------- controls
  /** A change of where the page stands: a pending check answers a question no longer asked. */
  function moved() {
    checking++;
    if (ex) {
      ex.tries = 0;
      ex.feedback = null;
      ex.pending = false;
    }
  }

  async function start() {
    document.getElementById("graph").append(CR.svg("g", { id: "graph-layer" }));
    view = GRAPHVIEW.create(document.getElementById("graph-view"), document.getElementById("graph-layer"), {
      overview: document.getElementById("overview"), source: document.getElementById("btn-source"),
      followButton: document.getElementById("btn-follow"),
    });
    document.getElementById("btn-zoom-in").addEventListener("click", () => view.zoomIn());
    document.getElementById("btn-zoom-out").addEventListener("click", () => view.zoomOut());
    document.getElementById("btn-whole").addEventListener("click", () => view.whole());
    document.getElementById("btn-follow").addEventListener("click", () => view.follow());
    document.getElementById("btn-unfold-all").addEventListener("click", () => {
      if (!trace) return;
      folded.clear();
      notes.clear("collapse");
      draw();
    });
    for (const { key, text } of CR.strayParameters(KNOWN)) notes.set(key, text);
    // the layer buttons in sight on a laptop; on a phone, a line that opens them (unless the address folds a layer)
    document.getElementById("fold-tools").open = window.matchMedia("(min-width: 701px)").matches || !!state.collapse.trim();
    try {
      const limits = await CR.get("/api/limits");
      const select = document.getElementById("lesson");
      select.replaceChildren(...limits.lessons.map((name) => CR.el("option", { value: name }, name)));
      exerciseLessons = limits.exercise_lessons;
      if (!limits.lessons.includes(state.lesson) && limits.lessons.length) {
        const instead = limits.lessons.includes("wide") ? "wide" : limits.lessons[0];
        notes.set("lesson", `lesson in the address: ${CR.quoted(state.lesson)} is not a network to step through; ` +
          `allowed: ${limits.lessons.join(", ")}. Showing ${instead} instead.`);
        state.lesson = instead;
      }
    } catch (err) {
      CR.showError(err.message);
      return;
    }
    if (state.mode && state.mode !== "exercise") {
      notes.set("mode", `mode in the address: ${CR.quoted(state.mode)} is not a mode; allowed: exercise. ` +
        "Showing the step-through instead.");
      state.mode = "";
    }
    if (!exercising()) {
      for (const key of ["seed", "marks"]) {
        if (new URLSearchParams(window.location.search).has(key)) {
          notes.set(key, `${key} in the address is read only in exercise mode (mode=exercise); ignored.`);
        }
      }
    }
    document.getElementById("lesson").addEventListener("change", (e) => {
      fromUrl = false;
      moved();
      notes.clear("lesson", "mode", "forward", "edge", "seed", "marks", "collapse");
      folded = new Set(); // another graph, other layers
      state.lesson = e.target.value;
      state.forward = 0;
      state.edge = 0;
      load();
    });
    document.getElementById("exercise-switch").addEventListener("change", (e) => {
      fromUrl = false;
      moved();
      notes.clear("mode", "forward", "edge", "seed", "marks");
      state.mode = e.target.checked ? "exercise" : "";
      state.seed = e.target.checked && ex === null ? state.seed : "";
      state.forward = 0;
      state.edge = 0;
      load();
    });
    document.getElementById("btn-new-numbers").addEventListener("click", () => {
      fromUrl = false;
      moved();
      notes.clear("seed", "marks");
      state.seed = String(Math.floor(Math.random() * 10000)); // any seed gives numbers to work by hand
      load();
    });
    const act = (change) => () => {
      if (!trace || trace.lesson !== state.lesson) return; // the lesson's answer has not arrived yet
      moved();
      notes.clear("forward", "edge", "marks");
      change();
      draw({ step: true });
    };
    document.getElementById("btn-forward").addEventListener("click", act(() => { state.forward = 1; }));
    document.getElementById("btn-backward").addEventListener("click", act(() => {
      state.forward = 1;
      state.edge = Math.min(trace.events.length, state.edge + 1);
    }));
    document.getElementById("btn-back").addEventListener("click", act(() => {
      if (ex) ex.marks = ex.marks.slice(0, -1);
      else state.edge = Math.max(0, state.edge - 1);
    }));
    document.getElementById("btn-finish").addEventListener("click", act(() => {
      state.forward = 1;
      state.edge = trace.events.length;
    }));
    document.getElementById("btn-reset").addEventListener("click", act(() => {
      if (ex) ex.marks = "";
      state.forward = 0;
      state.edge = 0;
    }));
    load();
  }

  document.addEventListener("DOMContentLoaded", start);
})();
