// Playground: train a small network on 2-D points and watch the boundary move.
//
// The server keeps nothing between calls. The page holds the last answer (the
// weights and the step count) and sends them back to continue; training is
// deterministic, so the URL (settings + step t) is enough to rebuild exactly
// the same network: on load the page retrains to step t.
"use strict";

(() => {
  const SPEC = {
    data: ["string", "moons"], n: ["int", 200], noise: ["number", 0.1], seed: ["int", 0],
    layers: ["list", [8, 8]], act: ["string", "tanh"], lr: ["number", 0.1], batch: ["int", 32],
    t: ["int", 0], pts: ["list", []], show: ["string", "weights"],
  };
  const state = CR.readState(SPEC);
  const MAX_URL_POINTS = 300; // clicked points travel in the URL
  const COLORS = { 0: [224, 122, 31], 1: [47, 111, 221] };
  let net = null; // the last answer: { step, params, ... }
  let history = [];
  let training = false;
  let busy = false;

  // ------------------------------------------------------------------ request
  function points() {
    const out = [];
    for (let k = 0; k + 2 < state.pts.length; k += 3) out.push([state.pts[k], state.pts[k + 1], state.pts[k + 2]]);
    return out;
  }

  function body(steps) {
    return {
      dataset: state.data, n_points: state.n, noise: state.noise, seed: state.seed,
      layers: state.layers, activation: state.act, learning_rate: state.lr, batch_size: state.batch,
      points: state.data === "custom" ? points() : [],
      steps, step: net ? net.step : 0, params: net ? net.params : null, grid: 50,
    };
  }

  function customReady() {
    const classes = new Set(points().map((p) => p[2]));
    return state.data !== "custom" || classes.size === 2;
  }

  /** Train `steps` more steps (0: just look) and draw the answer. */
  async function advance(steps) {
    if (!customReady()) {
      net = null;
      history = [];
      drawEmpty();
      return null;
    }
    let d;
    const main = document.querySelector("main");
    main.dataset.busy = "1";
    try {
      d = await CR.api("/api/playground", body(steps));
    } catch (err) {
      CR.showError(err.message);
      stopTraining();
      return null;
    } finally {
      main.dataset.busy = "0";
    }
    CR.showError(d.diverged ? "Training diverged: a step would have made a weight infinite. Try a smaller learning rate." : "");
    const known = new Set(history.map((h) => h.step));
    for (const h of d.history) if (!known.has(h.step)) history.push(h);
    net = d;
    state.t = d.step;
    CR.writeState(urlState());
    draw(d);
    if (d.diverged) stopTraining();
    return d;
  }

  function urlState() {
    const s = Object.assign({}, state);
    if (s.data !== "custom") delete s.pts;
    return s;
  }

  /** At most `wanted` steps, and no more than one call may ask for: the server's work budget for this network. */
  function callSteps(wanted) {
    const most = net && net.max_steps_per_call ? net.max_steps_per_call : 1000;
    return Math.max(1, Math.min(wanted, most));
  }

  /** Rebuild the state the URL describes: retrain from the seeded start to step t. */
  async function rebuild() {
    net = null;
    history = [];
    const target = Math.max(0, state.t);
    busy = true;
    try {
      let d = await advance(0);
      while (d && d.step < target) {
        d = await advance(callSteps(target - d.step));
      }
    } finally {
      busy = false;
    }
  }

  // ------------------------------------------------------------------ drawing
  function fmt(x, digits = 4) {
    if (x === null || x === undefined) return "—";
    return Number(x).toPrecision(digits).replace(/\.?0+$/, "").replace(/\.?0+e/, "e");
  }

  function draw(d) {
    const m = d.metrics;
    const main = document.querySelector("main");
    main.dataset.step = String(d.step);
    CR.setText("m-step", String(d.step));
    CR.setText("m-engine", d.engine);
    const cells = { "m-train-loss": m.train_loss, "m-test-loss": m.test_loss };
    for (const [id, value] of Object.entries(cells)) {
      const node = CR.setText(id, fmt(value));
      node.dataset.value = String(value);
    }
    for (const [id, value] of Object.entries({ "m-train-acc": m.train_accuracy, "m-test-acc": m.test_accuracy })) {
      const node = CR.setText(id, value === null ? "—" : `${(100 * value).toFixed(1)}%`);
      node.dataset.value = String(value);
    }
    drawBoundary(d);
    drawLoss();
    drawNetwork(d);
  }

  function drawEmpty() {
    const canvas = document.getElementById("boundary-canvas");
    const ctx = canvas.getContext("2d");
    ctx.fillStyle = "#fafbfc";
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    const extent = 2;
    for (const [x, y, c] of points()) dot(ctx, canvas, extent, x, y, c, true);
    ctx.fillStyle = "#5f6c7b";
    ctx.font = "14px system-ui, sans-serif";
    ctx.fillText("Click to add points of both classes; the network trains once both are there.", 12, 22);
    document.querySelector("main").dataset.step = "empty";
  }

  function dot(ctx, canvas, extent, x, y, c, filled) {
    const px = ((x + extent) / (2 * extent)) * canvas.width;
    const py = ((extent - y) / (2 * extent)) * canvas.height;
    const [r, g, b] = COLORS[c];
    ctx.beginPath();
    ctx.arc(px, py, 4.5, 0, 2 * Math.PI);
    ctx.fillStyle = filled ? `rgb(${r},${g},${b})` : "#ffffff";
    ctx.fill();
    ctx.lineWidth = filled ? 1 : 2.2;
    ctx.strokeStyle = filled ? "#ffffff" : `rgb(${r},${g},${b})`;
    ctx.stroke();
  }

  /** P(class 1) on the server's grid, as colour: orange (class 0) – white (0.5) – blue (class 1). */
  function drawBoundary(d) {
    const canvas = document.getElementById("boundary-canvas");
    const ctx = canvas.getContext("2d");
    const grid = d.boundary.p, n = grid.length;
    // One pixel per grid cell on a small canvas, then scaled up smoothly.
    const small = document.createElement("canvas");
    small.width = n;
    small.height = n;
    const image = small.getContext("2d").createImageData(n, n);
    for (let row = 0; row < n; row++) {
      for (let col = 0; col < n; col++) {
        const p = grid[row][col];
        const [r, g, b] = p >= 0.5 ? COLORS[1] : COLORS[0];
        const strength = Math.min(1, Math.abs(p - 0.5) * 2) * 0.55;
        const at = 4 * ((n - 1 - row) * n + col); // row 0 of the grid is the lowest y: the bottom
        image.data[at] = Math.round(255 + (r - 255) * strength);
        image.data[at + 1] = Math.round(255 + (g - 255) * strength);
        image.data[at + 2] = Math.round(255 + (b - 255) * strength);
        image.data[at + 3] = 255;
      }
    }
    small.getContext("2d").putImageData(image, 0, 0);
    ctx.imageSmoothingEnabled = true;
    ctx.imageSmoothingQuality = "high";
    ctx.drawImage(small, 0, 0, canvas.width, canvas.height);
    const extent = d.boundary.extent;
    for (const [x, y, c] of d.train_points) dot(ctx, canvas, extent, x, y, c, true);
    for (const [x, y, c] of d.test_points) dot(ctx, canvas, extent, x, y, c, false);
  }

  function drawLoss() {
    if (!window.Plotly) return;
    const steps = history.map((h) => h.step);
    const traces = [
      { x: steps, y: history.map((h) => h.train_loss), mode: "lines", name: "train", line: { color: "#2f6fdd" } },
      { x: steps, y: history.map((h) => h.test_loss), mode: "lines", name: "test", line: { color: "#e07a1f", dash: "dash" } },
    ];
    const layout = Object.assign({}, CR.PLOT_LAYOUT, {
      xaxis: { title: { text: "step" }, gridcolor: "#eef1f5" },
      yaxis: { title: { text: "loss" }, rangemode: "tozero", gridcolor: "#eef1f5" },
      margin: { l: 44, r: 8, t: 4, b: 36 },
    });
    Plotly.react("loss-chart", traces, layout, CR.PLOT_CONFIG);
  }

  /** Every weight as a line: colour by sign, thickness by size (or by |gradient|). */
  function drawNetwork(d) {
    const svg = document.getElementById("net-svg");
    const sizes = d.sizes;
    const W = 320, H = 200, padX = 16, padY = 12;
    const x = (k) => padX + (k * (W - 2 * padX)) / (sizes.length - 1);
    const y = (k, i) => sizes[k] === 1 ? H / 2 : padY + (i * (H - 2 * padY)) / (sizes[k] - 1);
    const values = state.show === "weights" ? d.params : d.gradients;
    let top = 0;
    for (const layer of values) for (const row of layer.W) for (const v of row) top = Math.max(top, Math.abs(v));
    top = top || 1;
    const lines = [];
    values.forEach((layer, k) => {
      layer.W.forEach((row, i) => {
        row.forEach((v, j) => {
          const size = Math.abs(v) / top;
          const colour = state.show === "weights" ? (v >= 0 ? "#2f6fdd" : "#e07a1f") : "#c53030";
          lines.push(CR.svg("line", {
            x1: x(k), y1: y(k, i), x2: x(k + 1), y2: y(k + 1, j),
            stroke: colour, "stroke-width": (0.3 + 3.2 * size).toFixed(2), "stroke-opacity": (0.25 + 0.7 * size).toFixed(2),
          }));
        });
      });
    });
    const nodes = [];
    sizes.forEach((n, k) => {
      for (let i = 0; i < n; i++) {
        nodes.push(CR.svg("circle", { cx: x(k), cy: y(k, i), r: n > 16 ? 2.5 : 4, fill: "#fff", stroke: "#1f2933", "stroke-width": 1 }));
      }
    });
    svg.replaceChildren(...lines, ...nodes);
    CR.setText("net-note", state.show === "weights"
      ? "Each line is a weight. Blue: positive, orange: negative; thicker: larger."
      : "Each line is a weight, drawn by the size of its gradient ∂loss/∂w on the training set.");
    drawGradientBars(d);
  }

  function drawGradientBars(d) {
    if (!window.Plotly) return;
    const names = d.gradient_norms.map((_, k) => (k === d.gradient_norms.length - 1 ? "output" : `layer ${k + 1}`));
    Plotly.react("grad-chart", [{
      x: names, y: d.gradient_norms, type: "bar", marker: { color: "#c53030" },
      hovertemplate: "%{x}: ‖∂loss/∂θ‖ = %{y:.3g}<extra></extra>",
    }], Object.assign({}, CR.PLOT_LAYOUT, {
      height: 140, showlegend: false, margin: { l: 44, r: 8, t: 4, b: 28 },
      yaxis: { title: { text: "‖gradient‖" }, rangemode: "tozero", gridcolor: "#eef1f5" },
    }), CR.PLOT_CONFIG);
  }

  // ----------------------------------------------------------------- controls
  function stopTraining() {
    training = false;
    CR.setText("btn-train", "Train");
  }

  async function train() {
    if (training) return stopTraining();
    training = true;
    CR.setText("btn-train", "Pause");
    while (training) {
      if (busy) { await CR.sleep(50); continue; }
      busy = true;
      const step = net ? net.step : 0;
      const d = await advance(callSteps(step < 100 ? 10 : 25)).finally(() => { busy = false; });
      if (!d || d.step >= 100000) break;
      await CR.sleep(30);
    }
    stopTraining();
  }

  function syncInputs() {
    document.getElementById("dataset").value = state.data;
    document.getElementById("n").value = state.n;
    document.getElementById("noise").value = state.noise;
    document.getElementById("seed").value = state.seed;
    document.getElementById("depth").value = state.layers.length;
    document.getElementById("width").value = state.layers.length ? state.layers[0] : 8;
    document.getElementById("act").value = state.act;
    document.getElementById("lr").value = state.lr;
    document.getElementById("batch").value = state.batch;
    document.getElementById("row-class").hidden = state.data !== "custom";
  }

  /** A setting changed: read them all, and start again from the seeded network. */
  function onSettings() {
    const num = (id) => Number(document.getElementById(id).value);
    state.data = document.getElementById("dataset").value;
    state.n = num("n");
    state.noise = num("noise");
    state.seed = num("seed");
    const depth = num("depth"), width = num("width");
    state.layers = Array.from({ length: Math.max(0, Math.min(depth, 6)) }, () => width);
    state.act = document.getElementById("act").value;
    state.lr = num("lr");
    state.batch = num("batch");
    document.getElementById("row-class").hidden = state.data !== "custom";
    restart();
  }

  async function restart() {
    stopTraining();
    state.t = 0;
    net = null;
    history = [];
    CR.writeState(urlState());
    await advance(0);
  }

  function onCanvasClick(event) {
    if (state.data !== "custom") return;
    const canvas = event.currentTarget;
    const rect = canvas.getBoundingClientRect();
    const extent = 2;
    const round = (v) => Math.round(Math.max(-1.9, Math.min(1.9, v)) * 100) / 100;
    const x = round(((event.clientX - rect.left) / rect.width) * 2 * extent - extent);
    const y = round(extent - ((event.clientY - rect.top) / rect.height) * 2 * extent);
    const cls = Number(document.querySelector('input[name="cls"]:checked').value);
    if (state.pts.length / 3 >= MAX_URL_POINTS) {
      CR.showError(`at most ${MAX_URL_POINTS} clicked points fit in the page's address`);
      return;
    }
    state.pts = state.pts.concat([x, y, cls]);
    restart();
  }

  function start() {
    CR.whenPlotly(() => { if (net) { drawLoss(); drawGradientBars(net); } });
    syncInputs();
    for (const id of ["dataset", "n", "noise", "seed", "depth", "width", "act", "lr", "batch"]) {
      document.getElementById(id).addEventListener("change", onSettings);
    }
    document.getElementById("btn-train").addEventListener("click", train);
    document.getElementById("btn-step").addEventListener("click", async () => {
      stopTraining();
      if (busy) return;
      busy = true;
      await advance(1).finally(() => { busy = false; });
    });
    document.getElementById("btn-reset").addEventListener("click", restart);
    document.getElementById("btn-clear").addEventListener("click", () => { state.pts = []; restart(); });
    document.getElementById("boundary-canvas").addEventListener("click", onCanvasClick);
    for (const radio of document.querySelectorAll('input[name="show"]')) {
      radio.checked = radio.value === state.show;
      radio.addEventListener("change", (e) => {
        state.show = e.target.value;
        CR.writeState(urlState());
        if (net) drawNetwork(net);
      });
    }
    rebuild();
  }

  document.addEventListener("DOMContentLoaded", start);
})();
