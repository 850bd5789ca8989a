// Playground: train a small network on 2-D points and watch every neuron learn.
//
// The server keeps nothing between calls. The page holds the last answer (the
// weights and the step count) and sends them back to continue; training is
// deterministic, so the address (settings + step t + the weights edited by
// hand, with the step of each edit) is enough to rebuild exactly the same
// network: on load the page retrains to step t. Your own points travel in the
// address's fragment (#pts=…), packed by pointcodec.js.
//
// Three rules keep what is shown true:
// * every setting is checked here, against the API's own schema (/openapi.json),
//   before anything is sent: a bad value is marked on its field with its label
//   and what is allowed, nothing is sent and the address keeps the last valid state;
// * every request carries the page's epoch; a restart (a setting, Reset, new points)
//   or Step during training starts a new epoch, and an answer of an older epoch is
//   dropped: it never reaches the picture, the history or the address;
// * a cap or a warning is said on the page (the status line), never silent.
"use strict";

(() => {
  const COLORS = { 0: [224, 122, 31], 1: [47, 111, 221] }; // orange: class 0 / low, blue: class 1 / high
  const NEURON_GRID = 12; // each neuron's heat map: 12 × 12 cells
  const CLICK_DECIMALS = 2; // a clicked point keeps 2 decimals
  const LABELS = { moons: "moons", circles: "circles", xor: "xor", spiral: "spiral", custom: "click your own",
    plane: "plane", gaussians: "gaussians", custom_regression: "your own values" };
  const FEATURE_TEXT = { x1: "x₁", x2: "x₂", "x1^2": "x₁²", "x2^2": "x₂²", "x1*x2": "x₁x₂", "sin(x1)": "sin x₁", "sin(x2)": "sin x₂" };

  // Settings: the input, its words on the screen, where its bounds live in the schema, its key in the address.
  const FIELDS = {
    n: { label: "points", prop: "n_points", url: "n" },
    noise: { label: "noise", prop: "noise", url: "noise" },
    seed: { label: "seed", prop: "seed", url: "seed" },
    test: { label: "test share", prop: "test_fraction", url: "test" },
    depth: { label: "hidden layers", url: "layers" },
    lr: { label: "learning rate", prop: "learning_rate", url: "lr" },
    batch: { label: "batch size", prop: "batch_size", url: "batch" },
    rate: { label: "regularization rate", prop: "regularization_rate", url: "rate" },
  };

  let schema = null; // PlaygroundRequest's properties, from /openapi.json
  let limits = null; // /api/limits
  let weightSchema = null, coordSchema = null, examplesSchema = null, csvMaxChars = 0;
  let rebuilding = null; // the rebuild of the address's network, while it runs
  const state = { t: 0, pts: [], vals: [], edits: [], show: "weights", showtest: true, disc: false };
  let settings = null; // the last valid settings (what the address and the requests say)
  let net = null; // the last answer drawn
  let history = [];
  let training = false;
  let epoch = 0; // bumped whenever older answers must be dropped
  let pending = null; // the request of the current epoch in flight, if any
  let cursor = { x: 0, y: 0, shown: false }; // the keyboard's cross on the plane
  let selection = { kind: "weight", layer: 1, neuron: 1, source: 1 };
  let trace = null, traceAt = 0, traceEpoch = 0;

  const $ = (id) => document.getElementById(id);
  const main = () => document.querySelector("main");

  // ---------------------------------------------------------------- numbers as people write them
  function plain(x) {
    if (Number.isInteger(x)) return x.toLocaleString("en-US");
    return String(x);
  }

  /** What a schema allows, in words: "a whole number from 10 to 2,000", "a number > 0 and at most 10". */
  function allowed(s) {
    const noun = s.type === "integer" ? "a whole number" : "a number";
    const low = s.exclusiveMinimum !== undefined ? ["> ", s.exclusiveMinimum] : s.minimum !== undefined ? ["", s.minimum] : null;
    const high = s.exclusiveMaximum !== undefined ? ["< ", s.exclusiveMaximum] : s.maximum !== undefined ? ["", s.maximum] : null;
    if (low && high && !low[0] && !high[0]) return `${noun} from ${plain(low[1])} to ${plain(high[1])}`;
    const parts = [];
    if (low) parts.push(low[0] ? `> ${plain(low[1])}` : `at least ${plain(low[1])}`);
    if (high) parts.push(high[0] ? `< ${plain(high[1])}` : `at most ${plain(high[1])}`);
    return parts.length ? `${noun} ${parts.join(" and ")}` : noun;
  }

  /** The number written in `text`, checked against schema `s`: {value} or {error} (nothing is rounded or clamped). */
  function parseNumber(text, s) {
    const raw = text.trim();
    const words = allowed(s);
    if (raw === "") return { error: `allowed: ${words} (got nothing)` };
    if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(raw)) return { error: `allowed: ${words} (got "${raw}")` };
    const x = Number(raw);
    if (!Number.isFinite(x)) return { error: `allowed: ${words} (got "${raw}")` };
    if (s.type === "integer" && !Number.isInteger(x)) return { error: `${raw} is not a whole number; allowed: ${words}` };
    const out = (s.minimum !== undefined && x < s.minimum) || (s.maximum !== undefined && x > s.maximum)
      || (s.exclusiveMinimum !== undefined && x <= s.exclusiveMinimum) || (s.exclusiveMaximum !== undefined && x >= s.exclusiveMaximum);
    if (out) return { error: `allowed: ${words} (got ${raw})` };
    return { value: x };
  }

  // ------------------------------------------------------------------ field marks
  function mark(input, label, error) {
    const id = `${input.id}-error`;
    let note = document.getElementById(id);
    if (!error) {
      input.removeAttribute("aria-invalid");
      if (note) note.remove();
      input.removeAttribute("aria-describedby");
      return;
    }
    if (!note) {
      note = CR.el("p", { id, class: "field-error" });
      input.closest(".field").after(note);
    }
    note.textContent = `${label}: ${error}`;
    input.setAttribute("aria-invalid", "true");
    input.setAttribute("aria-describedby", id);
  }

  // ------------------------------------------------------------------ the settings
  function widthInputs() {
    return Array.from(document.querySelectorAll("#widths input"));
  }

  /** Make one width field per hidden layer (keeping what is typed in the ones that stay). */
  function setWidthFields(count, values) {
    const box = $("widths");
    const old = widthInputs().map((i) => i.value);
    box.replaceChildren();
    for (let k = 0; k < count; k++) {
      const id = `width-${k + 1}`;
      const input = CR.el("input", { id, type: "text", inputmode: "numeric", autocomplete: "off" });
      input.value = values && values[k] !== undefined ? values[k] : old[k] !== undefined ? old[k] : (old[old.length - 1] || "8");
      input.addEventListener("change", onSettings);
      box.append(CR.el("div", { class: "field" }, CR.el("label", { for: id }, `layer ${k + 1} neurons`), input));
    }
  }

  /** Every setting read from its field and checked; {settings} or {errors: count} with each bad field marked. */
  function readSettings() {
    let errors = 0;
    const out = {};
    const check = (id, s, label) => {
      const input = $(id);
      const r = parseNumber(input.value, s);
      mark(input, label, r.error);
      if (r.error) errors++;
      return r.value;
    };
    out.problem = $("problem").value;
    out.data = $("dataset").value;
    const own = out.data === "custom" || out.data === "custom_regression";
    for (const [id, f] of Object.entries(FIELDS)) {
      if (!f.prop) continue;
      if (own && (id === "n" || id === "noise")) { mark($(id), f.label, ""); continue; }
      out[id] = check(id, schema[f.prop], f.label);
    }
    const layers = schema.layers;
    const depth = check("depth", { type: "integer", minimum: 0, maximum: layers.maxItems }, FIELDS.depth.label);
    out.layers = [];
    if (depth !== undefined) {
      if (widthInputs().length !== depth) setWidthFields(depth);
      widthInputs().forEach((input, k) => { out.layers.push(check(input.id, layers.items, `layer ${k + 1} neurons`)); });
    }
    out.features = Array.from(document.querySelectorAll("#features input:checked")).map((i) => i.value);
    const box = $("features");
    if (!out.features.length) {
      errors++;
      box.setAttribute("aria-invalid", "true");
      setFeatureError(`features: allowed: at least ${schema.features.minItems} feature; choose one`);
    } else {
      box.removeAttribute("aria-invalid");
      setFeatureError("");
    }
    out.act = $("act").value;
    out.reg = $("reg").value;
    return errors ? { errors } : { settings: out };
  }

  function setFeatureError(text) {
    let note = $("features-error");
    if (!text) { if (note) note.remove(); return; }
    if (!note) { note = CR.el("p", { id: "features-error", class: "field-error" }); $("features").after(note); }
    note.textContent = text;
  }

  const ownPoints = (s = settings) => s && (s.data === "custom" || s.data === "custom_regression");
  const regression = (s = settings) => s && s.problem === "regression";

  function points() {
    return regression() ? state.vals : state.pts;
  }

  function body(steps) {
    const s = settings;
    const b = {
      dataset: s.data, seed: s.seed, test_fraction: s.test, features: s.features, layers: s.layers,
      activation: s.act, learning_rate: s.lr, batch_size: s.batch, regularization: s.reg, regularization_rate: s.rate,
      steps, step: net ? net.step : 0, params: net ? net.params : null, grid: 50, neuron_grid: NEURON_GRID,
    };
    if (!ownPoints(s)) Object.assign(b, { n_points: s.n, noise: s.noise });
    if (s.data === "custom") b.points = state.pts;
    if (s.data === "custom_regression") b.values = state.vals;
    return b;
  }

  function ready() {
    if (!settings) return false;
    if (settings.data === "custom") return new Set(state.pts.map((p) => p[2])).size === 2;
    if (settings.data === "custom_regression") return state.vals.length >= 2;
    return true;
  }

  // ------------------------------------------------------------------ the address
  function urlState() {
    const s = settings;
    const out = { problem: s.problem, data: s.data };
    if (!ownPoints(s)) Object.assign(out, { n: s.n, noise: s.noise });
    Object.assign(out, {
      seed: s.seed, test: s.test, feat: s.features.join(","), layers: s.layers, act: s.act, lr: s.lr,
      batch: s.batch, reg: s.reg, rate: s.rate, t: state.t, show: state.show,
    });
    if (!state.showtest) out.showtest = 0;
    if (state.disc) out.disc = 1;
    if (state.edits.length) out.edits = state.edits.flat();
    return out;
  }

  function writeURL() {
    CR.writeState(urlState());
    let hash = "";
    if (ownPoints() && points().length) hash = `#pts=${PointCodec.encode(points(), regression() ? "values" : "classes")}`;
    const url = `${location.pathname}${location.search}${hash}`;
    window.history.replaceState(null, "", url);
    $("share-link").href = url;
  }

  /** The address's values go into the fields as written; they are checked like typed ones. */
  function readURL() {
    const q = new URLSearchParams(location.search);
    const get = (key, fallback) => (q.has(key) ? q.get(key) : fallback);
    const def = (prop) => String(schema[prop].default);
    $("problem").value = get("problem", "classification") === "regression" ? "regression" : "classification";
    fillDatasets();
    const data = get("data", $("problem").value === "regression" ? "plane" : schema.dataset.default);
    if (Array.from($("dataset").options).some((o) => o.value === data)) $("dataset").value = data;
    else CR.showError(`The address asks for the dataset "${data}"; allowed for ${$("problem").value}: ${Array.from($("dataset").options).map((o) => o.value).join(", ")}.`);
    for (const [id, f] of Object.entries(FIELDS)) if (f.prop) $(id).value = get(f.url, def(f.prop));
    const layers = get("layers", schema.layers.default.join(","));
    const widths = layers.trim() === "" ? [] : layers.split(",");
    $("depth").value = String(widths.length);
    setWidthFields(Math.min(widths.length, 50), widths);
    const feats = get("feat", schema.features.default.join(",")).split(",");
    for (const box of document.querySelectorAll("#features input")) box.checked = feats.includes(box.value);
    for (const [id, key, prop] of [["act", "act", "activation"], ["reg", "reg", "regularization"]]) {
      const v = get(key, schema[prop].default);
      if (schema[prop].enum.includes(v)) $(id).value = v;
    }
    const t = Number(get("t", "0"));
    state.t = Number.isInteger(t) && t >= 0 ? t : 0;
    if (state.t > limits.max_total_steps) {
      CR.showError(`The address asks for step ${plain(state.t)}; the playground trains at most ${plain(limits.max_total_steps)} steps, so it starts at step 0.`);
      state.t = 0;
    }
    state.show = get("show", "weights") === "gradients" ? "gradients" : "weights";
    state.showtest = get("showtest", "1") !== "0";
    state.disc = get("disc", "0") === "1";
    const edits = get("edits", "").split(",").filter((x) => x !== "").map(Number);
    state.edits = [];
    for (let k = 0; k + 4 < edits.length; k += 5) state.edits.push(edits.slice(k, k + 5));
    const hash = new URLSearchParams(location.hash.slice(1)).get("pts");
    if (hash) {
      try {
        const { kind, points: pts } = PointCodec.decode(hash);
        if (kind === "values") state.vals = pts; else state.pts = pts;
      } catch (err) {
        CR.showError(`${err.message}; the page starts without them.`);
      }
    }
  }

  // ------------------------------------------------------------------ requests
  function setBusy() {
    main().dataset.busy = pending ? "1" : "0";
  }

  /** One request of the current epoch: its answer is drawn only if no newer epoch has begun meanwhile. */
  function send(steps) {
    const my = epoch;
    const request = body(steps);
    const p = (async () => {
      let d;
      try {
        d = await CR.api("/api/playground", request);
      } catch (err) {
        if (my === epoch) {
          CR.showError(err.message);
          stopTraining();
        }
        return null;
      }
      if (my !== epoch) return null; // a newer request or a reset came first: this answer is out of date
      apply(d);
      return d;
    })();
    pending = p;
    setBusy();
    p.finally(() => {
      if (pending === p) pending = null;
      setBusy();
    });
    return p;
  }

  function apply(d) {
    CR.showError("");
    const known = new Set(history.map((h) => h.step));
    for (const h of d.history) if (!known.has(h.step)) history.push(h);
    history.sort((a, b) => a.step - b.step);
    net = d;
    state.t = d.step;
    writeURL();
    draw(d);
    if (d.diverged) {
      say("Training diverged: the next step would have sent a weight past the allowed size, so it was not taken. Try a smaller learning rate.", "warning");
      stopTraining();
    } else if (d.swinging) {
      say(`The loss swings up and down: at learning rate ${plain(settings.lr)} each step overshoots the valley of the loss. Try a smaller learning rate.`, "warning");
    } else if (!training || (net && net.step < limits.max_total_steps)) {
      say("");
    }
  }

  function say(text, kind = "") {
    const node = $("status");
    node.textContent = text;
    node.className = `status ${kind}`;
  }

  /** At most `wanted` steps, within the server's work budget for this network and the playground's cap. */
  function callSteps(wanted) {
    const most = net && net.max_steps_per_call ? net.max_steps_per_call : limits.max_steps;
    const left = limits.max_total_steps - (net ? net.step : 0);
    return Math.max(0, Math.min(wanted, most, left));
  }

  /** Start again from the seeded network: a new epoch, so nothing older is drawn. */
  function restart(keepStep = false) {
    epoch++;
    stopTraining();
    closeTrace();
    if (!keepStep) {
      state.t = 0;
      state.edits = [];
    }
    net = null;
    history = [];
    if (!keepStep) clearPanels(); // on opening (keepStep) nothing was drawn yet
    writeURL();
    showOwnPoints();
    if (!ready()) {
      drawEmpty();
      return Promise.resolve(null);
    }
    if (!keepStep) return send(0);
    const r = rebuild();
    rebuilding = r;
    r.finally(() => { if (rebuilding === r) rebuilding = null; });
    return r;
  }

  /** Rebuild the state the address describes: retrain from the seeded start to step t, with each edit at its step. */
  async function rebuild() {
    const my = epoch;
    const target = state.t;
    const edits = state.edits.slice().sort((a, b) => a[0] - b[0]);
    let d = await send(0);
    for (const edit of edits) {
      while (d && my === epoch && d.step < Math.min(edit[0], target)) d = await send(callSteps(Math.min(edit[0], target) - d.step));
      if (!d || my !== epoch || d.step !== edit[0]) break;
      setParam(edit);
      d = await send(0);
    }
    while (d && my === epoch && d.step < target) {
      const n = callSteps(target - d.step);
      if (!n) break;
      d = await send(n);
    }
    if (my === epoch) state.edits = edits.filter((e) => e[0] <= (net ? net.step : 0));
    if (my === epoch && net) writeURL();
  }

  // ------------------------------------------------------------------ controls
  function stopTraining() {
    training = false;
    CR.setText("btn-train", "Train");
  }

  async function train() {
    if (training) return stopTraining();
    if (!ready()) return;
    if (rebuilding) await rebuilding; // the link's network first
    const my = epoch;
    training = true;
    CR.setText("btn-train", "Pause");
    while (training && my === epoch) {
      if (pending) {
        await pending;
        continue;
      }
      const step = net ? net.step : 0;
      const n = callSteps(step < 100 ? 10 : 25);
      if (!n) {
        say(`Training stopped at step ${plain(step)}: the playground trains at most ${plain(limits.max_total_steps)} steps (a link retrains to its step when it is opened, so it must stay quick to open).`, "warning");
        break;
      }
      const d = await send(n);
      if (!d) break;
      await CR.sleep(30);
    }
    if (my === epoch) stopTraining();
  }

  /** Step: stop training if it runs (its answer in flight is dropped), then exactly one step from what is shown. */
  async function stepOnce() {
    if (!ready()) return;
    if (rebuilding) await rebuilding;
    if (training) {
      stopTraining();
      epoch++;
    } else if (pending) {
      await pending;
    }
    if (callSteps(1) < 1) {
      say(`The playground trains at most ${plain(limits.max_total_steps)} steps.`, "warning");
      return;
    }
    await send(1);
  }

  function onSettings() {
    const r = readSettings();
    if (r.errors) {
      CR.showError(`${r.errors === 1 ? "A setting is" : `${r.errors} settings are`} not allowed: see the marked field${r.errors === 1 ? "" : "s"}. Nothing was sent; the address keeps the last valid settings.`);
      return;
    }
    CR.showError("");
    const dataChanged = settings && (settings.data !== r.settings.data || settings.problem !== r.settings.problem);
    settings = r.settings;
    if (dataChanged) cursor.shown = false;
    restart();
  }

  function fillDatasets() {
    const reg = $("problem").value === "regression";
    const wanted = schema.dataset.enum.filter((d) => limits.regression_datasets.includes(d) === reg);
    const select = $("dataset");
    const before = select.value;
    select.replaceChildren(...wanted.map((d) => CR.el("option", { value: d }, LABELS[d] || d)));
    if (wanted.includes(before)) select.value = before;
  }

  function showOwnPoints() {
    const own = ownPoints();
    $("own-points").hidden = !own;
    $("generated").hidden = own;
    $("canvas-keys").hidden = !own;
    const reg = regression();
    CR.setText("cls0-text", reg ? "value −1" : "class 0");
    CR.setText("cls1-text", reg ? "value +1" : "class 1");
    CR.setText("pt-label-name", reg ? "value" : "class");
    CR.setText("csv-label-name", reg ? "target value" : "label (0 or 1)");
    for (const node of document.querySelectorAll(".acc")) node.hidden = reg;
    const n = points().length;
    CR.setText("points-note", own ? `${plain(n)} point${n === 1 ? "" : "s"}; at most ${plain(schema.points.maxItems)}. `
      + `Numbers are kept to ${PointCodec.STEP} (3 decimals) so that they fit in the page's link.` : "");
  }

  // ------------------------------------------------------------------ your own points
  function addPoints(list) {
    const max = schema.points.maxItems;
    const target = regression() ? state.vals : state.pts;
    if (target.length + list.length > max) {
      CR.showError(`At most ${plain(max)} points; there are ${plain(target.length)} and ${plain(list.length)} more would not fit.`);
      return false;
    }
    for (const p of list) target.push(p);
    restart();
    return true;
  }

  function onCanvasClick(event) {
    if (!ownPoints()) return;
    const canvas = event.currentTarget;
    const rect = canvas.getBoundingClientRect();
    const extent = net ? net.boundary.extent : 2;
    const at = (v) => Number(v.toFixed(CLICK_DECIMALS));
    const x = at(((event.clientX - rect.left) / rect.width) * 2 * extent - extent);
    const y = at(extent - ((event.clientY - rect.top) / rect.height) * 2 * extent);
    addClicked(x, y);
  }

  function clickLabel() {
    const c = Number(document.querySelector('input[name="cls"]:checked').value);
    return regression() ? (c ? 1 : -1) : c;
  }

  function addClicked(x, y) {
    addPoints([[x, y, clickLabel()]]);
  }

  function onCanvasKey(event) {
    if (!ownPoints()) return;
    const extent = net ? net.boundary.extent : 2;
    const step = extent / 20;
    const moves = { ArrowLeft: [-step, 0], ArrowRight: [step, 0], ArrowUp: [0, step], ArrowDown: [0, -step] };
    if (moves[event.key]) {
      event.preventDefault();
      const [dx, dy] = moves[event.key];
      const clamp = (v) => Math.max(-extent, Math.min(extent, v));
      cursor = { x: Number(clamp(cursor.x + dx).toFixed(CLICK_DECIMALS)), y: Number(clamp(cursor.y + dy).toFixed(CLICK_DECIMALS)), shown: true };
      say(`Cross at (${cursor.x}, ${cursor.y}); Enter adds a point of ${regression() ? "value" : "class"} ${clickLabel()} there.`);
      redrawPlane();
    } else if (event.key === "Enter" || event.key === " ") {
      event.preventDefault();
      cursor.shown = true;
      addClicked(cursor.x, cursor.y);
    }
  }

  function onAddPoint() {
    const coord = coordSchema;
    const fields = [["pt-x", "x", coord], ["pt-y", "y", coord],
      ["pt-label", regression() ? "value" : "class", regression() ? coord : { type: "integer", minimum: 0, maximum: 1 }]];
    const values = [];
    let bad = 0;
    for (const [id, label, s] of fields) {
      const r = parseNumber($(id).value, s);
      mark($(id), label, r.error);
      if (r.error) bad++;
      values.push(r.value);
    }
    if (bad) return;
    const rounded = values.map((v) => PointCodec.quantize(v));
    const changed = rounded.some((v, k) => v !== values[k]);
    if (addPoints([rounded.map((v) => Number(v.toFixed(3)))]) && changed) {
      say(`Added (${rounded.map((v) => v.toFixed(3)).join(", ")}): kept to 3 decimals, as the link holds it.`);
    }
  }

  /** Read the CSV text with the server's reader (chainrule.csv_points): the points, or one message per bad line. */
  async function onCsv() {
    const list = $("csv-errors");
    list.replaceChildren();
    let response, d;
    try {
      response = await fetch("/api/playground/points", {
        method: "POST", headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ csv: $("csv-text").value, problem: regression() ? "regression" : "classification" }),
      });
      d = await response.json();
    } catch (err) {
      list.replaceChildren(CR.el("li", {}, "the explorer's server does not answer: is `chainrule serve` still running?"));
      return;
    }
    if (!response.ok) {
      const lines = d.detail && d.detail.length ? d.detail : [{ message: d.error || `HTTP ${response.status}` }];
      if (d.more) lines.push({ message: `and ${plain(d.more)} more` });
      list.replaceChildren(...lines.map((p) => CR.el("li", {}, p.message)));
      $("csv-text").setAttribute("aria-invalid", "true");
      return;
    }
    $("csv-text").removeAttribute("aria-invalid");
    let rounded = 0;
    const pts = d.points.map((p) => p.map((v, k) => {
      if (k === 2 && !regression()) return v;
      const q = Number(PointCodec.quantize(v).toFixed(3));
      if (q !== v) rounded++;
      return q;
    }));
    if (regression()) state.vals = []; else state.pts = [];
    if (addPoints(pts)) {
      list.replaceChildren(CR.el("li", { class: "ok" }, `${plain(pts.length)} points read`
        + (rounded ? `; ${plain(rounded)} numbers kept to 3 decimals (0.001), as the link holds them.` : ".")));
    }
  }

  function onCsvFile(event) {
    const file = event.target.files[0];
    if (!file) return;
    const most = csvMaxChars;
    if (file.size > most) {
      $("csv-errors").replaceChildren(CR.el("li", {}, `${file.name} is ${plain(file.size)} bytes; allowed: at most ${plain(most)} characters.`));
      return;
    }
    file.text().then((text) => {
      $("csv-text").value = text;
      onCsv();
    });
  }


  // ------------------------------------------------------------------ drawing
  /** A number for reading, with the typographic minus the engine's own text uses (one minus per page). */
  function fmt(x, digits = 4) {
    if (x === null || x === undefined) return "—";
    // toPrecision's trailing zeros go, but only after a decimal point (100 stays 100, 1.500 becomes 1.5)
    return Number(x).toPrecision(digits).replace(/(\.\d*?)0+(?=e|$)/, "$1").replace(/\.(?=e|$)/, "")
      .replace(/-/g, "−");
  }

  function clearPanels() {
    main().dataset.step = "";
    for (const id of ["m-train-loss", "m-test-loss", "m-train-acc", "m-test-acc"]) {
      const node = CR.setText(id, "—");
      node.dataset.value = "";
    }
    CR.setText("m-step", "0");
    if (window.Plotly) {
      Plotly.purge("loss-chart");
      Plotly.purge("grad-chart");
    }
    $("loss-table").tBodies[0].replaceChildren();
    $("net-table").tBodies[0].replaceChildren();
    CR.setText("loss-text", "No training yet.");
    $("net-svg").replaceChildren();
    CR.setText("net-note", "No network yet: the network appears when there are points to learn from.");
    CR.setText("sel-text", "");
    say("");
  }

  function draw(d) {
    const m = d.metrics;
    main().dataset.step = String(d.step);
    main().dataset.drawn = JSON.stringify({ data: settings.data, t: d.step });
    CR.setText("m-step", String(d.step));
    CR.setText("m-engine", `Computed by ${d.engine}.`);
    for (const [id, value] of Object.entries({ "m-train-loss": m.train_loss, "m-test-loss": m.test_loss })) {
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
    describeSelection();
  }

  function drawEmpty() {
    const canvas = $("boundary-canvas");
    const ctx = canvas.getContext("2d");
    ctx.fillStyle = "#fafbfc";
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    const extent = 2;
    for (const [x, y, c] of points()) dot(ctx, canvas, extent, x, y, c, true);
    drawCursor(ctx, canvas, extent);
    ctx.fillStyle = "#4a5663";
    ctx.font = "15px system-ui, sans-serif";
    const need = regression() ? "Add at least 2 points" : "Add points of both classes";
    ctx.fillText(`${need}: click, use the arrow keys and Enter, type or paste them.`, 12, 24);
    main().dataset.step = "empty";
    main().dataset.drawn = JSON.stringify({ data: settings ? settings.data : "", t: "empty" });
    CR.setText("boundary-text", `${need} to start. ${points().length} point${points().length === 1 ? "" : "s"} so far.`);
    legend();
  }

  function redrawPlane() {
    if (net) drawBoundary(net);
    else drawEmpty();
  }

  /** A number's colour: orange (−1 / class 0) – white (0) – blue (+1 / class 1), at most `strength` strong. */
  function shade(t, strength = 0.6) {
    const [r, g, b] = t >= 0 ? COLORS[1] : COLORS[0];
    const s = Math.min(1, Math.abs(t)) * strength;
    return [Math.round(255 + (r - 255) * s), Math.round(255 + (g - 255) * s), Math.round(255 + (b - 255) * s)];
  }

  function valueScale() {
    let top = 1;
    for (const p of state.vals) top = Math.max(top, Math.abs(p[2]));
    if (net && regression()) for (const p of net.train_points) top = Math.max(top, Math.abs(p[2]));
    return top;
  }

  function dot(ctx, canvas, extent, x, y, c, filled) {
    const px = ((x + extent) / (2 * extent)) * canvas.width;
    const py = ((extent - y) / (2 * extent)) * canvas.height;
    const [r, g, b] = regression() ? shade(c / valueScale(), 1) : COLORS[c];
    ctx.beginPath();
    ctx.arc(px, py, 4.5, 0, 2 * Math.PI);
    ctx.fillStyle = filled ? `rgb(${r},${g},${b})` : "#ffffff";
    ctx.fill();
    ctx.lineWidth = filled ? 1 : 2.2;
    ctx.strokeStyle = filled ? (regression() ? "#1f2933" : "#ffffff") : `rgb(${r},${g},${b})`;
    ctx.stroke();
  }

  function drawCursor(ctx, canvas, extent) {
    if (!cursor.shown || !ownPoints()) return;
    const px = ((cursor.x + extent) / (2 * extent)) * canvas.width;
    const py = ((extent - cursor.y) / (2 * extent)) * canvas.height;
    ctx.strokeStyle = "#1f2933";
    ctx.lineWidth = 2;
    ctx.beginPath();
    ctx.moveTo(px - 10, py); ctx.lineTo(px + 10, py); ctx.moveTo(px, py - 10); ctx.lineTo(px, py + 10);
    ctx.stroke();
  }

  /** The network's answer on the server's grid: P(class 1) or the value, as colour (discretized on request). */
  function drawBoundary(d) {
    const canvas = $("boundary-canvas");
    const ctx = canvas.getContext("2d");
    const grid = d.boundary.p, n = grid.length;
    const reg = d.problem === "regression";
    const top = reg ? valueScale() : 1;
    const small = document.createElement("canvas");
    small.width = n;
    small.height = n;
    const image = small.getContext("2d").createImageData(n, n);
    let positive = 0;
    for (let row = 0; row < n; row++) {
      for (let col = 0; col < n; col++) {
        const p = grid[row][col];
        let t = reg ? p / top : (p - 0.5) * 2;
        if (t >= 0) positive++;
        if (state.disc) t = t >= 0 ? 1 : -1;
        const [r, g, b] = shade(t, state.disc ? 0.45 : 0.6);
        const at = 4 * ((n - 1 - row) * n + col); // row 0 of the grid is the lowest y: the bottom
        image.data.set([r, g, b, 255], at);
      }
    }
    small.getContext("2d").putImageData(image, 0, 0);
    ctx.fillStyle = "#ffffff"; // the picture depends on this answer alone, never on what was drawn before
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    ctx.imageSmoothingEnabled = !state.disc;
    ctx.imageSmoothingQuality = "high";
    ctx.drawImage(small, 0, 0, canvas.width, canvas.height);
    const extent = d.boundary.extent;
    for (const [x, y, c] of d.train_points) dot(ctx, canvas, extent, x, y, c, true);
    if (state.showtest) for (const [x, y, c] of d.test_points) dot(ctx, canvas, extent, x, y, c, false);
    drawCursor(ctx, canvas, extent);
    const share = Math.round((100 * positive) / (n * n));
    const m = d.metrics;
    const what = reg
      ? `the network's value over the square from −${extent} to ${extent}: blue where it is high, orange where it is low`
      : `P(class 1) over the square from −${extent} to ${extent}: blue where the network says class 1 (${share}% of the square), orange where it says class 0`;
    CR.setText("boundary-text", `Step ${d.step}: ${what}. ${d.train_points.length} training points (filled)`
      + `${state.showtest ? ` and ${d.test_points.length} test points (ringed)` : `; ${d.test_points.length} test points hidden`}.`
      + (reg ? ` Train loss ${fmt(m.train_loss)}, test loss ${fmt(m.test_loss)}.`
        : ` Train accuracy ${fmt(100 * m.train_accuracy, 3)}%, test accuracy ${m.test_accuracy === null ? "—" : fmt(100 * m.test_accuracy, 3)}%.`));
    legend();
  }

  function legend() {
    const reg = regression();
    const items = reg
      ? [["sw-c0", "low value (−)"], ["sw-c1", "high value (+)"]]
      : [["sw-c0", "class 0"], ["sw-c1", "class 1"]];
    $("legend").replaceChildren(...items.map(([cls, text]) => CR.el("span", {}, CR.el("span", { class: `swatch ${cls}` }), text)),
      CR.el("span", {}, "filled: training point · ringed: test point"));
  }

  function drawLoss() {
    const rows = $("loss-table").tBodies[0];
    rows.replaceChildren(...history.map((h) => CR.el("tr", {}, CR.el("td", {}, String(h.step)),
      CR.el("td", {}, fmt(h.train_loss)), CR.el("td", {}, fmt(h.test_loss)))));
    const last = history[history.length - 1];
    const lossName = regression() ? "mean squared error" : "cross-entropy";
    if (last) {
      CR.setText("loss-text", `The ${lossName} at ${history.length} recorded step${history.length === 1 ? "" : "s"}, from step ${history[0].step} `
        + `(train ${fmt(history[0].train_loss)}) to step ${last.step} (train ${fmt(last.train_loss)}, test ${fmt(last.test_loss)}).`);
    }
    if (!window.Plotly) return;
    const steps = history.map((h) => h.step);
    const mode = history.length > 1 ? "lines" : "markers";
    const traces = [
      { x: steps, y: history.map((h) => h.train_loss), mode, name: "train", line: { color: "#2f6fdd" } },
      { x: steps, y: history.map((h) => h.test_loss), mode, name: "test", line: { color: "#c05f0c", dash: "dash" } },
    ];
    const layout = Object.assign({}, CR.PLOT_LAYOUT, {
      xaxis: { title: { text: "step" }, gridcolor: "#eef1f5" },
      yaxis: { title: { text: lossName }, rangemode: "tozero", gridcolor: "#eef1f5" },
      margin: { l: 48, r: 8, t: 4, b: 36 },
    });
    Plotly.react("loss-chart", traces, layout, CR.PLOT_CONFIG);
  }

  // ------------------------------------------------------------------ the network
  function decodeMap(m) {
    const raw = atob(m.q);
    const out = new Float64Array(raw.length);
    const step = (m.hi - m.lo) / 255;
    for (let i = 0; i < raw.length; i++) out[i] = m.lo + raw.charCodeAt(i) * step;
    return out;
  }

  /** A neuron's heat map as an image: its output over the plane, coloured by sign and size. */
  function mapImage(m, n, centre) {
    const values = decodeMap(m);
    const top = Math.max(Math.abs(m.lo - centre), Math.abs(m.hi - centre), 1e-12);
    const canvas = document.createElement("canvas");
    canvas.width = n;
    canvas.height = n;
    const ctx = canvas.getContext("2d");
    const image = ctx.createImageData(n, n);
    for (let row = 0; row < n; row++) {
      for (let col = 0; col < n; col++) {
        let t = (values[row * n + col] - centre) / top;
        if (state.disc) t = t >= 0 ? 1 : -1;
        image.data.set([...shade(t, 0.85), 255], 4 * ((n - 1 - row) * n + col));
      }
    }
    ctx.putImageData(image, 0, 0);
    return canvas.toDataURL();
  }

  function layerName(k, sizes) {
    return k === sizes.length - 1 ? "output" : `layer ${k}`;
  }

  /** Columns: the features, each hidden layer, the output; each neuron a heat map, each weight a line. */
  function drawNetwork(d) {
    const svg = $("net-svg");
    const sizes = d.sizes;
    const tallest = Math.max(...sizes);
    const box = tallest > 16 ? 14 : tallest > 8 ? 22 : 30;
    const gap = Math.max(4, box / 3);
    const colW = 96, pad = 10, left = 40; // room for the features' names
    const W = left + pad + (sizes.length - 1) * colW + box;
    const H = pad * 2 + tallest * (box + gap) - gap + 14;
    svg.setAttribute("viewBox", `0 0 ${W} ${H}`);
    const x = (k) => left + k * colW;
    const y = (k, i) => pad + 14 + ((tallest - sizes[k]) * (box + gap)) / 2 + i * (box + gap);
    const values = state.show === "weights" ? d.params : d.gradients;
    let top = 0;
    for (const layer of values) for (const row of layer.W) for (const v of row) top = Math.max(top, Math.abs(v));
    top = top || 1;
    const lines = [];
    values.forEach((layer, k) => {
      layer.W.forEach((row, i) => {
        row.forEach((v, j) => {
          const size = Math.abs(v) / top;
          const colour = state.show === "weights" ? (v >= 0 ? "#2f6fdd" : "#c05f0c") : "#c53030";
          const at = { x1: x(k) + box, y1: y(k, i) + box / 2, x2: x(k + 1), y2: y(k + 1, j) + box / 2 };
          const focus = { kind: "weight", layer: k + 1, neuron: j + 1, source: i + 1 };
          const chosen = sameFocus(focus, selection);
          const g = CR.svg("g", { class: "wire", "data-layer": k + 1, "data-source": i + 1, "data-neuron": j + 1 });
          g.append(CR.svg("line", { ...at, stroke: chosen ? "#1f2933" : colour, "stroke-width": chosen ? 3 : (0.4 + 3 * size).toFixed(2),
            "stroke-opacity": chosen ? 1 : (0.3 + 0.7 * size).toFixed(2) }));
          g.append(CR.svg("line", { ...at, class: "hit", stroke: "transparent", "stroke-width": 7 }));
          g.addEventListener("mouseenter", (e) => showTip(e, focus));
          g.addEventListener("mousemove", (e) => moveTip(e));
          g.addEventListener("mouseleave", hideTip);
          g.addEventListener("click", () => choose(focus));
          lines.push(g);
        });
      });
    });
    const nodes = [];
    const maps = d.neurons;
    sizes.forEach((n, k) => {
      nodes.push(CR.svg("text", { x: x(k) + box / 2, y: pad + 4, class: "col-label" }, k === 0 ? "input" : layerName(k, sizes)));
      for (let i = 0; i < n; i++) {
        const g = CR.svg("g", { class: "neuron", "data-layer": k, "data-neuron": i + 1 });
        let map = null, centre = 0;
        if (maps) {
          if (k === 0) map = maps.features[i];
          else map = maps.layers[k - 1][i];
          if (k === sizes.length - 1 && d.problem !== "regression") centre = 0.5; // P(class 0), P(class 1)
          if (k > 0 && k < sizes.length - 1 && settings.act === "sigmoid") centre = 0.5;
        }
        if (map) g.append(CR.svg("image", { x: x(k), y: y(k, i), width: box, height: box, href: mapImage(map, maps.grid, centre), preserveAspectRatio: "none" }));
        const chosen = k > 0 && selection.kind !== "weight" && selection.layer === k && selection.neuron === i + 1;
        g.append(CR.svg("rect", { x: x(k), y: y(k, i), width: box, height: box, fill: map ? "none" : "#fff",
          stroke: chosen ? "#1f2933" : "#8a96a6", "stroke-width": chosen ? 2.5 : 1 }));
        if (k === 0) {
          g.append(CR.svg("text", { x: x(k) - 2, y: y(k, i) + box / 2, class: "feat-label" }, FEATURE_TEXT[d.features[i]] || d.features[i]));
        } else {
          const focus = { kind: "neuron", layer: k, neuron: i + 1, source: 1 };
          g.addEventListener("mouseenter", (e) => showTip(e, focus));
          g.addEventListener("mousemove", (e) => moveTip(e));
          g.addEventListener("mouseleave", hideTip);
          g.addEventListener("click", () => choose(focus));
        }
        nodes.push(g);
      }
    });
    svg.replaceChildren(...lines, ...nodes);
    const count = d.params.reduce((s, p) => s + p.W.length * p.W[0].length + p.b.length, 0);
    CR.setText("net-note", `${sizes.map((n, k) => `${n} ${k === 0 ? "features" : k === sizes.length - 1 ? "output" + (n > 1 ? "s" : "") : "neurons"}`).join(" → ")}; `
      + `${plain(count)} weights and biases. Each square is a neuron's output over the plane (blue: positive, orange: negative). `
      + (state.show === "weights" ? "Each line is a weight: blue positive, orange negative, thicker larger." : "Each line is drawn by the size of its gradient ∂loss/∂w on the training set."));
    const table = $("net-table").tBodies[0];
    table.replaceChildren(...d.params.map((p, k) => {
      const all = p.W.flat().map(Math.abs);
      return CR.el("tr", {}, CR.el("td", {}, layerName(k + 1, sizes)), CR.el("td", {}, `${p.W.length} × ${p.W[0].length}`),
        CR.el("td", {}, fmt(Math.max(...all))), CR.el("td", {}, fmt(all.reduce((a, b) => a + b, 0) / all.length)),
        CR.el("td", {}, fmt(d.gradient_norms[k])));
    }));
    drawGradientBars(d);
    fillSelection();
  }

  function drawGradientBars(d) {
    if (!window.Plotly) return;
    const names = d.gradient_norms.map((_, k) => layerName(k + 1, d.sizes));
    Plotly.react("grad-chart", [{
      x: names, y: d.gradient_norms, type: "bar", marker: { color: "#c53030" },
      hovertemplate: "%{x}: ‖∂loss/∂θ‖ = %{y:.3g}<extra></extra>",
    }], Object.assign({}, CR.PLOT_LAYOUT, {
      height: 140, showlegend: false, margin: { l: 48, r: 8, t: 4, b: 28 },
      yaxis: { title: { text: "‖gradient‖" }, rangemode: "tozero", gridcolor: "#eef1f5" },
    }), CR.PLOT_CONFIG);
  }

  // ------------------------------------------------------------------ one neuron or weight
  const sameFocus = (a, b) => a.kind === b.kind && a.layer === b.layer && a.neuron === b.neuron && (a.kind !== "weight" || a.source === b.source);

  function focusName(f, sizes) {
    if (f.kind === "weight") return `w${f.layer}[${f.source},${f.neuron}]`;
    if (f.kind === "bias") return `b${f.layer}[${f.neuron}]`;
    return `${f.layer === sizes.length - 1 ? "z" : "a"}${f.layer}[${f.neuron}]`;
  }

  function focusValue(f) {
    if (!net) return null;
    const p = net.params[f.layer - 1];
    if (f.kind === "weight") return { value: p.W[f.source - 1][f.neuron - 1], grad: net.gradients[f.layer - 1].W[f.source - 1][f.neuron - 1] };
    if (f.kind === "bias") return { value: p.b[f.neuron - 1], grad: net.gradients[f.layer - 1].b[f.neuron - 1] };
    return null;
  }

  function describe(f) {
    const sizes = net.sizes;
    const v = focusValue(f);
    const from = f.layer === 1 ? `feature ${FEATURE_TEXT[net.features[f.source - 1]] || f.source}` : `neuron ${f.source} of layer ${f.layer - 1}`;
    const where = `${layerName(f.layer, sizes)}, neuron ${f.neuron}`;
    if (f.kind === "weight") return `${focusName(f, sizes)} = ${fmt(v.value, 6)} (from ${from} to ${where}; |∂loss/∂w| = ${fmt(v.grad, 3)})`;
    if (f.kind === "bias") return `${focusName(f, sizes)} = ${fmt(v.value, 6)} (the bias of ${where}; |∂loss/∂b| = ${fmt(v.grad, 3)})`;
    return `${focusName(f, sizes)}: the output of ${where}`;
  }

  function showTip(event, f) {
    if (!net) return;
    const tip = $("net-tip");
    tip.textContent = `${describe(f)}. Click to choose it.`;
    tip.hidden = false;
    moveTip(event);
  }

  function moveTip(event) {
    const tip = $("net-tip");
    const box = tip.parentElement.getBoundingClientRect();
    tip.style.left = `${Math.min(event.clientX - box.left + 12, box.width - 220)}px`;
    tip.style.top = `${event.clientY - box.top + 12}px`;
  }

  function hideTip() {
    $("net-tip").hidden = true;
  }

  function choose(f) {
    selection = { ...f };
    fillSelection();
    if (net) drawNetwork(net);
    $(selection.kind === "neuron" ? "btn-trace" : "sel-value").focus();
  }

  function options(select, n, text) {
    const before = Number(select.value);
    select.replaceChildren(...Array.from({ length: n }, (_, k) => CR.el("option", { value: k + 1 }, text(k + 1))));
    return before;
  }

  /** The selection form follows the network's shape and the chosen neuron or weight. */
  function fillSelection() {
    if (!net) return;
    const sizes = net.sizes;
    const layers = sizes.length - 1;
    selection.layer = Math.min(selection.layer, layers);
    selection.neuron = Math.min(selection.neuron, sizes[selection.layer]);
    selection.source = Math.min(selection.source, sizes[selection.layer - 1]);
    $("sel-kind").value = selection.kind;
    options($("sel-layer"), layers, (k) => layerName(k, sizes));
    $("sel-layer").value = String(selection.layer);
    options($("sel-neuron"), sizes[selection.layer], (k) => `neuron ${k}`);
    $("sel-neuron").value = String(selection.neuron);
    options($("sel-source"), sizes[selection.layer - 1], (k) => selection.layer === 1 ? (FEATURE_TEXT[net.features[k - 1]] || net.features[k - 1]) : `neuron ${k} of layer ${selection.layer - 1}`);
    $("sel-source").value = String(selection.source);
    $("sel-source-row").hidden = selection.kind !== "weight";
    $("sel-value-row").hidden = selection.kind === "neuron";
    $("btn-set").hidden = selection.kind === "neuron";
    const v = focusValue(selection);
    if (v && document.activeElement !== $("sel-value")) $("sel-value").value = String(v.value);
    describeSelection();
  }

  function describeSelection() {
    if (net) CR.setText("sel-text", describe(selection));
  }

  function onSelectionForm() {
    selection = {
      kind: $("sel-kind").value, layer: Number($("sel-layer").value) || 1,
      neuron: Number($("sel-neuron").value) || 1, source: Number($("sel-source").value) || 1,
    };
    $("sel-value").value = "";
    fillSelection();
    if (net) drawNetwork(net);
  }

  function setParam(edit) {
    const [, layer, source, neuron, value] = edit;
    const p = net.params[layer - 1];
    if (source === 0) p.b[neuron - 1] = value;
    else p.W[source - 1][neuron - 1] = value;
  }

  /** Set the chosen weight or bias to the typed value: an edit of the network at this step, kept in the address. */
  async function onSetValue() {
    if (!net || selection.kind === "neuron") return;
    const r = parseNumber($("sel-value").value, weightSchema);
    mark($("sel-value"), "new value", r.error);
    if (r.error) return;
    if (training || pending) {
      stopTraining();
      epoch++;
    }
    const edit = [net.step, selection.layer, selection.kind === "bias" ? 0 : selection.source, selection.neuron, r.value];
    state.edits = state.edits.filter((e) => !(e[0] === edit[0] && e[1] === edit[1] && e[2] === edit[2] && e[3] === edit[3]));
    state.edits.push(edit);
    setParam(edit);
    await send(0);
  }

  // ------------------------------------------------------------------ backprop to the chosen one
  async function openTrace() {
    if (!net) return;
    if (training) stopTraining();
    if (pending) await pending;
    const my = ++traceEpoch;
    const netEpoch = epoch;
    const request = Object.assign(body(0), { focus: selection, examples: Number($("trace-examples").value) || 1 });
    for (const key of ["steps", "grid", "neuron_grid"]) delete request[key];
    let d;
    try {
      d = await CR.api("/api/playground/trace", request);
    } catch (err) {
      if (my === traceEpoch) CR.showError(err.message);
      return;
    }
    if (my !== traceEpoch || netEpoch !== epoch) return; // a newer question, or the network started again
    trace = d;
    traceAt = 0;
    $("trace").hidden = false;
    const ex = d.examples.map(([x, y, l]) => `(${fmt(x)}, ${fmt(y)}) ${d.problem === "regression" ? "value" : "class"} ${fmt(l)}`).join("; ");
    const focusNode = d.nodes[d.focus.node];
    CR.setText("trace-what", `Backprop to ${d.focus.name} at step ${d.step}, for the first ${d.examples.length === 1 ? "point" : `${d.examples.length} points`} of the next batch: ${ex}. `
      + `The cost C is ${d.problem === "regression" ? "the squared error" : "the cross-entropy"}${d.examples.length > 1 ? " averaged over them" : ""}`
      + `${settings.reg !== "none" && settings.rate > 0 ? `, plus the ${settings.reg.toUpperCase()} penalty` : ""}.`);
    const paths = d.derivations.find((p) => p.node === d.focus.node);
    CR.setText("trace-summary", (d.summarised
      ? `Many paths: the layers after layer ${d.summarised.after_layer} (${plain(d.summarised.edges)} edges) are summarised: each arrow into C carries ∂C/∂a, the gradient backprop brought back to layer ${d.summarised.after_layer}. `
      : `${d.events.length} edges lead from ${d.focus.name} to C. `)
      + (paths ? (paths.formula.length <= 240 ? `${paths.formula} ${paths.numbers}` : `∂C/∂${d.focus.name} is the sum over ${plain(paths.paths)} paths of the product of the local derivatives along each; backprop visits each edge once instead.`) : ""));
    CR.setText("tr-check", d.engine_gradient === null ? `At the end ∂C/∂${focusNode.name} = ${focusNode.grad_text}.`
      : `At the end ∂C/∂${focusNode.name} = ${focusNode.grad_text}; the playground's engine (chainrule.nn) computes ${fmt(d.engine_gradient, 6)} for the same points.`);
    drawTrace();
    $("tr-next").focus();
    $("trace").scrollIntoView({ block: "nearest" });
  }

  function closeTrace() {
    traceEpoch++;
    trace = null;
    $("trace").hidden = true;
  }

  function traceTo(k) {
    if (!trace) return;
    const wasNext = document.activeElement === $("tr-next");
    traceAt = Math.max(0, Math.min(k, trace.events.length));
    drawTrace();
    if (wasNext && $("tr-next").disabled) $("tr-back").focus(); // never let the focus fall to the page
  }

  function drawTrace() {
    const t = trace;
    const svg = $("trace-svg");
    // the layout comes with the trace (chainrule/stepthrough/layout.py: dot, one column per layer, one port per input)
    svg.setAttribute("viewBox", `0 0 ${t.width} ${t.height}`);
    svg.style.maxWidth = `${t.width}px`;
    const shown = t.events.slice(0, traceAt);
    const active = traceAt ? t.events[traceAt - 1] : null;
    const done = new Set(shown.map((e) => e.edge));
    const grad = new Map();
    for (const e of shown) grad.set(e.source, e.text.after); // the server's text: the boxes are sized for it
    grad.set(t.cost, "1");
    const edges = t.edges.map((e) => {
      const cls = active && e.id === active.edge ? "edge active" : done.has(e.id) ? "edge done" : "edge";
      return CR.svg("path", { class: cls, d: e.path });
    });
    const ports = new Map(); // node id → the edges entering it, by slot
    for (const e of t.edges) {
      if (!ports.has(e.target)) ports.set(e.target, []);
      ports.get(e.target)[e.slot] = e;
    }
    const nodes = t.nodes.map((n) => {
      const b = n.box;
      let cls = `node ${n.kind}`;
      if (active && n.id === active.target) cls += " active";
      if (active && n.id === active.source) cls += " receiving";
      if (t.focus.node === n.id) cls += " focus";
      const g = CR.svg("g", { class: cls });
      g.append(CR.svg("rect", { class: "box", x: b.x, y: b.y, width: b.w, height: b.h, rx: 7 }));
      (ports.get(n.id) || []).forEach((e, k) => {
        const p = b.ports[k];
        if (!p) return;
        const on = active && e.id === active.edge ? " active" : "";
        g.append(CR.svg("rect", { class: `port${on}`, x: p.x, y: p.y, width: p.w, height: p.h }));
        if (done.has(e.id)) g.append(CR.svg("text", { class: `edge-label${on}`, x: p.x + p.w / 2, y: p.y + p.h / 2 }, e.local_text));
      });
      const cx = b.body.x + b.body.w / 2;
      g.append(CR.svg("text", { x: cx, y: b.lines[0], class: "name" }, n.name));
      g.append(CR.svg("text", { x: cx, y: b.lines[1], class: "val" }, n.value_text));
      if (grad.has(n.id)) g.append(CR.svg("text", { x: cx, y: b.lines[2], class: "grad" }, grad.get(n.id)));
      return g;
    });
    svg.replaceChildren(...edges, ...nodes);
    CR.setText("tr-progress", `edge ${traceAt} of ${t.events.length}`);
    $("tr-back").disabled = traceAt === 0;
    $("tr-next").disabled = traceAt === t.events.length;
    $("tr-end").disabled = traceAt === t.events.length;
    main().dataset.traceEdge = String(traceAt);
    const box = $("tr-event");
    if (!active) {
      box.replaceChildren(CR.el("p", { class: "note" }, "The forward pass has run: every node holds its value. Next edge sends ∂C/∂C = 1 back along the first edge."));
      return;
    }
    const lines = [
      CR.el("p", { class: "big" }, active.text.chain),
      CR.el("p", {}, active.text.formula),
      CR.el("p", { class: "big" }, active.text.numbers),
      CR.el("p", { class: "big", id: "tr-sum" }, active.text.sum),
    ];
    if (active.meets) lines.push(CR.el("p", { class: "meets" }, "Two paths meet here: the chain rule adds their contributions."));
    box.replaceChildren(...lines);
  }

  // ------------------------------------------------------------------ start
  async function start() {
    CR.whenPlotly(() => {
      if (net) {
        drawLoss();
        drawGradientBars(net);
      }
    });
    let spec;
    try {
      [spec, limits] = await Promise.all([
        fetch("/openapi.json").then((r) => r.json()),
        fetch("/api/limits").then((r) => r.json()),
      ]);
    } catch (err) {
      CR.showError("the explorer's server does not answer: is `chainrule serve` still running?");
      return;
    }
    const models = spec.components.schemas;
    schema = models.PlaygroundRequest.properties;
    weightSchema = models.LayerParams.properties.W.items.items;
    coordSchema = schema.points.items.prefixItems[0];
    examplesSchema = models.PlaygroundTraceRequest.properties.examples;
    csvMaxChars = models.PointsCsvRequest.properties.csv.maxLength;
    $("problem").replaceChildren(...["classification", "regression"].map((p) => CR.el("option", { value: p }, p)));
    $("act").replaceChildren(...schema.activation.enum.map((a) => CR.el("option", { value: a }, a)));
    $("reg").replaceChildren(...schema.regularization.enum.map((a) => CR.el("option", { value: a }, a === "none" ? "none" : a.toUpperCase())));
    $("features").append(...schema.features.items.enum.map((f) => CR.el("label", {},
      CR.el("input", { type: "checkbox", value: f, id: `feat-${f.replace(/\W/g, "_")}` }), ` ${FEATURE_TEXT[f] || f}`)));
    $("trace-examples").replaceChildren(...Array.from({ length: examplesSchema.maximum - examplesSchema.minimum + 1 },
      (_, k) => CR.el("option", { value: examplesSchema.minimum + k }, String(examplesSchema.minimum + k))));
    readURL();
    $("show-test").checked = state.showtest;
    $("discretize").checked = state.disc;
    for (const radio of document.querySelectorAll('input[name="show"]')) radio.checked = radio.value === state.show;

    for (const id of ["dataset", "n", "noise", "seed", "test", "depth", "act", "lr", "batch", "reg", "rate"]) $(id).addEventListener("change", onSettings);
    $("problem").addEventListener("change", () => { fillDatasets(); onSettings(); });
    $("features").addEventListener("change", onSettings);
    $("btn-train").addEventListener("click", train);
    $("btn-step").addEventListener("click", stepOnce);
    $("btn-reset").addEventListener("click", () => { if (settings) restart(); else onSettings(); });
    $("btn-clear").addEventListener("click", () => { if (regression()) state.vals = []; else state.pts = []; restart(); });
    $("btn-add-point").addEventListener("click", onAddPoint);
    $("btn-csv").addEventListener("click", onCsv);
    $("csv-file").addEventListener("change", onCsvFile);
    const canvas = $("boundary-canvas");
    canvas.addEventListener("click", onCanvasClick);
    canvas.addEventListener("keydown", onCanvasKey);
    $("show-test").addEventListener("change", (e) => { state.showtest = e.target.checked; if (settings) writeURL(); redrawPlane(); });
    $("discretize").addEventListener("change", (e) => { state.disc = e.target.checked; if (settings) writeURL(); redrawPlane(); if (net) drawNetwork(net); });
    for (const radio of document.querySelectorAll('input[name="show"]')) {
      radio.addEventListener("change", (e) => { state.show = e.target.value; if (settings) writeURL(); if (net) drawNetwork(net); });
    }
    for (const id of ["sel-kind", "sel-layer", "sel-neuron", "sel-source"]) $(id).addEventListener("change", onSelectionForm);
    $("btn-set").addEventListener("click", onSetValue);
    $("btn-trace").addEventListener("click", openTrace);
    $("tr-next").addEventListener("click", () => traceTo(traceAt + 1));
    $("tr-back").addEventListener("click", () => traceTo(traceAt - 1));
    $("tr-end").addEventListener("click", () => traceTo(Infinity));
    $("tr-close").addEventListener("click", () => { closeTrace(); $("btn-trace").focus(); });

    const r = readSettings();
    if (r.errors) {
      CR.showError("The address holds settings that are not allowed: see the marked fields. Nothing was sent.");
      clearPanels();
      return;
    }
    settings = r.settings;
    restart(true);
  }

  document.addEventListener("DOMContentLoaded", start);
})();
