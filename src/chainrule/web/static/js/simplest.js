// The simplest network (home page): i —w→ a, C = (a − y)², gradient descent on w.
//
// State (all in the URL): i, y, w (the starting weight), lr, and k, the number
// of steps taken. Every change asks /api/simplest for the descent from w to
// step k and draws the answer; this file computes no number itself.
"use strict";

(() => {
  const SPEC = {
    i: ["number", 1.5],
    y: ["number", 0.8],
    w: ["number", 0.8],
    lr: ["number", 0.1],
    k: ["int", 0],
  };
  const MAX_STEPS = 1000;
  const RUN_TOLERANCE = 1e-6; // Run stops once |dC/dw| is below this
  const state = CR.readState(SPEC);
  state.k = Math.min(Math.max(state.k, 0), MAX_STEPS);
  let last = null; // the last answer drawn
  let running = false;
  let asked = 0; // numbers each request, so a late answer never overwrites a newer one

  const sliders = { i: "in-i", y: "in-y", w: "in-w", lr: "in-lr" };

  function syncSliders() {
    for (const [key, id] of Object.entries(sliders)) {
      document.getElementById(id).value = state[key];
      CR.setText(`out-${key}`, String(state[key]));
    }
  }

  async function refresh() {
    const ticket = ++asked;
    CR.writeState(state);
    let data;
    try {
      data = await CR.api("/api/simplest", {
        input: state.i, target: state.y, weight: state.w, learning_rate: state.lr, steps: state.k, tolerance: 0,
      });
    } catch (err) {
      if (ticket === asked) {
        CR.showError(err.message);
        stopRun();
      }
      return null;
    }
    if (ticket !== asked) return null;
    CR.showError("");
    // A diverging run stops early: the step counter follows what was really computed.
    state.k = data.current.step;
    CR.writeState(state);
    last = data;
    draw(data);
    return data;
  }

  // ------------------------------------------------------------------ drawing
  function draw(d) {
    const c = d.current;
    document.querySelector("main").dataset.step = String(c.step);
    CR.setText("current-step", String(c.step));
    for (const key of ["weight", "activation", "cost", "gradient"]) {
      const node = CR.setText(`current-${key}`, c.text[key]);
      node.dataset.value = String(c[key]);
    }
    CR.setText("update-line", c.update_line);
    CR.setText("stop-line", d.stop_line);
    CR.setText("net-i", `i = ${d.steps_text[0] ? trim(d.input) : ""}`);
    CR.setText("net-w-label", `w = ${c.text.weight}`);
    CR.setText("net-a", `a = ${c.text.activation}`);
    CR.setText("net-c", `C = ${c.text.cost}`);
    CR.setText("net-y", `y = ${trim(d.target)}`);

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
    drawParabola(d);
    document.getElementById("btn-step").disabled = d.stopped === "diverged" || c.step >= MAX_STEPS;
  }

  // The sliders' own values are the user's input: show them as typed.
  const trim = (x) => String(x);

  function drawVerdict(d) {
    const verdict = document.getElementById("verdict");
    verdict.textContent = `lr = ${trim(d.learning_rate)}: ${d.verdict}`;
    verdict.className = "verdict " + (d.verdict.startsWith("diverges") ? "diverges"
      : d.verdict.startsWith("oscillates") ? "oscillates" : "converges");
    verdict.dataset.verdict = d.verdict;
    const lines = document.getElementById("lr-lines");
    lines.replaceChildren(...d.learning_rate_lines.map((line) => CR.el("p", {}, line)));
    CR.setText("lr-warning", d.warning || "");
    drawRateBar(d);
  }

  /** A ruler of learning rates: the stable interval (0, 2/C'') in green, 1/C'' marked, lr as a pin. */
  function drawRateBar(d) {
    const bar = document.getElementById("lr-bar");
    const [lo, hi] = d.stable_learning_rates;
    const top = Math.max(hi * 1.3, d.learning_rate * 1.1);
    const x = (v) => 10 + (320 * (v - lo)) / (top - lo);
    bar.replaceChildren(
      CR.svg("rect", { x: 10, y: 14, width: 320, height: 10, fill: "#fbe3e3", rx: 3 }),
      CR.svg("rect", { x: x(lo), y: 14, width: x(hi) - x(lo), height: 10, fill: "#cdebd8", rx: 3 }),
      CR.svg("line", { x1: x(d.fastest_learning_rate), x2: x(d.fastest_learning_rate), y1: 11, y2: 27, stroke: "#1d8a4e", "stroke-width": 1.5 }),
      CR.svg("text", { x: x(lo), y: 38 }, "0"),
      CR.svg("text", { x: x(d.fastest_learning_rate), y: 38 }, "1/C''"),
      CR.svg("text", { x: x(hi), y: 38 }, "2/C''"),
      CR.svg("path", { d: `M ${x(d.learning_rate)} 12 l -5 -8 h 10 z`, fill: "#1f2933" }),
      CR.svg("text", { x: Math.min(x(d.learning_rate) + 22, 325), y: 6 }, "lr"),
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

  function drawParabola(d) {
    if (!window.Plotly) return;
    const c = d.current;
    const [low, high] = d.plot_range;
    const inside = d.steps.filter((s) => s.weight >= low && s.weight <= high);
    const peak = Math.max(...d.parabola.cost);
    const traces = [
      { x: d.parabola.w, y: d.parabola.cost, mode: "lines", name: "C(w)", line: { color: "#5f6c7b", width: 2 }, hoverinfo: "skip" },
      {
        x: inside.map((s) => s.weight), y: inside.map((s) => s.cost), mode: "lines+markers", name: "steps",
        line: { color: "#9bb7e8", width: 1, dash: "dot" }, marker: { color: "#2f6fdd", size: 6 },
        hovertemplate: "w = %{x:.6g}<br>C = %{y:.6g}<extra></extra>",
      },
      { x: d.tangent.w, y: d.tangent.cost, mode: "lines", name: "tangent", line: { color: "#c53030", width: 2, dash: "dash" }, hoverinfo: "skip" },
      {
        x: [c.weight], y: [c.cost], mode: "markers", name: "now",
        marker: { color: "#c53030", size: 12, line: { color: "#fff", width: 2 } },
        hovertemplate: "w = %{x:.6g}<br>C = %{y:.6g}<extra></extra>",
      },
      {
        x: [d.optimum_weight], y: [0], mode: "markers", name: "minimum w*",
        marker: { symbol: "star", color: "#1d8a4e", size: 13 }, hovertemplate: "w* = %{x:.6g}<extra></extra>",
      },
    ];
    const layout = Object.assign({}, CR.PLOT_LAYOUT, {
      xaxis: { title: { text: "w" }, range: [low, high], zeroline: false, gridcolor: "#eef1f5" },
      yaxis: { title: { text: "C(w)" }, range: [-0.06 * peak, peak * 1.05], gridcolor: "#eef1f5" },
      uirevision: `${state.i}|${state.y}|${state.w}|${state.lr}`,
    });
    Plotly.react("parabola", traces, layout, CR.PLOT_CONFIG);
  }

  // ----------------------------------------------------------------- controls
  function stopRun() {
    running = false;
    CR.setText("btn-run", "Run");
  }

  async function run() {
    if (running) return stopRun();
    running = true;
    CR.setText("btn-run", "Pause");
    while (running) {
      const d = last;
      if (d && (Math.abs(d.current.gradient) < RUN_TOLERANCE || d.stopped === "diverged" || state.k >= MAX_STEPS)) break;
      // The first steps one at a time; later ones faster, so slow rates still finish.
      const stride = state.k < 20 ? 1 : Math.ceil(state.k / 10);
      state.k = Math.min(MAX_STEPS, state.k + stride);
      const answer = await refresh();
      if (!answer) break;
      await CR.sleep(140);
    }
    stopRun();
  }

  function onSlider(key) {
    return (event) => {
      state[key] = Number(event.target.value);
      state.k = 0; // a new start: the trail begins again
      stopRun();
      CR.setText(`out-${key}`, String(state[key]));
      refresh();
    };
  }

  function start() {
    CR.whenPlotly(() => { if (last) drawParabola(last); });
    syncSliders();
    for (const [key, id] of Object.entries(sliders)) {
      document.getElementById(id).addEventListener("input", onSlider(key));
    }
    document.getElementById("btn-step").addEventListener("click", () => {
      stopRun();
      state.k = Math.min(MAX_STEPS, state.k + 1);
      refresh();
    });
    document.getElementById("btn-run").addEventListener("click", run);
    document.getElementById("btn-reset").addEventListener("click", () => {
      stopRun();
      state.k = 0;
      refresh();
    });
    refresh();
  }

  document.addEventListener("DOMContentLoaded", start);
})();
