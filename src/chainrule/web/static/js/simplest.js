// The simplest network (home page): i —w→ a, C = (a − y)², gradient descent on w.
//
// State (all in the URL): i, y, w (the starting weight), lr, tol (the stop
// rule's tolerance), and k, the number of steps taken. Every change asks
// /api/simplest for the descent from w to step k with that tolerance and draws
// the answer; this file computes no number itself. The verdict, the stop line
// and every sentence are the lesson's, by its one rule (|∂C/∂w| < tol): where
// the lesson's descent stops before step k, the page shows where it stopped,
// says so, and Step is off until something changes.
//
// The controls come from the lesson's declaration (GET /api/lessons/simplest/params):
// each field's label, bounds, and what it refuses are the library's own, so the
// page, the API and the command line cannot disagree. A value the declaration
// refuses is marked on its own field with its label and the allowed range, and
// nothing is sent: the picture and the URL keep the last state that was drawn.
// Nothing is clamped or rounded: the field holds exactly what is asked for, and
// the slider beside it moves to the nearest of its stops. Whatever else the
// address holds that is not used as it stands (a key this page does not read,
// a key given twice, a step past where the descent stops) is said in the notes
// at the top, with what is shown instead, until that setting changes.
//
// Races: every request takes a ticket; a newer request or a reset makes older
// answers stale, and a stale answer never reaches the picture, the history or
// the URL (the URL is written only when an answer is drawn).
"use strict";

(() => {
  // URL key → the declared parameter it sets. k (steps taken) is bounded by the declared most steps.
  const FIELDS = { i: "input", y: "target", w: "weight", lr: "learning_rate", tol: "tolerance" };
  const COUNTER = { key: "k", param: "steps", label: "step" };
  // The sliders' stops: two significant digits, over at least this many powers of ten below the largest allowed
  // size, and down to the default (so the values near the defaults are as easy to reach as the far ones). A
  // presentation choice, not a bound.
  const DECADES = 4;
  const DEBOUNCE_MS = 350; // a typed value is checked and sent once typing pauses (at once on Enter or leaving)

  let P = null; // parameter name → its declaration
  const notes = CR.notes("notes");
  let firstAnswer = true; // the first answer is the address's: where it differs from what was asked, a note says so
  const state = {}; // the values asked for (each valid)
  const invalid = new Set(); // URL keys whose field holds a value the declaration refuses
  const ladders = {}; // URL key → the slider's stops
  let last = null; // the last answer drawn
  let running = false;
  let asked = 0; // numbers each request; a late answer (a smaller ticket) is dropped

  // ------------------------------------------------------------ declarations
  /** The label a declaration's help gives: "the input i" → "input i". */
  const labelOf = (p) => p.help.replace(/^the /, "");

  const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;
  const quote = (text) => `“${text.length > 24 ? text.slice(0, 23) + "…" : text}”`;

  /**
   * A typed value checked against its declaration, as the library checks it (chainrule.params.Param.check):
   * {value} or {error}, the error naming the field by its label on screen and saying what is allowed.
   */
  function check(p, label, raw) {
    const text = String(raw).trim().replace(/\u2212/g, "-"); // a real minus sign, as the page prints them, is a minus
    const allowed = `allowed: ${p.allowed}`;
    if (text === "") return { error: `${label}: no value; ${allowed}` };
    if (!NUMBER.test(text)) return { error: `${label}: ${quote(String(raw).trim())} is not a number; ${allowed}` };
    const x = Number(text);
    if (!Number.isFinite(x)) return { error: `${label}: ${text} is not finite; ${allowed}` };
    if (p.kind === "int" && !Number.isInteger(x)) return { error: `${label}: ${text} is not a whole number; ${allowed}` };
    const low = p.low !== undefined && (x < p.low || (p.low_open && x === p.low));
    const high = p.high !== undefined && (x > p.high || (p.high_open && x === p.high));
    if (low || high) return { error: `${label}: ${text} is out of range; ${allowed}` };
    if (p.nonzero && x === 0) return { error: `${label}: 0 is not allowed: ${p.nonzero}; ${allowed}` };
    if (p.nonzero && Math.abs(x) < (p.min_abs || 0)) {
      return { error: `${label}: ${text} is so close to 0 that its square underflows; ${allowed}` };
    }
    return { value: x };
  }

  /**
   * The values a slider stops at, from the declaration: its own step if it declares one, else two significant
   * digits over DECADES powers of ten (…, 0.98, 0.99, 1, 1.1, …, 99, 100), mirrored below 0 when negatives are
   * allowed; 0 only if the declaration allows it (the input skips it: a = i·w would be 0 whatever the weight).
   */
  function ladder(p) {
    let values = [];
    if (p.step) {
      for (let n = 0; p.low + n * p.step <= p.high; n++) values.push(Number((p.low + n * p.step).toPrecision(12)));
    } else {
      const top = Math.max(Math.abs(p.low), Math.abs(p.high));
      const e0 = Math.floor(Math.log10(top));
      const low = p.default ? Math.min(e0 - DECADES, Math.floor(Math.log10(Math.abs(p.default)))) : e0 - DECADES;
      const sizes = [];
      for (let e = low; e <= e0; e++) {
        for (let m = 10; m < 100; m++) sizes.push(Number(`${m}e${e - 1}`));
      }
      values = [...sizes.map((v) => -v).reverse(), 0, ...sizes];
    }
    return values.filter((v) => check(p, "", String(v)).value !== undefined);
  }

  /** The stop nearest to x (the slider's thumb goes there; the field keeps x itself). */
  function nearest(stops, x) {
    let lo = 0, hi = stops.length - 1;
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (stops[mid] <= x) lo = mid; else hi = mid;
    }
    return Math.abs(stops[hi] - x) < Math.abs(stops[lo] - x) ? hi : lo;
  }

  // ------------------------------------------------------------------ fields
  function buildFields() {
    const box = document.getElementById("fields");
    const rows = [];
    for (const [key, name] of Object.entries(FIELDS)) {
      const p = P[name];
      const label = labelOf(p);
      ladders[key] = ladder(p);
      const slider = CR.el("input", {
        id: `slide-${key}`, type: "range", min: 0, max: ladders[key].length - 1, step: 1,
        "aria-label": `${label}, slider`, "data-param": name,
      });
      // a full keyboard (no inputmode="decimal"): a phone's decimal pad has no minus sign
      const field = CR.el("input", {
        id: `in-${key}`, type: "text", autocomplete: "off", autocapitalize: "off", spellcheck: "false",
        "aria-describedby": `err-${key}`, title: `${label}: ${p.allowed}`, "data-param": name,
      });
      rows.push(CR.el("div", { class: "control", "data-key": key },
        CR.el("label", { for: `in-${key}` }, label), slider, field,
        CR.el("p", { class: "field-error", id: `err-${key}`, hidden: "" })));
      slider.addEventListener("input", () => onSlider(key));
      let timer = null;
      field.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(() => commit(key), DEBOUNCE_MS); });
      field.addEventListener("change", () => { clearTimeout(timer); commit(key); });
      field.addEventListener("keydown", (e) => { if (e.key === "Enter") { clearTimeout(timer); commit(key); } });
    }
    box.replaceChildren(...rows);
  }

  /** Mark (or clear, with no message) the field of `key`: its own message, and aria-invalid for screen readers. */
  function mark(key, message) {
    const err = document.getElementById(`err-${key}`);
    err.textContent = message || "";
    err.hidden = !message;
    const field = document.getElementById(`in-${key}`);
    if (field) field.setAttribute("aria-invalid", message ? "true" : "false");
    if (message) invalid.add(key); else invalid.delete(key);
    document.querySelector("main").dataset.invalid = [...invalid].join(",");
    if (invalid.size && !last) CR.setText("parabola-desc", "Nothing is drawn until every field holds an allowed value.");
  }

  function placeSlider(key) {
    const slider = document.getElementById(`slide-${key}`);
    slider.value = String(nearest(ladders[key], state[key]));
    slider.setAttribute("aria-valuetext", String(state[key]));
  }

  function onSlider(key) {
    const value = ladders[key][Number(document.getElementById(`slide-${key}`).value)];
    document.getElementById(`in-${key}`).value = String(value);
    mark(key, "");
    changed(key, value);
  }

  /** A typed value: checked against its declaration; sent only if it and every other field are valid. */
  function commit(key) {
    const field = document.getElementById(`in-${key}`);
    const result = check(P[FIELDS[key]], labelOf(P[FIELDS[key]]), field.value);
    if (result.error) {
      mark(key, result.error);
      stopRun();
      return;
    }
    mark(key, "");
    if (result.value !== state[key]) changed(key, result.value);
    else if (!invalid.size && !last) refresh();
  }

  function changed(key, value) {
    state[key] = value;
    state.k = 0; // a new start: the trail begins again
    notes.clear(key, "k");
    placeSlider(key);
    stopRun();
    refresh();
  }

  /** The state in the URL, each value checked; a refused one is shown in its field, marked, and nothing is sent. */
  function readUrl() {
    const params = new URLSearchParams(window.location.search);
    for (const [key, name] of Object.entries(FIELDS)) {
      const p = P[name];
      const raw = params.has(key) ? params.get(key) : String(p.default);
      document.getElementById(`in-${key}`).value = raw;
      const result = check(p, labelOf(p), raw);
      if (result.error) {
        mark(key, result.error);
        state[key] = p.default;
      } else {
        state[key] = result.value;
      }
      placeSlider(key);
    }
    const steps = P[COUNTER.param];
    const raw = params.has(COUNTER.key) ? params.get(COUNTER.key) : "0";
    const result = check(steps, `${COUNTER.label} (${COUNTER.key} in the address)`, raw);
    state.k = result.error ? 0 : result.value;
    if (result.error) notes.set(COUNTER.key, `${result.error}; showing step 0 instead.`);
    for (const { key, text } of CR.strayParameters([...Object.keys(FIELDS), COUNTER.key])) notes.set(key, text);
  }

  /** What the lesson's descent did with the step asked for, when it stopped before it: said, never silent. */
  function stoppedBefore(asked, d) {
    const why = d.stopped === "diverged" ? "diverging for certain"
      : d.stopped === "converged" ? "|∂C/∂w| fell below the tolerance tol" : d.stopped;
    return `${COUNTER.label} ${asked} (${COUNTER.key} in the address): the lesson's descent stopped at step ` +
      `${d.current.step} (${why}: the line under the readout), so step ${d.current.step} is shown.`;
  }

  // ----------------------------------------------------------------- the API
  async function refresh() {
    const ticket = ++asked;
    const main = document.querySelector("main");
    if (invalid.size) { // a refused value: nothing is sent (and older answers are stale)
      main.dataset.busy = "0";
      return null;
    }
    const asking = { ...state };
    let data;
    main.dataset.busy = "1";
    try {
      data = await CR.api("/api/simplest", {
        input: asking.i, target: asking.y, weight: asking.w, learning_rate: asking.lr, steps: asking.k,
        tolerance: asking.tol,
      });
    } catch (err) {
      if (ticket === asked) {
        main.dataset.busy = "0";
        CR.showError(err.message);
        stopRun();
      }
      return null;
    }
    if (ticket !== asked) return null; // a newer request or a reset came after this one
    main.dataset.busy = "0";
    CR.showError("");
    // A run that diverges or reaches the tolerance stops early: the step counter follows what was computed,
    // and when that is not what the address asked for, a note says so.
    if (firstAnswer && data.current.step < asking.k) notes.set(COUNTER.key, stoppedBefore(asking.k, data));
    firstAnswer = false;
    asking.k = data.current.step;
    state.k = data.current.step;
    last = data;
    CR.writeState(asking); // the URL holds exactly what is drawn
    draw(data);
    CR.firstNumber();
    return data;
  }

  // ------------------------------------------------------------------ drawing
  function draw(d) {
    const c = d.current;
    const main = document.querySelector("main");
    main.dataset.step = String(c.step);
    main.dataset.stopped = d.stopped;
    CR.setText("current-step", String(c.step));
    for (const key of ["weight", "activation", "cost", "gradient"]) {
      const node = CR.setText(`current-${key}`, c.text[key]);
      node.dataset.value = String(c[key]);
    }
    CR.setText("update-line", c.update_line);
    const stop = CR.setText("stop-line", d.stop_line);
    stop.className = d.stopped === "diverged" ? "stop diverged" : "note stop";
    CR.setText("net-i", `i = ${d.input}`);
    CR.setText("net-w-label", `w = ${c.text.weight}`);
    CR.setText("net-a", `a = ${c.text.activation}`);
    CR.setText("net-c", `C = ${c.text.cost}`);
    CR.setText("net-y", `y = ${d.target}`);

    CR.setText("forward", c.forward_lines.join("\n"));
    CR.setText("chain", c.chain_rule_lines.join("\n"));
    const factors = document.getElementById("factors");
    factors.replaceChildren(
      ...c.chain_rule.map((f) =>
        CR.el("div", { class: "factor" }, CR.el("b", {}, f.name), `${f.formula} = ${f.with_numbers} = ${f.value_text}`),
      ),
    );

    document.getElementById("closed-form-math").innerHTML = d.gradient_mathml; // MathML printed by sympy
    document.getElementById("cost-math").innerHTML = d.cost_mathml;
    CR.setText("closed-form", d.closed_form_line);
    CR.setText("typo", d.typo_line || "");

    drawVerdict(d);
    drawHistory(d);
    const plot = document.getElementById("parabola");
    plot.setAttribute("aria-label", d.plot_description);
    CR.setText("parabola-desc", d.plot_description);
    PARABOLA.draw(plot, d);
    drawLimits(d);
  }

  /**
   * Step and Run stop where the lesson's descent stopped (diverging, or |∂C/∂w| below tol) or at the declared most
   * steps, and say so. A Step button that disables itself hands its focus to the line that says why: never to
   * Reset, which the next Enter would press.
   */
  function drawLimits(d) {
    const most = P[COUNTER.param].high;
    const atMost = d.current.step >= most;
    const stepButton = document.getElementById("btn-step");
    const runButton = document.getElementById("btn-run");
    const wasFocused = document.activeElement === stepButton || document.activeElement === runButton;
    const ended = d.stopped === "diverged" || d.stopped === "converged";
    stepButton.disabled = ended || atMost;
    runButton.disabled = ended || atMost;
    let note = "";
    if (d.stopped === "diverged") note = "Step and Run are off: the descent diverged (the line above). Lower lr, or Reset to see it again.";
    else if (d.stopped === "converged") {
      note = "Step and Run are off: the lesson's stop rule ended the descent here, |∂C/∂w| below the tolerance tol " +
        "(the line above). A smaller tol lets it go on.";
    } else if (atMost) note = `Step and Run are off: ${most} steps is the most the lesson takes (${P[COUNTER.param].allowed}).`;
    CR.setText("limit-note", note);
    if (wasFocused && stepButton.disabled) document.getElementById("limit-note").focus();
    document.querySelector("main").dataset.ended = ended || atMost ? "1" : "0";
  }

  function drawVerdict(d) {
    const verdict = document.getElementById("verdict");
    verdict.textContent = `lr = ${d.learning_rate}: ${d.verdict}`;
    verdict.className = "verdict " + (d.verdict.startsWith("diverges") ? "diverges"
      : d.verdict.startsWith("oscillates") ? "oscillates" : "converges");
    verdict.dataset.verdict = d.verdict;
    const lines = document.getElementById("lr-lines");
    lines.replaceChildren(...d.learning_rate_lines.map((line) => CR.el("p", {}, line)));
    CR.setText("lr-warning", d.warning || "");
    drawRateBar(d);
  }

  /**
   * A ruler of learning rates from 0 to 1.5 × 2/C'': the stable interval (0, 2/C'') in green, 1/C'' (one step)
   * marked, lr as a pin. Its marks sit at fixed thirds of the ruler, so their labels never overlap; an lr
   * beyond the ruler is pinned at its right end and says so.
   */
  function drawRateBar(d) {
    const bar = document.getElementById("lr-bar");
    const r = d.ruler;
    const left = 12, width = 336, top = 1.5 * r.stable;
    const x = (v) => left + (width * v) / top;
    const off = d.learning_rate > top;
    const pin = off ? left + width : x(d.learning_rate);
    const pinText = off ? `${r.learning_rate_text}, off the ruler →` : r.learning_rate_text;
    const anchor = pin > left + width / 2 ? "end" : "start";
    const labelX = anchor === "end" ? Math.min(pin + 6, left + width) : Math.max(pin - 6, left);
    bar.setAttribute("aria-label", `learning rates: stable from 0 to ${r.stable_text}, one step at ${r.fastest_text}; ` +
      `${r.learning_rate_text}${off ? ", beyond the ruler" : ""}`);
    bar.replaceChildren(
      CR.svg("rect", { x: left, y: 22, width, height: 10, fill: "#fbe3e3", rx: 3 }),
      CR.svg("rect", { x: left, y: 22, width: x(r.stable) - left, height: 10, fill: "#cdebd8", rx: 3 }),
      CR.svg("line", { x1: x(r.fastest), x2: x(r.fastest), y1: 19, y2: 35, stroke: "#176d3e", "stroke-width": 1.5 }),
      CR.svg("text", { class: "mark start", x: left, y: 48 }, "0"),
      CR.svg("text", { class: "mark", x: x(r.fastest), y: 48 }, r.fastest_text),
      CR.svg("text", { class: "mark", x: x(r.stable), y: 48 }, r.stable_text),
      CR.svg("path", { d: `M ${pin} 20 l -5 -8 h 10 z`, fill: "#1f2933" }),
      CR.svg("text", { class: `mark pin ${anchor}`, x: labelX, y: 9 }, pinText),
    );
  }

  function drawHistory(d) {
    const body = document.getElementById("history");
    const rows = d.steps_text.map((s, n) =>
      CR.el("tr", { class: n === d.steps_text.length - 1 ? "current" : "" },
        CR.el("td", {}, s.step), CR.el("td", {}, s.weight), CR.el("td", {}, s.activation),
        CR.el("td", {}, s.cost), CR.el("td", {}, s.gradient)),
    );
    body.replaceChildren(...rows);
    const wrap = document.getElementById("history-wrap");
    wrap.scrollTop = wrap.scrollHeight;
  }

  // ----------------------------------------------------------------- controls
  function stopRun() {
    running = false;
    CR.setText("btn-run", "Run");
  }

  /** Step and Run while a field is refused: nothing is sent, and the page says why. */
  function waiting() {
    const names = [...invalid].map((key) => labelOf(P[FIELDS[key]]));
    CR.setText("limit-note", `Nothing is sent while ${names.join(" and ")} ${names.length > 1 ? "hold values" : "holds a value"} ` +
      "that is not allowed (said under the field).");
  }

  async function run() {
    if (running) return stopRun();
    if (invalid.size) return waiting();
    running = true;
    CR.setText("btn-run", "Pause");
    const most = P[COUNTER.param].high;
    while (running) {
      const d = last;
      // Run stops where the lesson's own descent would: its stop rule says so at the current step (current.stop)
      if (d && (d.current.stop || state.k >= most)) break;
      // The first steps one at a time; later ones faster, so slow rates still finish.
      const stride = state.k < 20 ? 1 : Math.ceil(state.k / 10);
      state.k = Math.min(most, state.k + stride);
      const answer = await refresh();
      if (!answer || !running) break;
      await CR.sleep(140);
    }
    stopRun();
  }

  async function start() {
    let declared;
    try {
      declared = await CR.get("/api/lessons/simplest/params");
    } catch (err) {
      CR.showError(err.message);
      return;
    }
    P = Object.fromEntries(declared.params.map((p) => [p.name, p]));
    buildFields();
    readUrl();
    document.getElementById("btn-step").addEventListener("click", () => {
      stopRun();
      if (invalid.size) return waiting();
      notes.clear(COUNTER.key);
      state.k = Math.min(P[COUNTER.param].high, state.k + 1);
      refresh();
    });
    document.getElementById("btn-run").addEventListener("click", run);
    document.getElementById("btn-reset").addEventListener("click", () => {
      stopRun();
      if (invalid.size) return waiting();
      notes.clear(COUNTER.key);
      state.k = 0;
      refresh();
    });
    let width = 0;
    new ResizeObserver(() => { // the chart is drawn in screen px: again when its box changes width
      const now = document.getElementById("parabola").clientWidth;
      if (now !== width && last) PARABOLA.draw(document.getElementById("parabola"), last);
      width = now;
    }).observe(document.getElementById("parabola"));
    refresh();
  }

  document.addEventListener("DOMContentLoaded", start);
})();
