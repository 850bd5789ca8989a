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
// Exercise mode ("I'll compute it", exercise.js): the story comes from
// /api/exercise/steps with the learner's numbers (seed), and each step is
// revealed only once the learner has computed it; the URL holds mode=exercise,
// the seed and the marks of the questions answered.
//
// Races: each request takes a ticket; choosing another lesson, Reset, ◀ or a
// new mode makes older answers stale, and a stale answer never reaches the
// picture, the tables or the URL.
"use strict";

(() => {
  const SPEC = {
    lesson: ["string", "wide"], forward: ["int", 0], edge: ["int", 0],
    mode: ["string", ""], seed: ["string", ""], marks: ["string", ""],
  };
  const state = CR.readState(SPEC);
  let trace = null;
  let ex = null; // exercise mode: {questions, given, seed, marks, tries, feedback}
  let asked = 0; // numbers each request for a lesson; an answer with an older ticket is dropped
  let checking = 0; // numbers each answer sent for checking; moving on makes a pending one stale
  let fromUrl = true; // the first lesson's step comes from the address: checked once its edges are known
  let lessonNote = ""; // what the address asked for that is not a lesson here
  let exerciseLessons = null; // the lessons whose step-through is also an exercise (from /api/limits)
  // Where focus goes when the button that has it disables itself (so it never falls to the page).
  const NEXT_FOCUS = { "btn-forward": "btn-backward", "btn-backward": "btn-back", "btn-finish": "btn-back",
    "btn-back": "btn-backward" };

  const exercising = () => state.mode === "exercise";
  const exercisable = (lesson) => !exerciseLessons || exerciseLessons.includes(lesson);
  /** Why a lesson's step-through is not an exercise, and where its exercise is instead. */
  const noExercise = (lesson) => `${lesson}: one question for each node and edge would be more than fit one ` +
    `sitting, so this network is stepped through, not asked; its exercise is in a terminal: chainrule exercise ${lesson}.`;

  async function load() {
    const ticket = ++asked;
    checking++;
    const lesson = state.lesson;
    let modeNote = "";
    if (exercising() && !exercisable(lesson)) { // never sent: the page says why, and steps through instead
      modeNote = `exercise mode (mode=exercise in the address) is not offered for ${lesson}: showing its step-through; ` +
        "the note below the controls says why.";
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
    const notes = (fromUrl ? [lessonNote, seed.problem] : []).concat([modeNote]);
    if (exercise) {
      trace = Object.assign(data.trace, { lesson: data.lesson, summary: data.summary });
      if (!EXERCISE.follows(data.questions, trace)) {
        CR.showError("exercise mode: the questions do not follow this network's backward pass");
        return;
      }
      const parsed = EXERCISE.parseMarks(fromUrl ? state.marks : "", data.questions.length);
      if (fromUrl) notes.push(parsed.problem);
      ex = { questions: data.questions, given: data.given, seed: seed.seed, marks: parsed.marks, tries: 0, feedback: null };
    } else {
      trace = data;
      ex = null;
      if (fromUrl) notes.push(checkUrl());
    }
    CR.showError(notes.filter(Boolean).join(" "));
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
  /** Shrink a text to `width` if the browser's font is wider than the layout counted (it never overflows). */
  function fit(text, width) {
    if (!text.textContent) return;
    const length = text.getComputedTextLength();
    if (length > width) {
      text.setAttribute("textLength", String(width));
      text.setAttribute("lengthAdjust", "spacingAndGlyphs");
    }
  }

  function drawGraph(shown, active, at) {
    const svg = document.getElementById("graph");
    svg.setAttribute("viewBox", `0 0 ${trace.width} ${trace.height}`);
    svg.style.maxWidth = `${trace.width}px`; // never blown up past its own size; scaled down to the width
    const crossed = new Set(trace.events.slice(0, state.edge).map((e) => e.edge));
    const marks = ex ? EXERCISE.classes(ex.questions, ex.marks) : { node: new Map(), edge: new Map() };
    const askedNow = ex && at.current ? EXERCISE.about(at.current) : null;
    const wrong = ex && ex.feedback && ex.feedback.kind === "wrong" ? " wrong" : "";
    const highlighted = ex ? -1 : active ? active.edge : -1; // the exercise colours edges by their marks instead
    const defs = CR.svg("defs");
    for (const kind of ["", "done", "active", "asked", "mark-r", "mark-s", "mark-a"]) {
      const marker = CR.svg("marker", { id: kind ? `arrow-${kind}` : "arrow", viewBox: "0 0 8 8", refX: 7, refY: 4,
        markerWidth: 6, markerHeight: 6, orient: "auto" });
      marker.append(CR.svg("path", { class: `arrow ${kind}`.trim(), d: "M 0 0 L 8 4 L 0 8 z" }));
      defs.append(marker);
    }
    const edges = trace.edges.map((e) => {
      let kind = e.id === highlighted ? "active" : marks.edge.get(e.id) || (crossed.has(e.id) ? "done" : "");
      if (askedNow && askedNow.kind === "edge" && askedNow.id === e.id) kind = "asked";
      return CR.svg("path", { class: `edge ${kind}${kind === "asked" ? wrong : ""}`.trim(), d: e.path, "data-edge": e.id,
        "marker-end": kind ? `url(#arrow-${kind})` : "url(#arrow)" });
    });
    const ports = new Map(); // node id → its ports' edges, by slot
    for (const e of trace.edges) {
      if (!ports.has(e.target)) ports.set(e.target, []);
      ports.get(e.target)[e.slot] = e;
    }
    const askedEdge = askedNow && askedNow.kind === "edge" ? trace.edges[askedNow.id] : null;
    const texts = [];
    const nodes = trace.nodes.map((n) => {
      const b = n.box;
      let cls = `node ${n.kind}`;
      if (!ex && active && n.id === active.target) cls += " active";
      if (!ex && active && n.id === active.source) cls += " receiving";
      if (marks.node.has(n.id)) cls += ` ${marks.node.get(n.id)}`;
      if (askedNow && askedNow.kind === "node" && askedNow.id === n.id) cls += ` asked${wrong}`;
      if (askedEdge && (askedEdge.source === n.id || askedEdge.target === n.id)) cls += " asked-edge";
      const g = CR.svg("g", { class: cls, "data-node": n.id });
      g.append(CR.svg("title", {}, `${n.name}${n.op ? ` (operation ${n.op})` : ""}`));
      g.append(CR.svg("rect", { class: "box", x: b.x, y: b.y, width: b.w, height: b.h, rx: 6 }));
      (ports.get(n.id) || []).forEach((e, k) => {
        const p = b.ports[k];
        const on = e.id === highlighted ? " active" : "";
        g.append(CR.svg("rect", { class: `port${on}`, x: p.x, y: p.y, width: p.w, height: p.h, "data-port": e.id }));
        const label = CR.svg("text", { class: `port-label${on}`, x: p.x + p.w / 2, y: p.y + p.h / 2, "data-edge-label": e.id },
          state.forward && crossed.has(e.id) ? e.local_text : "");
        g.append(label);
        texts.push([label, p.w - 2]);
      });
      const cx = b.body.x + b.body.w / 2;
      const grad = shown.get(n.id);
      const lines = [
        ["name", n.name],
        ["val", valueShown(n, at) ? n.value_text : "?"],
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
    CR.setText("graph-desc", describeGraph(active, at));
  }

  /** The graph in words, for a screen reader (the tables below hold every number). */
  function describeGraph(active, at) {
    const parts = [`The ${trace.lesson} network as a graph of ${trace.nodes.length} operations and ${trace.edges.length} edges,` +
      ` inputs on the left, the cost ${trace.cost_name} on the right.`];
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
      const lines = trace.program.split("\n").map((line, k) =>
        CR.el("span", { class: k + 1 === active.code_line ? "line current" : "line" }, `${line}\n`));
      parts.push(CR.el("details", {}, CR.el("summary", {}, "the whole program (forward, then one line per edge)"),
        CR.el("pre", { class: "program", tabindex: "0" }, CR.el("code", {}, ...lines))));
    }
    return CR.el("div", { class: "code-line" }, ...parts);
  }

  /** The exercise's question now, the answer box, and what the last answer got. */
  function exercisePanel(at) {
    const given = ex.given.map((g) => `${g.symbol} = ${g.value}`).join(", ");
    const out = [CR.el("p", { class: "note" },
      `Your numbers${ex.seed === null ? " (the lesson's own)" : ` (seed ${ex.seed})`}: ${given}. ` +
      "Answer with a number, to 3 significant digits, or a formula in these symbols.")];
    if (ex.feedback) {
      const f = ex.feedback;
      out.push(CR.el("p", { class: `feedback ${f.kind}`, id: "ex-feedback", role: "status", "data-kind": f.kind,
        "data-mistake": f.mistake || "" }, f.text, f.note ? CR.el("span", { class: "hint" }, ` ${f.note}`) : null));
    }
    if (!at.current) {
      out.push(CR.el("p", { class: "big", id: "ex-done" }, `Done! ${EXERCISE.score(ex.marks, ex.questions.length)}.`));
      return out;
    }
    const q = at.current;
    const input = CR.el("input", { id: "ex-answer", type: "text", inputmode: "decimal", autocomplete: "off",
      spellcheck: "false", "aria-describedby": "ex-error ex-feedback" });
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

  /** Send one answer for checking; a right one (or a second miss) reveals the step. */
  async function submit(question, answer) {
    const error = document.getElementById("ex-error");
    const shownError = (message) => {
      error.textContent = message;
      error.hidden = !message;
      document.getElementById("ex-answer").setAttribute("aria-invalid", message ? "true" : "false");
    };
    if (!answer.trim()) {
      shownError(`your answer: no value; allowed: a number (like −1.5) or a formula in the symbols ${question.symbols.join(", ")}`);
      return;
    }
    const ticket = ++checking;
    const body = { lesson: trace.lesson, question: question.id, answer };
    if (ex.seed !== null) body.seed = ex.seed;
    document.getElementById("btn-check").disabled = true;
    let verdict;
    try {
      verdict = await CR.api("/api/exercise/check", body);
    } catch (err) {
      if (ticket === checking) {
        document.getElementById("btn-check").disabled = false;
        shownError(`your answer: ${err.message}`); // not an answer (nothing was counted): said on the field
      }
      return;
    }
    if (ticket !== checking) return; // the learner moved on (◀, Reset, another lesson) before the mark arrived
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
    draw();
    const next = document.getElementById("ex-answer");
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

  function writeUrl() {
    const url = { lesson: state.lesson, forward: state.forward, edge: state.edge };
    if (ex) Object.assign(url, { mode: "exercise", seed: ex.seed === null ? null : ex.seed, marks: ex.marks });
    CR.writeState(url);
  }

  function draw() {
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
      const next = [NEXT_FOCUS[lostFocus[0]], "ex-answer", "btn-reset"].map((id) => document.getElementById(id))
        .find((b) => b && !b.disabled && !b.hidden);
      next.focus();
    }
    document.getElementById("lesson").value = state.lesson;
  }

  // ----------------------------------------------------------------- controls
  /** A change of where the page stands: a pending check answers a question no longer asked. */
  function moved() {
    checking++;
    if (ex) {
      ex.tries = 0;
      ex.feedback = null;
    }
  }

  async function start() {
    try {
      const limits = await fetch("/api/limits").then((r) => r.json());
      const select = document.getElementById("lesson");
      select.replaceChildren(...limits.lessons.map((name) => CR.el("option", { value: name }, name)));
      exerciseLessons = limits.exercise_lessons;
      if (!limits.lessons.includes(state.lesson) && limits.lessons.length) {
        lessonNote = `lesson in the address: “${state.lesson.slice(0, 24)}” is not a network to step through; ` +
          `allowed: ${limits.lessons.join(", ")}. Showing ${limits.lessons.includes("wide") ? "wide" : limits.lessons[0]}.`;
        state.lesson = limits.lessons.includes("wide") ? "wide" : limits.lessons[0];
      }
    } catch (err) {
      CR.showError("the explorer's server does not answer: is `chainrule serve` still running?");
      return;
    }
    if (state.mode && state.mode !== "exercise") {
      lessonNote += `${lessonNote ? " " : ""}mode in the address: “${state.mode.slice(0, 24)}” is not a mode; allowed: exercise.`;
      state.mode = "";
    }
    document.getElementById("lesson").addEventListener("change", (e) => {
      fromUrl = false;
      moved();
      state.lesson = e.target.value;
      state.forward = 0;
      state.edge = 0;
      load();
    });
    document.getElementById("exercise-switch").addEventListener("change", (e) => {
      fromUrl = false;
      moved();
      state.mode = e.target.checked ? "exercise" : "";
      state.seed = e.target.checked && ex === null ? state.seed : "";
      state.forward = 0;
      state.edge = 0;
      load();
    });
    document.getElementById("btn-new-numbers").addEventListener("click", () => {
      fromUrl = false;
      moved();
      state.seed = String(Math.floor(Math.random() * 10000)); // any seed gives numbers to work by hand
      load();
    });
    const act = (change) => () => {
      if (!trace || trace.lesson !== state.lesson) return; // the lesson's answer has not arrived yet
      moved();
      change();
      draw();
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
