// Playground: train a small network on 2-D points and watch every neuron learn.
//
// The server keeps nothing between calls. The page holds the last answer (the
// weights and the step count) and sends them back to continue; training is
// deterministic, so the address (settings + step t + the weights edited by
// hand, with the step of each edit) is enough to rebuild exactly the same
// network: on load the page retrains to step t, showing how far it got and
// letting you cancel. Your own points travel in the address's fragment
// (#pts=…), packed by pointcodec.js.
//
// Training animates: Train opens a stream (/api/playground/stream) whose frames
// arrive one line of JSON at a time as the server computes them; the page draws
// the newest at the browser's frame rate (requestAnimationFrame), and Pause or
// Step stop at the frame on the screen: what is drawn is the state.
//
// Four rules keep what is shown true:
// * every setting is checked here, against the API's own schema (/openapi.json),
//   before anything is sent: a bad value is marked on its field with its label
//   and what is allowed, nothing is sent and the address keeps the last valid state;
// * every request carries the page's epoch; a restart (a setting, Reset, new points),
//   Pause or Step during training starts a new epoch, and an answer or frame of an older
//   epoch is dropped: it never reaches the picture, the history or the address;
// * whatever the address asked for that the page refused, clamped or ignored is named
//   (the notes under the header) with what it used instead, until that setting is changed;
// * a cap or a warning is said on the page (the status line), never silent.
"use strict";

(() => {
  // class 0 orange, class 1 blue, class 2 green, class 3 purple; values: orange low, blue high
  const CLASS_COLORS = [[224, 122, 31], [47, 111, 221], [42, 157, 75], [142, 68, 173]];
  const NEG = CLASS_COLORS[0], POS = CLASS_COLORS[1];
  const NEURON_GRID = 20; // each neuron's heat map: 20 × 20 cells
  const BOUNDARY_GRID = 50;
  const CLICK_DECIMALS = 2; // a clicked point keeps 2 decimals
  const FRAMES_PER_STREAM = 240; // a stream is reopened from its last frame after this many frames
  const TABLE_ROWS = 60; // the loss table shows at most this many rows
  const URL_EVERY_MS = 400; // while frames arrive, the address is rewritten at most this often
  const LR_STOPS = [0.00001, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 3, 10];
  const LABELS = { moons: "moons", circles: "circles", xor: "xor", spiral: "spiral", spiral3: "three spirals (3 classes)",
    blobs: "four blobs (4 classes)", custom: "click your own", plane: "plane", gaussians: "gaussians",
    custom_regression: "your own values" };
  const FEATURE_TEXT = { x1: "x₁", x2: "x₂", "x1^2": "x₁²", "x2^2": "x₂²", "x1*x2": "x₁x₂", "sin(x1)": "sin x₁", "sin(x2)": "sin x₂" };
  const MINUS = "\u2212";

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
  const URL_KEYS = ["problem", "data", "n", "noise", "seed", "test", "feat", "layers", "act", "lr", "batch", "reg",
    "rate", "t", "show", "showtest", "disc", "edits"];

  let schema = null; // PlaygroundRequest's properties, from /openapi.json
  let limits = null; // /api/limits
  let weightSchema = null, coordSchema = null, examplesSchema = null, csvMaxChars = 0;
  let rebuilding = null; // the rebuild of the address's network, while it runs
  let rebuildGoal = null; // {target, from} while the address's network is rebuilt
  const state = { t: 0, pts: [], vals: [], edits: [], show: "weights", showtest: true, disc: false, act0: "tanh" };
  let settings = null; // the last valid settings (what the address and the requests say)
  let net = null; // the last answer drawn
  let history = [];
  let training = false;
  let epoch = 0; // bumped whenever older answers must be dropped
  let pending = null; // the request of the current epoch in flight, if any
  let streaming = null; // the AbortController of the stream in flight, if any
  let queue = []; // frames received, not yet drawn: [{d, my}]
  let drawWaiters = [];
  let frameAsked = false;
  let lastURL = 0;
  let cursor = { x: 0, y: 0, shown: false }; // the keyboard's cross on the plane
  let selection = { kind: "weight", layer: 1, neuron: 1, source: 1 };
  let trace = null, traceAt = 0, traceEpoch = 0;
  let lossPlot = null, lastTable = 0, lastFull = 0;
  const notes = new Map(); // what the address asked for and the page did not do: key → text

  const $ = (id) => document.getElementById(id);

  /** Set an element's text only when it changes (each frame rewrites many; an unchanged one costs no layout). */
  function setText(id, value) {
    const node = $(id);
    if (node && node.textContent !== value) node.textContent = value;
    return node;
  }
  const main = () => document.querySelector("main");

  // ---------------------------------------------------------------- numbers as people write them
  function plain(x) {
    if (Number.isInteger(x)) return x.toLocaleString("en-US");
    return String(x);
  }

  /** Counted words: "1 point", "2 points". */
  function count(n, word, many = `${word}s`) {
    return `${plain(n)} ${n === 1 ? word : many}`;
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

  /** Text as a keyboard writes numbers: the minus sign the page prints (U+2212) is the hyphen-minus. */
  const typed = (text) => String(text).trim().replace(/\u2212/g, "-");

  /** The number written in `text`, checked against schema `s`: {value} or {error} (nothing is rounded or clamped). */
  function parseNumber(text, s) {
    const raw = text.trim();
    const words = allowed(s);
    if (raw === "") return { error: `allowed: ${words} (got nothing)` };
    const written = typed(raw);
    if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(written)) return { error: `allowed: ${words} (got "${raw}")` };
    const x = Number(written);
    if (!Number.isFinite(x)) return { error: `allowed: ${words} (got "${raw}")` };
    if (s.type === "integer" && !Number.isInteger(x)) return { error: `${raw} is not a whole number; allowed: ${words}` };
    const out = (s.minimum !== undefined && x < s.minimum) || (s.maximum !== undefined && x > s.maximum)
      || (s.exclusiveMinimum !== undefined && x <= s.exclusiveMinimum) || (s.exclusiveMaximum !== undefined && x >= s.exclusiveMaximum);
    if (out) return { error: `allowed: ${words} (got ${raw})` };
    return { value: x };
  }

  /** A number for reading, with the typographic minus the engine's own text uses (one minus per page). */
  function fmt(x, digits = 4) {
    if (x === null || x === undefined) return "—";
    // toPrecision's trailing zeros go, but only after a decimal point (100 stays 100, 1.500 becomes 1.5)
    return Number(x).toPrecision(digits).replace(/(\.\d*?)0+(?=e|$)/, "$1").replace(/\.(?=e|$)/, "")
      .replace(/-/g, MINUS);
  }

  // ------------------------------------------------------------------ what the address asked for
  /** Say (or, with no text, stop saying) what the page did with the address's `key`. */
  function note(key, text) {
    if (text) notes.set(key, text);
    else notes.delete(key);
    const list = $("url-notes-list");
    list.replaceChildren(...Array.from(notes, ([k, t]) => CR.el("li", { "data-key": k }, t)));
    $("url-notes").hidden = notes.size === 0;
  }

  /** The user changed these settings: what the address said about them no longer applies. */
  function settled(...keys) {
    for (const key of keys) for (const k of [key, `twice:${key}`]) if (notes.has(k)) note(k, "");
  }

  /** A setting changed by hand: the address's words on names it does not know go too (the address has dropped them). */
  function settledAll(...keys) {
    settled(...keys, ...Array.from(notes.keys()).filter((key) => key.startsWith("unknown:")));
  }

  // ------------------------------------------------------------------ field marks
  function mark(input, label, error) {
    const id = `${input.id}-error`;
    let node = document.getElementById(id);
    if (!error) {
      input.removeAttribute("aria-invalid");
      if (node) node.remove();
      input.removeAttribute("aria-describedby");
      return;
    }
    if (!node) {
      node = CR.el("p", { id, class: "field-error" });
      input.closest(".field, .layer-row").after(node);
    }
    node.textContent = `${label}: ${error}`;
    input.setAttribute("aria-invalid", "true");
    input.setAttribute("aria-describedby", id);
  }

  // ------------------------------------------------------------------ the settings
  function widthInputs() {
    return Array.from(document.querySelectorAll("#widths input"));
  }

  function actSelects() {
    return Array.from(document.querySelectorAll("#widths select"));
  }

  /** One row per hidden layer: its neurons and its activation (keeping what the rows that stay hold). */
  function setWidthFields(n, widths, acts) {
    const box = $("widths");
    const old = widthInputs().map((i) => i.value);
    const oldActs = actSelects().map((s) => s.value);
    box.replaceChildren();
    for (let k = 0; k < n; k++) {
      const id = `width-${k + 1}`;
      const input = CR.el("input", { id, type: "text", inputmode: "numeric", autocomplete: "off" });
      input.value = widths && widths[k] !== undefined ? widths[k] : old[k] !== undefined ? old[k] : (old[old.length - 1] || "8");
      input.addEventListener("change", () => onSettings("layers"));
      const select = CR.el("select", { id: `act-${k + 1}`, "aria-label": `layer ${k + 1} activation` },
        ...schema.activation.enum.map((a) => CR.el("option", { value: a }, a)));
      select.value = acts && acts[k] !== undefined ? acts[k] : oldActs[k] !== undefined ? oldActs[k] : (oldActs[oldActs.length - 1] || state.act0);
      select.addEventListener("change", () => onSettings("act"));
      box.append(CR.el("div", { class: "layer-row" }, CR.el("label", { for: id }, `layer ${k + 1} neurons`), input, select));
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
    out.acts = [];
    if (depth !== undefined) {
      if (widthInputs().length !== depth) setWidthFields(depth);
      widthInputs().forEach((input, k) => { out.layers.push(check(input.id, layers.items, `layer ${k + 1} neurons`)); });
      out.acts = actSelects().map((s) => s.value);
    }
    if (out.acts.length) state.act0 = out.acts[0];
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
    out.reg = $("reg").value;
    return errors ? { errors } : { settings: out };
  }

  function setFeatureError(text) {
    let node = $("features-error");
    if (!text) { if (node) node.remove(); return; }
    if (!node) { node = CR.el("p", { id: "features-error", class: "field-error" }); $("features").after(node); }
    node.textContent = text;
  }

  const ownPoints = (s = settings) => s && (s.data === "custom" || s.data === "custom_regression");
  const regression = (s = settings) => s && s.problem === "regression";
  const sameActs = (acts) => acts.every((a) => a === acts[0]);

  function points() {
    return regression() ? state.vals : state.pts;
  }

  function body(extra) {
    const s = settings;
    const b = {
      dataset: s.data, seed: s.seed, test_fraction: s.test, features: s.features, layers: s.layers,
      activation: s.acts.length ? s.acts[0] : state.act0, learning_rate: s.lr, batch_size: s.batch,
      regularization: s.reg, regularization_rate: s.rate,
      step: net ? net.step : 0, params: net ? net.params : null, grid: BOUNDARY_GRID, neuron_grid: NEURON_GRID,
    };
    if (!sameActs(s.acts)) b.activations = s.acts;
    if (!ownPoints(s)) Object.assign(b, { n_points: s.n, noise: s.noise });
    if (s.data === "custom") b.points = state.pts;
    if (s.data === "custom_regression") b.values = state.vals;
    return Object.assign(b, extra);
  }

  function ready() {
    if (!settings) return false;
    if (settings.data === "custom") return new Set(state.pts.map((p) => p[2])).size >= 2;
    if (settings.data === "custom_regression") return state.vals.length >= 2;
    return true;
  }

  // ------------------------------------------------------------------ sliders
  /** The learning-rate slider's stop nearest to `lr` (on a log scale). */
  function lrStop(lr) {
    let best = 0;
    LR_STOPS.forEach((v, k) => { if (Math.abs(Math.log(v / lr)) < Math.abs(Math.log(LR_STOPS[best] / lr))) best = k; });
    return best;
  }

  /** Each slider follows its text field (the field holds the exact number; the slider its nearest stop). */
  function syncSliders() {
    const lr = Number(typed($("lr").value));
    if (Number.isFinite(lr) && lr > 0) $("lr-slider").value = String(lrStop(lr));
    $("lr-slider").setAttribute("aria-valuetext", `learning rate ${$("lr").value}`);
    for (const [id, slider] of [["noise", "noise-slider"], ["test", "test-slider"]]) {
      const v = Number(typed($(id).value));
      if (Number.isFinite(v)) $(slider).value = String(v);
      $(slider).setAttribute("aria-valuetext", `${FIELDS[id].label} ${$(id).value}`);
    }
  }

  function wireSliders() {
    const pairs = [["lr-slider", "lr", (v) => String(LR_STOPS[Number(v)])],
      ["noise-slider", "noise", (v) => String(Number(Number(v).toFixed(2)))],
      ["test-slider", "test", (v) => String(Number(Number(v).toFixed(2)))]];
    for (const [slider, field, text] of pairs) {
      $(slider).addEventListener("input", (e) => {
        $(field).value = text(e.target.value);
        e.target.setAttribute("aria-valuetext", `${FIELDS[field].label} ${$(field).value}`);
      });
      $(slider).addEventListener("change", () => onSettings(FIELDS[field].url));
    }
  }

  // ------------------------------------------------------------------ the address
  function urlState() {
    const s = settings;
    const out = { problem: s.problem, data: s.data };
    if (!ownPoints(s)) Object.assign(out, { n: s.n, noise: s.noise });
    Object.assign(out, {
      seed: s.seed, test: s.test, feat: s.features.join(","), layers: s.layers,
      act: s.acts.length && !sameActs(s.acts) ? s.acts.join(",") : (s.acts[0] || state.act0), lr: s.lr,
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
    lastURL = performance.now();
  }

  /** One of the address's choices: its value if allowed, else `fallback`, named in a note with what is allowed. */
  function choice(q, key, allowedValues, fallback, what) {
    if (!q.has(key)) return fallback;
    const v = q.get(key);
    if (allowedValues.includes(v)) return v;
    note(key, `${key}=${v}: not ${what}; allowed: ${allowedValues.join(", ")}. The page used ${key}=${fallback}.`);
    return fallback;
  }

  /** The address's values go into the fields as written; numbers are checked like typed ones, the rest here. */
  function readURL() {
    const q = new URLSearchParams(location.search);
    const get = (key, fallback) => (q.has(key) ? q.get(key) : fallback);
    const def = (prop) => String(schema[prop].default);
    // keys the playground does not read, and a key given twice (the first is used): named like the other pages do
    for (const stray of CR.strayParameters(URL_KEYS)) note(stray.key === "ignored" ? "unknown:ignored" : `twice:${stray.key}`, stray.text);
    $("problem").value = choice(q, "problem", ["classification", "regression"], "classification", "a problem");
    fillDatasets();
    const options = Array.from($("dataset").options).map((o) => o.value);
    const fallback = $("problem").value === "regression" ? "plane" : schema.dataset.default;
    if (q.has("data") && !options.includes(q.get("data"))) {
      const data = q.get("data");
      const other = schema.dataset.enum.includes(data);
      note("data", other
        ? `data=${data}: a data set of ${$("problem").value === "regression" ? "classification" : "regression"}, not of problem=${$("problem").value}; allowed for ${$("problem").value}: ${options.join(", ")}. The page used data=${fallback}.`
        : `data=${data}: not a data set; allowed for ${$("problem").value}: ${options.join(", ")}. The page used data=${fallback}.`);
      $("dataset").value = fallback;
    } else {
      $("dataset").value = get("data", fallback);
    }
    for (const [id, f] of Object.entries(FIELDS)) if (f.prop) $(id).value = get(f.url, def(f.prop));
    const layers = get("layers", schema.layers.default.join(","));
    const widths = layers.trim() === "" ? [] : layers.split(",");
    $("depth").value = String(widths.length);
    const acts = readActs(q, Math.min(widths.length, 50));
    setWidthFields(Math.min(widths.length, 50), widths, acts);
    readFeatures(q);
    $("reg").value = choice(q, "reg", schema.regularization.enum, schema.regularization.default, "a regularization");
    readStep(q);
    state.show = choice(q, "show", ["weights", "gradients"], "weights", "what the lines show");
    state.showtest = choice(q, "showtest", ["0", "1"], "1", "0 or 1") !== "0";
    state.disc = choice(q, "disc", ["0", "1"], "0", "0 or 1") === "1";
    readEdits(q);
    const hash = new URLSearchParams(location.hash.slice(1)).get("pts");
    if (hash) {
      try {
        const { kind, points: pts } = PointCodec.decode(hash);
        if (kind === "values") state.vals = pts; else state.pts = pts;
      } catch (err) {
        note("pts", `#pts=…: ${err.message}; the page started without those points.`);
      }
    }
  }

  /** act=tanh (every hidden layer) or act=relu,tanh (one per layer); anything else is named, and tanh used. */
  function readActs(q, depth) {
    const names = schema.activation.enum;
    const fallback = schema.activation.default;
    if (!q.has("act")) return Array(depth).fill(fallback);
    const given = q.get("act").split(",");
    const bad = given.filter((a) => !names.includes(a));
    let acts = given.map((a) => (names.includes(a) ? a : fallback));
    const said = [];
    if (bad.length) said.push(`${bad.map((a) => `"${a}"`).join(", ")} ${bad.length === 1 ? "is not an activation" : "are not activations"}; allowed: ${names.join(", ")}; the page used ${fallback} instead`);
    if (acts.length === 1) acts = Array(depth).fill(acts[0]);
    else if (acts.length !== depth) {
      said.push(`it names ${count(acts.length, "activation")} for ${count(depth, "hidden layer")}; the page ${acts.length > depth ? "used the first " + depth : "repeated the last for the rest"}`);
      acts = Array.from({ length: depth }, (_, k) => acts[Math.min(k, acts.length - 1)]);
    }
    if (acts.length) state.act0 = acts[0];
    else if (names.includes(given[0])) state.act0 = given[0];
    if (said.length) note("act", `act=${q.get("act")}: ${said.join("; ")}. Used: ${acts.length ? acts.join(", ") : state.act0}.`);
    return acts;
  }

  function readFeatures(q) {
    const names = schema.features.items.enum;
    const fallback = schema.features.default;
    let feats = fallback;
    if (q.has("feat")) {
      const given = q.get("feat").split(",").filter((f) => f !== "");
      const bad = given.filter((f) => !names.includes(f));
      const good = given.filter((f, k) => names.includes(f) && given.indexOf(f) === k);
      const twice = given.length - bad.length - good.length;
      feats = good.length ? good : fallback;
      const said = [];
      if (bad.length) said.push(`${bad.map((f) => `"${f}"`).join(", ")} ${bad.length === 1 ? "is not a feature" : "are not features"}; allowed: ${names.join(", ")}`);
      if (twice) said.push("a feature named twice counts once");
      if (!good.length) said.push("no feature left");
      if (said.length) note("feat", `feat=${q.get("feat")}: ${said.join("; ")}. The page used feat=${feats.join(",")}.`);
    }
    for (const box of document.querySelectorAll("#features input")) box.checked = feats.includes(box.value);
  }

  function readStep(q) {
    state.t = 0;
    if (!q.has("t")) return;
    const raw = q.get("t");
    const t = Number(typed(raw));
    const most = limits.max_total_steps;
    if (!/^\s*[+]?\d+\s*$/.test(typed(raw)) || !Number.isInteger(t)) {
      note("t", `t=${raw}: not a step; allowed: a whole number from 0 to ${plain(most)}. The page started at step 0.`);
    } else if (t > most) {
      note("t", `t=${plain(t)}: the playground trains at most ${plain(most)} steps (a link retrains to its step when it is opened, so it must stay quick to open). The page started at step 0.`);
    } else {
      state.t = t;
    }
  }

  /** edits=step,layer,input,neuron,value,…: groups of five; what is left over is named and ignored. */
  function readEdits(q) {
    state.edits = [];
    if (!q.has("edits")) return;
    const raw = q.get("edits");
    const numbers = raw.split(",").filter((x) => x.trim() !== "").map((x) => Number(typed(x)));
    const said = [];
    if (numbers.some((x) => !Number.isFinite(x))) said.push("it holds something that is not a number");
    const whole = numbers.length - (numbers.length % 5);
    if (numbers.length % 5) said.push(`an edit is 5 numbers (step, layer, input (0 for the bias), neuron, value); the last ${count(numbers.length % 5, "number")} were ignored`);
    for (let k = 0; k < whole; k += 5) {
      const e = numbers.slice(k, k + 5);
      if (e.every(Number.isFinite)) state.edits.push(e);
    }
    if (said.length) note("edits", `edits=${raw}: ${said.join("; ")}.`);
  }

  /** The address's edits that fit this network and its step t; each one that does not is named and dropped. */
  function checkEdits(sizes, target) {
    const kept = [], bad = [];
    const layers = sizes.length - 1;
    const w = weightSchema;
    for (const e of state.edits) {
      const [step, layer, source, neuron, value] = e;
      const name = `[${e.map((x) => plain(x)).join(",")}]`;
      const whole = (x, lo, hi) => Number.isInteger(x) && x >= lo && x <= hi;
      if (!whole(step, 0, target)) bad.push(`${name}: step ${plain(step)} is not a step from 0 to t=${plain(target)}`);
      else if (!whole(layer, 1, layers)) bad.push(`${name}: the network has no layer ${plain(layer)} (layers 1 to ${layers})`);
      else if (!whole(source, 0, sizes[layer - 1])) bad.push(`${name}: layer ${layer} has no input ${plain(source)} (0 for its bias, 1 to ${sizes[layer - 1]})`);
      else if (!whole(neuron, 1, sizes[layer])) bad.push(`${name}: layer ${layer} has no neuron ${plain(neuron)} (1 to ${sizes[layer]})`);
      else if (!(value >= w.minimum && value <= w.maximum)) bad.push(`${name}: the value ${plain(value)} is outside ${plain(w.minimum)} to ${plain(w.maximum)}`);
      else kept.push(e);
    }
    if (bad.length) {
      const before = notes.get("edits");
      note("edits", `${before ? `${before} ` : ""}${bad.length === 1 ? "This edit was" : "These edits were"} ignored: ${bad.join("; ")}.`);
    }
    return kept;
  }

  // ------------------------------------------------------------------ requests
  function setBusy() {
    main().dataset.busy = pending || streaming || queue.length ? "1" : "0";
  }

  /** A new epoch: whatever is in flight or waiting to be drawn is dropped, and the stream is closed. */
  function newEpoch() {
    epoch++;
    if (streaming) streaming.abort();
    streaming = null;
    queue = [];
    for (const done of drawWaiters.splice(0)) done();
    setBusy();
  }

  /** One request of the current epoch: its answer is drawn only if no newer epoch has begun meanwhile. */
  function send(steps) {
    const my = epoch;
    const request = body({ steps });
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

  /**
   * Train `steps` steps from what is drawn as a stream of frames, one every `every` steps; each frame is queued
   * and drawn at the next animation frame. Resolves, once every frame received is drawn, to the stream's last
   * line ({end, step}), or null if the epoch changed or the request failed (said on the page).
   */
  async function runStream(steps, every) {
    const my = epoch;
    const controller = new AbortController();
    streaming = controller;
    setBusy();
    let end = null;
    try {
      let response;
      for (let attempt = 0; ; attempt++) {
        response = await fetch("/api/playground/stream", {
          method: "POST", headers: { "Content-Type": "application/json" },
          body: JSON.stringify(body({ steps, every })), signal: controller.signal,
        });
        if (response.status !== 503 || attempt >= 5) break;
        const wait = Number(response.headers.get("Retry-After"));
        await CR.sleep(1000 * (Number.isFinite(wait) && wait > 0 ? Math.min(wait, 10) : 1));
        if (my !== epoch) return null;
      }
      if (!response.ok) {
        const data = await response.json().catch(() => ({}));
        throw new Error(data.error || `the server answered HTTP ${response.status}`);
      }
      const reader = response.body.getReader();
      const decoder = new TextDecoder();
      let buffer = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (my !== epoch) { reader.cancel().catch(() => {}); return null; }
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        let nl;
        while ((nl = buffer.indexOf("\n")) >= 0) {
          const line = buffer.slice(0, nl);
          buffer = buffer.slice(nl + 1);
          if (!line.trim()) continue;
          const d = JSON.parse(line);
          if (d.end) end = d;
          else enqueue(d, my);
        }
      }
    } catch (err) {
      if (my === epoch) {
        CR.showError(err.name === "AbortError" ? "" : (err.message.includes("fetch") ? "the explorer's server does not answer: is `chainrule serve` still running?" : err.message));
        stopTraining();
      }
      return null;
    } finally {
      if (streaming === controller) streaming = null;
      setBusy();
    }
    await drawn();
    return my === epoch ? end : null;
  }

  function enqueue(d, my) {
    queue.push({ d, my });
    setBusy();
    if (!frameAsked) {
      frameAsked = true;
      requestAnimationFrame(drawQueued);
    }
  }

  /** At the browser's frame rate: every frame received since the last one adds to the loss curve; the newest is drawn. */
  function drawQueued() {
    frameAsked = false;
    const frames = queue.filter((f) => f.my === epoch);
    queue = [];
    if (frames.length) {
      for (const f of frames.slice(0, -1)) mergeHistory(f.d.history);
      apply(frames[frames.length - 1].d);
    }
    setBusy();
    for (const done of drawWaiters.splice(0)) done();
  }

  /** Resolves once every frame received so far is drawn (or dropped by a new epoch). */
  function drawn() {
    return queue.length ? new Promise((resolve) => drawWaiters.push(resolve)) : Promise.resolve();
  }

  function mergeHistory(records) {
    const last = history.length ? history[history.length - 1].step : -1;
    const known = last >= 0 && records.some((h) => h.step <= last) ? new Set(history.map((h) => h.step)) : null;
    for (const h of records) if (!known || !known.has(h.step)) history.push(h);
    if (known) history.sort((a, b) => a.step - b.step);
  }

  function apply(d) {
    CR.showError("");
    mergeHistory(d.history);
    net = d;
    state.t = d.step;
    if (!streaming || performance.now() - lastURL > URL_EVERY_MS) writeURL();
    draw(d);
    if (rebuildGoal) showProgress();
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
    if (node.textContent !== text) node.textContent = text;
    node.className = `status ${kind}`;
  }

  /** Steps a frame: one at a time at first, where every step shows, then more as the network settles. */
  function perFrame(step) {
    const wanted = step < 60 ? 1 : step < 300 ? 2 : step < 1500 ? 5 : 10;
    return Math.max(1, Math.min(wanted, net.max_steps_per_call));
  }

  /** Start again from the seeded network: a new epoch, so nothing older is drawn. */
  function restart(keepStep = false) {
    newEpoch();
    stopTraining();
    closeTrace();
    hideProgress();
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
    const first = await send(0);
    if (!first || my !== epoch) return;
    const edits = checkEdits(first.sizes, target).sort((a, b) => a[0] - b[0]);
    state.edits = edits;
    if (target > 0) {
      rebuildGoal = { target };
      showProgress();
    }
    for (const edit of edits) {
      await advance(Math.min(edit[0], target), my);
      if (my !== epoch || !net || net.step !== edit[0]) break;
      setParam(edit);
      await send(0);
    }
    await advance(target, my);
    if (my !== epoch) return;
    hideProgress();
    state.edits = edits.filter((e) => e[0] <= (net ? net.step : 0));
    if (net) {
      // the last frame may have come while the stream was open, when the tables follow only a few times a second:
      // draw it whole once more, as Train does when it stops
      writeURL();
      draw(net);
    }
  }

  /** Train from what is drawn to step `goal` as streams of frames, each frame as many steps as one call may take. */
  async function advance(goal, my) {
    while (my === epoch && net && net.step < goal) {
      const every = Math.max(1, Math.min(net.max_steps_per_call, goal - net.step));
      const steps = Math.min(goal - net.step, every * limits.max_frames);
      const end = await runStream(steps, every);
      if (!end || end.end === "diverged") return;
    }
  }

  function showProgress() {
    const { target } = rebuildGoal;
    const step = net ? net.step : 0;
    $("rebuild").hidden = false;
    $("rebuild-progress").max = target;
    $("rebuild-progress").value = step;
    setText("rebuild-text", `Rebuilding the address's network: step ${plain(step)} of ${plain(target)}`);
  }

  function hideProgress() {
    rebuildGoal = null;
    const hadFocus = $("rebuild").contains(document.activeElement);
    $("rebuild").hidden = true;
    if (hadFocus) $("btn-train").focus(); // never to the page, never onto Reset
  }

  /** Cancel the rebuild: the network stays at the step it reached, and the address says so. */
  function cancelRebuild() {
    if (!rebuildGoal) return;
    const { target } = rebuildGoal;
    newEpoch();
    const step = net ? net.step : 0;
    hideProgress();
    $("btn-train").focus();
    state.t = step;
    const dropped = state.edits.filter((e) => e[0] > step);
    state.edits = state.edits.filter((e) => e[0] <= step);
    note("t", `t=${plain(target)}: rebuilding was cancelled at step ${plain(step)}, so the page shows step ${plain(step)} and the address now says t=${plain(step)}.`
      + (dropped.length ? ` ${count(dropped.length, "edit")} after that step went with it.` : ""));
    if (net) {
      writeURL();
      draw(net);
    }
  }

  // ------------------------------------------------------------------ controls
  function stopTraining() {
    training = false;
    setText("btn-train", "Train");
  }

  /** Pause: stop at the frame on the screen (frames received but not drawn are dropped, the stream closed). */
  function pause() {
    newEpoch();
    stopTraining();
    if (net) {
      writeURL();
      draw(net); // every panel of the frame on the screen
    }
  }

  async function train() {
    if (training) return pause();
    if (!ready()) return;
    if (rebuilding) await rebuilding; // the link's network first
    if (pending) await pending;
    if (!net) return;
    settled("t");
    const my = epoch;
    training = true;
    setText("btn-train", "Pause");
    while (training && my === epoch) {
      const step = net.step;
      const left = limits.max_total_steps - step;
      if (left <= 0) {
        say(`Training stopped at step ${plain(step)}: the playground trains at most ${plain(limits.max_total_steps)} steps (a link retrains to its step when it is opened, so it must stay quick to open).`, "warning");
        break;
      }
      const every = Math.min(perFrame(step), left);
      const end = await runStream(Math.min(left, every * FRAMES_PER_STREAM), every);
      if (!end || end.end === "diverged") break;
    }
    if (my === epoch) {
      stopTraining();
      if (net) {
        writeURL();
        draw(net);
      }
    }
  }

  /** Step: stop training if it runs (at the frame shown), then exactly one step from what is shown. */
  async function stepOnce() {
    if (!ready()) return;
    if (rebuilding) await rebuilding;
    if (training || streaming) pause();
    else if (pending) await pending;
    if (!net) return;
    settled("t");
    if (limits.max_total_steps - net.step < 1) {
      say(`The playground trains at most ${plain(limits.max_total_steps)} steps.`, "warning");
      return;
    }
    await send(1);
  }

  function onSettings(key) {
    if (key) settledAll(key);
    syncSliders();
    const r = readSettings();
    if (r.errors) {
      CR.showError(`${r.errors === 1 ? "A setting is" : `${r.errors} settings are`} not allowed: see the marked field${r.errors === 1 ? "" : "s"}. Nothing was sent; the address keeps the last valid settings.`);
      return;
    }
    CR.showError("");
    settled("t", "edits");
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
    setText("cls0-text", reg ? "value −1" : "class 0");
    setText("cls1-text", reg ? "value +1" : "class 1");
    for (const node of document.querySelectorAll("#click-class .multi")) node.hidden = reg;
    setText("pt-label-name", reg ? "value" : "class");
    setText("csv-label-name", reg ? "target value" : `label (a class from 0 to ${limits.max_classes - 1})`);
    for (const node of document.querySelectorAll(".acc")) node.hidden = reg;
    const n = points().length;
    setText("points-note", own ? `${count(n, "point")}; at most ${plain(schema.points.maxItems)}. `
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
    if (regression() && clickLabel() > 1) return;
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
      say(`Cross at (${fmt(cursor.x)}, ${fmt(cursor.y)}); Enter adds a point of ${regression() ? "value" : "class"} ${fmt(clickLabel())} there.`);
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
      ["pt-label", regression() ? "value" : "class", regression() ? coord : { type: "integer", minimum: 0, maximum: limits.max_classes - 1 }]];
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
      say(`Added (${rounded.map((v) => fmt(Number(v.toFixed(3)), 6)).join(", ")}): kept to 3 decimals, as the link holds it.`);
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
      list.replaceChildren(CR.el("li", { class: "ok" }, `${count(pts.length, "point")} read`
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
  function clearPanels() {
    main().dataset.step = "";
    for (const id of ["m-train-loss", "m-test-loss", "m-train-acc", "m-test-acc"]) {
      const node = setText(id, "—");
      node.dataset.value = "";
    }
    setText("m-step", "0");
    if (lossPlot) {
      lossPlot.destroy();
      lossPlot = null;
    }
    $("loss-table").tBodies[0].replaceChildren();
    $("net-table").tBodies[0].replaceChildren();
    $("grad-bars").replaceChildren();
    setText("loss-text", "No training yet.");
    $("net-svg").replaceChildren();
    const maps = $("net-maps");
    maps.getContext("2d").clearRect(0, 0, maps.width, maps.height);
    netShape = null;
    $("net-legend").replaceChildren();
    setText("net-note", "No network yet: the network appears when there are points to learn from.");
    setText("sel-text", "");
    setText("sel-map-text", "");
    say("");
  }

  function draw(d) {
    const m = d.metrics;
    CR.firstNumber();
    main().dataset.step = String(d.step);
    main().dataset.drawn = JSON.stringify({ data: settings.data, t: d.step });
    setText("m-step", plain(d.step));
    setText("m-engine", `Computed by ${d.engine}.`);
    for (const [id, value] of Object.entries({ "m-train-loss": m.train_loss, "m-test-loss": m.test_loss })) {
      const node = setText(id, fmt(value));
      node.dataset.value = String(value);
    }
    for (const [id, value] of Object.entries({ "m-train-acc": m.train_accuracy, "m-test-acc": m.test_accuracy })) {
      const node = setText(id, value === null ? "—" : `${(100 * value).toFixed(1)}%`);
      node.dataset.value = String(value);
    }
    // while frames stream in, the tables and the chosen one's panel follow a few times a second; the pictures every frame
    const full = !streaming || performance.now() - lastFull > 250;
    if (full) lastFull = performance.now();
    drawBoundary(d);
    drawLoss(full);
    drawNetwork(d, full);
    if (full) describeSelection();
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
    ctx.font = "16px system-ui, sans-serif";
    const need = regression() ? "Add at least 2 points" : "Add points of two classes or more";
    ctx.fillText(`${need}: click, use the arrow keys and Enter,`, 12, 26);
    ctx.fillText("type or paste them.", 12, 48);
    main().dataset.step = "empty";
    main().dataset.drawn = JSON.stringify({ data: settings ? settings.data : "", t: "empty" });
    setText("boundary-text", `${need} to start. ${count(points().length, "point")} so far.`);
    legend(null);
  }

  function redrawPlane() {
    if (net) drawBoundary(net);
    else drawEmpty();
  }

  /** A number's colour: orange (−1) – white (0) – blue (+1), at most `strength` strong. */
  function shade(t, strength = 0.6) {
    return tint(t >= 0 ? POS : NEG, Math.min(1, Math.abs(t)) * strength);
  }

  /** A colour mixed with white: s = 0 white, s = 1 the colour itself. */
  function tint([r, g, b], s) {
    return [Math.round(255 + (r - 255) * s), Math.round(255 + (g - 255) * s), Math.round(255 + (b - 255) * s)];
  }

  const rgb = ([r, g, b]) => `rgb(${r},${g},${b})`;

  function valueScale() {
    let top = 1;
    for (const p of state.vals) top = Math.max(top, Math.abs(p[2]));
    if (net && regression()) for (const p of net.train_points) top = Math.max(top, Math.abs(p[2]));
    return top;
  }

  function dotColour(c) {
    return regression() ? shade(c / valueScale(), 1) : CLASS_COLORS[c] || [90, 90, 90];
  }

  function dot(ctx, canvas, extent, x, y, c, filled) {
    const px = ((x + extent) / (2 * extent)) * canvas.width;
    const py = ((extent - y) / (2 * extent)) * canvas.height;
    const colour = dotColour(c);
    ctx.beginPath();
    ctx.arc(px, py, 5, 0, 2 * Math.PI);
    ctx.fillStyle = filled ? rgb(colour) : "#ffffff";
    ctx.fill();
    ctx.lineWidth = filled ? 1 : 2.4;
    ctx.strokeStyle = filled ? (regression() ? "#1f2933" : "#ffffff") : rgb(colour);
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

  let smallCanvas = null;

  /** The network's answer on the server's grid as colour: P(class 1), the likeliest class, or the value. */
  function drawBoundary(d) {
    const canvas = $("boundary-canvas");
    const ctx = canvas.getContext("2d");
    const b = d.boundary;
    const multi = Boolean(b.label);
    const n = (multi ? b.label : b.p).length;
    const reg = d.problem === "regression";
    const top = reg ? valueScale() : 1;
    if (!smallCanvas) smallCanvas = document.createElement("canvas");
    const small = smallCanvas;
    small.width = n;
    small.height = n;
    const sctx = small.getContext("2d");
    const image = sctx.createImageData(n, n);
    const shares = new Array(Math.max(2, d.classes)).fill(0);
    const K = d.classes;
    for (let row = 0; row < n; row++) {
      for (let col = 0; col < n; col++) {
        let colour;
        if (multi) {
          const c = b.label[row][col];
          shares[c]++;
          const sure = (b.top[row][col] - 1 / K) / (1 - 1 / K);
          colour = tint(CLASS_COLORS[c], state.disc ? 0.45 : 0.12 + 0.55 * sure);
        } else {
          const p = b.p[row][col];
          let t = reg ? p / top : (p - 0.5) * 2;
          if (t >= 0) shares[1]++; else shares[0]++;
          if (state.disc) t = t >= 0 ? 1 : -1;
          colour = shade(t, state.disc ? 0.45 : 0.6);
        }
        const at = 4 * ((n - 1 - row) * n + col); // row 0 of the grid is the lowest y: the bottom
        image.data[at] = colour[0];
        image.data[at + 1] = colour[1];
        image.data[at + 2] = colour[2];
        image.data[at + 3] = 255;
      }
    }
    sctx.putImageData(image, 0, 0);
    ctx.fillStyle = "#ffffff"; // the picture depends on this answer alone, never on what was drawn before
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    ctx.imageSmoothingEnabled = !state.disc;
    ctx.imageSmoothingQuality = "high";
    ctx.drawImage(small, 0, 0, canvas.width, canvas.height);
    const extent = b.extent;
    for (const [x, y, c] of d.train_points) dot(ctx, canvas, extent, x, y, c, true);
    if (state.showtest) for (const [x, y, c] of d.test_points) dot(ctx, canvas, extent, x, y, c, false);
    drawCursor(ctx, canvas, extent);
    const cells = n * n;
    const pct = (k) => Math.round((100 * shares[k]) / cells);
    const m = d.metrics;
    const square = `the square from ${MINUS}${extent} to ${extent}`;
    let what;
    if (reg) what = `the network's value over ${square}: blue where it is high, orange where it is low`;
    else if (multi) what = `the likeliest of ${K} classes over ${square}, in its colour, deeper where the network is surer: ${Array.from({ length: K }, (_, k) => `class ${k} ${pct(k)}%`).join(", ")} of the square`;
    else what = `P(class 1) over ${square}: blue where the network says class 1 (${pct(1)}% of the square), orange where it says class 0`;
    const testWords = count(d.test_points.length, "test point");
    setText("boundary-text", `Step ${plain(d.step)}: ${what}. ${count(d.train_points.length, "training point")} (filled)`
      + `${state.showtest ? ` and ${testWords} (ringed)` : `; ${testWords} hidden`}.`
      + (reg ? ` Train loss ${fmt(m.train_loss)}, test loss ${fmt(m.test_loss)}.`
        : ` Train accuracy ${fmt(100 * m.train_accuracy, 3)}%, test accuracy ${m.test_accuracy === null ? "—" : fmt(100 * m.test_accuracy, 3)}%.`));
    legend(d);
  }

  /** A colour ramp with its numbers: [left words, ramp from `a` through white to `b`, right words]. */
  function ramp(left, a, b, ticks, right) {
    const gradient = `linear-gradient(to right, ${rgb(tint(a, 0.6))}, #ffffff, ${rgb(tint(b, 0.6))})`;
    return CR.el("span", { class: "bar" }, CR.el("span", {}, left), CR.el("span", { class: "ramp", style: `background: ${gradient}` }),
      CR.el("span", {}, right), CR.el("span", { class: "ticks" }, ...ticks.map((t) => CR.el("span", {}, t))));
  }

  function chip(colour, text, ring = false) {
    const style = ring ? `border-color: ${rgb(colour)}` : `background: ${rgb(colour)}`;
    return CR.el("span", {}, CR.el("span", { class: `chip${ring ? " ring" : ""}`, style }), text);
  }

  /** The plane's colour legend: what each colour and mark means, with the numbers at the ends. */
  function legend(d) {
    const reg = regression();
    const items = [];
    const K = d ? d.classes : 2;
    if (reg) {
      const top = valueScale();
      items.push(ramp("low value", NEG, POS, [`${MINUS}${fmt(top, 3)}`, "0", fmt(top, 3)], "high value"));
    } else if (K > 2) {
      for (let k = 0; k < K; k++) items.push(chip(CLASS_COLORS[k], `class ${k}`));
      items.push(CR.el("span", {}, `background: the likeliest class, pale at P = 1/${K}, deep at P = 1`));
    } else {
      items.push(ramp("class 0", NEG, POS, ["0", "0.5", "1"], "class 1"), CR.el("span", {}, "background: P(class 1)"));
    }
    items.push(chip([95, 108, 123], "training point"), chip([95, 108, 123], "test point", true));
    $("legend").replaceChildren(...items);
  }

  /** The loss curves (uPlot), and the loss as a table of at most TABLE_ROWS rows (during training, a few times a second). */
  function drawLoss(force = true) {
    const last = history[history.length - 1];
    const lossName = regression() ? "mean squared error" : "cross-entropy";
    if (last) {
      setText("loss-text", `The ${lossName} at ${count(history.length, "recorded step")}, from step ${plain(history[0].step)} `
        + `(train ${fmt(history[0].train_loss)}) to step ${plain(last.step)} (train ${fmt(last.train_loss)}, test ${fmt(last.test_loss)}).`);
    }
    const now = performance.now();
    if (force || now - lastTable > 300) {
      lastTable = now;
      const rows = $("loss-table").tBodies[0];
      const every = Math.max(1, Math.ceil(history.length / TABLE_ROWS));
      const shown = history.filter((h, k) => k % every === 0 || k === history.length - 1);
      rows.replaceChildren(...shown.map((h) => CR.el("tr", {}, CR.el("td", {}, String(h.step)),
        CR.el("td", {}, fmt(h.train_loss)), CR.el("td", {}, fmt(h.test_loss)))));
    }
    if (!window.uPlot || !history.length) return;
    const data = [history.map((h) => h.step), history.map((h) => h.train_loss), history.map((h) => h.test_loss)];
    const box = $("loss-chart");
    const width = Math.max(200, box.clientWidth);
    if (!lossPlot) {
      lossPlot = new uPlot({
        width, height: 220,
        scales: { x: { time: false }, y: { range: (u, lo, hi) => [0, hi > 0 ? hi * 1.05 : 1] } },
        axes: [{ label: "step", size: 36 }, { label: lossName, size: 56 }],
        series: [{ label: "step" }, { label: "train", stroke: "#2f6fdd", width: 2, points: { show: history.length === 1 } },
          { label: "test", stroke: "#c05f0c", width: 2, dash: [6, 4], points: { show: history.length === 1 } }],
        legend: { show: false }, // said in words under the chart (#loss-key)
        cursor: { drag: { x: false, y: false } },
      }, data, box);
    } else {
      if (Math.abs(lossPlot.width - width) > 2) lossPlot.setSize({ width, height: 220 });
      lossPlot.setData(data);
    }
  }

  function drawGradientBars(d) {
    const top = Math.max(...d.gradient_norms, 1e-300);
    $("grad-bars").replaceChildren(...d.gradient_norms.map((g, k) => CR.el("li", {},
      CR.el("span", {}, layerName(k + 1, d.sizes)),
      CR.el("span", {}, CR.el("span", { class: "bar", style: `width: ${((100 * g) / top).toFixed(1)}%` })),
      CR.el("span", { class: "num" }, fmt(g, 3)))));
  }

  // ------------------------------------------------------------------ the network
  function decodeMap(m) {
    const raw = atob(m.q);
    const out = new Float64Array(raw.length);
    const step = (m.hi - m.lo) / 255;
    for (let i = 0; i < raw.length; i++) out[i] = m.lo + raw.charCodeAt(i) * step;
    return out;
  }

  /** How a neuron's map is coloured: an output of a classification in its class's colour (deeper: more likely),
   * anything else orange (negative) – white – blue (positive) around its centre. */
  function mapColour(info, v) {
    if (info.klass !== null) {
      const s = state.disc ? (v >= 0.5 ? 0.7 : 0) : v * 0.85;
      return tint(CLASS_COLORS[info.klass], s);
    }
    let t = (v - info.centre) / info.top;
    if (state.disc) t = t >= 0 ? 1 : -1;
    return shade(t, 0.85);
  }

  /** A neuron's map (n × n bytes, rows from the bottom) as pixels: onto `canvas` itself when it is n × n (the
   * network's squares, which CSS scales), else scaled onto it (the enlarged views). The map's 256 byte values are
   * coloured once (a table), so a frame allocates nothing per cell. */
  function paintMap(canvas, m, n, info) {
    const raw = atob(m.q);
    const step = (m.hi - m.lo) / 255;
    const table = new Uint8ClampedArray(256 * 3);
    for (let q = 0; q < 256; q++) table.set(mapColour(info, m.lo + q * step), 3 * q);
    let target = canvas;
    if (canvas === null || canvas.width !== n || canvas.height !== n) {
      if (!smallCanvas) smallCanvas = document.createElement("canvas");
      target = smallCanvas;
      target.width = n;
      target.height = n;
    }
    const tctx = target.getContext("2d");
    const image = tctx.createImageData(n, n);
    const data = image.data;
    for (let row = 0; row < n; row++) {
      for (let col = 0; col < n; col++) {
        const q = 3 * raw.charCodeAt(row * n + col);
        const at = 4 * ((n - 1 - row) * n + col);
        data[at] = table[q];
        data[at + 1] = table[q + 1];
        data[at + 2] = table[q + 2];
        data[at + 3] = 255;
      }
    }
    tctx.putImageData(image, 0, 0);
    if (canvas === null) return target;
    if (target !== canvas) {
      const ctx = canvas.getContext("2d");
      ctx.imageSmoothingEnabled = !state.disc;
      ctx.drawImage(target, 0, 0, canvas.width, canvas.height);
    }
    return canvas;
  }

  function mapInfo(d, k, i, m) {
    const last = k === d.sizes.length - 1;
    if (last && d.problem !== "regression") return { klass: i, centre: 0, top: 1 };
    const centre = k > 0 && !last && d.activations[k - 1] === "sigmoid" ? 0.5 : 0;
    return { klass: null, centre, top: Math.max(Math.abs(m.lo - centre), Math.abs(m.hi - centre), 1e-12) };
  }

  function neuronMap(d, k, i) {
    const maps = d.neurons;
    if (!maps) return null;
    return k === 0 ? maps.features[i] : maps.layers[k - 1][i];
  }

  function layerName(k, sizes) {
    return k === sizes.length - 1 ? "output" : `layer ${k}`;
  }

  function inputName(k, i, d) {
    return k === 0 ? (FEATURE_TEXT[d.features[i]] || d.features[i]) : `a${k}[${i + 1}]`;
  }

  let netShape = null; // the drawn network's structure: key, geometry, and the elements updated each frame

  /** Where each column and neuron sits in the network's picture (its own units; the SVG scales them). */
  function geometry(sizes) {
    const tallest = Math.max(...sizes);
    const box = tallest > 16 ? 12 : tallest > 8 ? 20 : tallest > 4 ? 30 : 40;
    const gap = Math.max(4, box / 3);
    const colW = sizes.length > 5 ? 120 : 170, pad = 10, left = 46; // room for the features' names
    const W = left + pad + (sizes.length - 1) * colW + box;
    const H = pad * 2 + tallest * (box + gap) - gap + 16;
    const x = (k) => left + k * colW;
    const y = (k, i) => pad + 16 + ((tallest - sizes[k]) * (box + gap)) / 2 + i * (box + gap);
    return { box, W, H, x, y };
  }

  /** Build the network's picture once per shape: one line per weight, one square per neuron. */
  function buildNetwork(d) {
    const svg = $("net-svg");
    const sizes = d.sizes;
    const g = geometry(sizes);
    svg.setAttribute("viewBox", `0 0 ${g.W} ${g.H}`);
    svg.style.maxWidth = `${Math.round(g.W * 2.2)}px`;
    const wires = [];
    const lines = [];
    for (let k = 0; k < sizes.length - 1; k++) {
      for (let i = 0; i < sizes[k]; i++) {
        for (let j = 0; j < sizes[k + 1]; j++) {
          const at = { x1: g.x(k) + g.box, y1: g.y(k, i) + g.box / 2, x2: g.x(k + 1), y2: g.y(k + 1, j) + g.box / 2 };
          const line = CR.svg("line", at);
          const group = CR.svg("g", { class: "wire", "data-layer": k + 1, "data-source": i + 1, "data-neuron": j + 1 }, undefined);
          group.append(line);
          lines.push(group);
          wires.push({ ...at, line, focus: { kind: "weight", layer: k + 1, neuron: j + 1, source: i + 1 } });
        }
      }
    }
    const nodes = [], neurons = [];
    sizes.forEach((n, k) => {
      nodes.push(CR.svg("text", { x: g.x(k) + g.box / 2, y: 12, class: "col-label" }, k === 0 ? "input" : layerName(k, sizes)));
      for (let i = 0; i < n; i++) {
        const group = CR.svg("g", { class: "neuron", "data-layer": k, "data-neuron": i + 1 });
        // the square's frame; its map is painted under it, on the canvas beneath the picture (net-maps)
        const rect = CR.svg("rect", { x: g.x(k), y: g.y(k, i), width: g.box, height: g.box, fill: "none", stroke: "#8a96a6", "stroke-width": 1 });
        group.append(rect);
        if (k === 0) group.append(CR.svg("text", { x: g.x(k) - 3, y: g.y(k, i) + g.box / 2, class: "feat-label" }, FEATURE_TEXT[d.features[i]] || d.features[i]));
        nodes.push(group);
        neurons.push({ k, i, x: g.x(k), y: g.y(k, i), rect });
      }
    });
    svg.replaceChildren(...lines, ...nodes);
    netShape = { key: shapeKey(d), g, wires, neurons, frame: null };
  }

  /** Where the picture's units land on the maps' canvas: its offset and scale in CSS pixels (kept until a resize). */
  function mapsFrame() {
    if (netShape.frame) return netShape.frame;
    const svg = $("net-svg");
    const canvas = $("net-maps");
    const r = svg.getBoundingClientRect();
    const wrap = canvas.parentElement.getBoundingClientRect();
    const m = svg.getScreenCTM();
    const dpr = window.devicePixelRatio || 1;
    canvas.style.left = `${r.left - wrap.left}px`;
    canvas.style.top = `${r.top - wrap.top}px`;
    canvas.style.width = `${r.width}px`;
    canvas.style.height = `${r.height}px`;
    canvas.width = Math.max(1, Math.round(r.width * dpr));
    canvas.height = Math.max(1, Math.round(r.height * dpr));
    netShape.frame = m ? { x: m.e - r.left, y: m.f - r.top, scale: m.a, dpr } : null;
    return netShape.frame;
  }

  /** Every neuron's map, painted under its square: one canvas for them all (a canvas each made a layer each). */
  function drawMaps(d) {
    const canvas = $("net-maps");
    const frame = mapsFrame();
    const ctx = canvas.getContext("2d");
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    if (!frame || !d.neurons) return;
    ctx.imageSmoothingEnabled = !state.disc;
    const { x, y, scale, dpr } = frame;
    const size = netShape.g.box * scale * dpr;
    for (const nd of netShape.neurons) {
      const m = neuronMap(d, nd.k, nd.i);
      if (!m) continue;
      const cells = paintMap(null, m, d.neurons.grid, mapInfo(d, nd.k, nd.i, m));
      ctx.drawImage(cells, (x + nd.x * scale) * dpr, (y + nd.y * scale) * dpr, size, size);
    }
  }

  const shapeKey = (d) => JSON.stringify([d.sizes, d.features, d.problem]);

  /** Each frame: the lines' colours and widths, the neurons' maps; with `full`, the notes and tables too. */
  function drawNetwork(d, full = true) {
    if (!netShape || netShape.key !== shapeKey(d)) buildNetwork(d);
    const sizes = d.sizes;
    const grads = state.show === "gradients";
    const values = grads ? d.gradients : d.params;
    let top = 0;
    for (const layer of values) for (const row of layer.W) for (const v of row) top = Math.max(top, Math.abs(v));
    top = top || 1;
    for (const w of netShape.wires) {
      const f = w.focus;
      const v = values[f.layer - 1].W[f.source - 1][f.neuron - 1];
      const size = Math.abs(v) / top;
      const chosen = sameFocus(f, selection);
      // a line's look in steps a reader can tell apart (width by 0.25, opacity by 0.05): unchanged, it is not touched
      const look = chosen ? "#1f2933 3 1" : `${v >= 0 ? "pos" : "neg"} ${(Math.round((0.5 + 3.5 * size) * 4) / 4)} ${(Math.round((0.3 + 0.7 * size) * 20) / 20)}`;
      if (w.look === look) continue;
      w.look = look;
      const [colour, width, opacity] = look.split(" ");
      w.line.setAttribute("stroke", colour === "pos" ? rgb(POS) : colour === "neg" ? rgb(NEG) : colour);
      w.line.setAttribute("stroke-width", width);
      w.line.setAttribute("stroke-opacity", opacity);
    }
    for (const nd of netShape.neurons) {
      const m = neuronMap(d, nd.k, nd.i);
      const chosen = nd.k > 0 && selection.kind !== "weight" && selection.layer === nd.k && selection.neuron === nd.i + 1;
      nd.rect.setAttribute("stroke", chosen ? "#1f2933" : "#8a96a6");
      nd.rect.setAttribute("stroke-width", chosen ? "2.5" : "1");
    }
    drawMaps(d);
    if (!full) return;
    const count_ = d.params.reduce((s, p) => s + p.W.length * p.W[0].length + p.b.length, 0);
    const words = sizes.map((n, k) => (k === 0 ? count(n, "feature") : k === sizes.length - 1 ? count(n, "output")
      : `${count(n, "neuron")} (${d.activations[k - 1]})`));
    setText("net-note", `${words.join(" → ")}; ${plain(count_)} weights and biases. `
      + `Each square is a neuron's output over the plane; hover one to enlarge it. `
      + (grads ? "Each line is drawn by its gradient ∂C/∂w: blue where it is positive (a step lowers w), orange where negative, thicker larger."
        : "Each line is a weight: blue positive, orange negative, thicker larger."));
    netLegend(d, grads);
    const table = $("net-table").tBodies[0];
    table.replaceChildren(...d.params.map((p, k) => {
      const all = p.W.flat().map(Math.abs);
      return CR.el("tr", {}, CR.el("td", {}, layerName(k + 1, sizes)), CR.el("td", {}, `${p.W.length} × ${p.W[0].length}`),
        CR.el("td", {}, k < d.activations.length ? d.activations[k] : (d.problem === "regression" ? "none (the value)" : "softmax")),
        CR.el("td", {}, fmt(Math.max(...all))), CR.el("td", {}, fmt(all.reduce((a, b) => a + b, 0) / all.length)),
        CR.el("td", {}, fmt(d.gradient_norms[k])));
    }));
    drawGradientBars(d);
    fillSelection();
  }

  function netLegend(d, grads) {
    const items = [
      ramp(grads ? "∂C/∂w < 0" : "w < 0", NEG, POS, [MINUS, "0", "+"], grads ? "∂C/∂w > 0" : "w > 0"),
      CR.el("span", {}, "hidden neurons: the same colours for their output (sigmoid around 0.5)"),
    ];
    if (d.problem !== "regression") items.push(CR.el("span", {}, `outputs: P(class k) in class k's colour, white at 0, deep at 1`));
    $("net-legend").replaceChildren(...items);
  }

  // ---------------------------------------------------------- hovering the network
  /** The pointer in the network picture's own units. */
  function svgPoint(event) {
    const svg = $("net-svg");
    const m = svg.getScreenCTM();
    if (!m) return null;
    const p = new DOMPoint(event.clientX, event.clientY).matrixTransform(m.inverse());
    return { x: p.x, y: p.y, scale: 1 / m.a };
  }

  function segmentDistance(p, w) {
    const dx = w.x2 - w.x1, dy = w.y2 - w.y1;
    const t = Math.max(0, Math.min(1, ((p.x - w.x1) * dx + (p.y - w.y1) * dy) / (dx * dx + dy * dy)));
    return Math.hypot(p.x - (w.x1 + t * dx), p.y - (w.y1 + t * dy));
  }

  /** What is under the pointer: a neuron, or every weight line within 5 screen pixels, nearest first. */
  function hit(event) {
    if (!netShape || !net) return null;
    const p = svgPoint(event);
    if (!p) return null;
    const box = netShape.g.box;
    const pad = 2 * p.scale;
    for (const nd of netShape.neurons) {
      if (p.x >= nd.x - pad && p.x <= nd.x + box + pad && p.y >= nd.y - pad && p.y <= nd.y + box + pad) return { neuron: nd };
    }
    const tolerance = 5 * p.scale;
    const near = [];
    for (const w of netShape.wires) {
      const dist = segmentDistance(p, w);
      if (dist <= tolerance) near.push({ w, dist });
    }
    near.sort((a, b) => a.dist - b.dist);
    return near.length ? { wires: near.map((n) => n.w) } : null;
  }

  function onNetMove(event) {
    const h = hit(event);
    if (!h) return hideTip();
    if (h.neuron) {
      hideWireTip();
      showZoom(event, h.neuron);
      return;
    }
    $("neuron-zoom").hidden = true;
    const tip = $("net-tip");
    const parts = h.wires.slice(0, 4).map((w) => weightTip(w.focus));
    if (h.wires.length > 1) parts.push(CR.el("p", {}, `${count(h.wires.length, "line")} cross here; click chooses the first.`));
    else parts.push(CR.el("p", {}, "Click to choose it."));
    tip.replaceChildren(...parts);
    tip.dataset.names = h.wires.map((w) => focusName(w.focus, net.sizes)).join(" ");
    tip.hidden = false;
    moveTip(event, tip);
  }

  /** A weight's value, gradient and formula: what the line carries into its neuron. */
  function weightTip(f) {
    const d = net;
    const v = focusValue(f);
    const name = focusName(f, d.sizes);
    const into = `z${f.layer}[${f.neuron}]`;
    const input = inputName(f.layer - 1, f.source - 1, d);
    const sumInput = f.layer === 1 ? "xᵢ" : `a${f.layer - 1}[i]`;
    return CR.el("p", {}, `${name} = ${fmt(v.value, 6)} · ∂C/∂${name} = ${fmt(v.grad, 3)} (from ${sourceWords(f)} to ${layerName(f.layer, d.sizes)}, neuron ${f.neuron}). `
      + `${into} = Σᵢ w${f.layer}[i,${f.neuron}]·${sumInput} + b${f.layer}[${f.neuron}]: this line adds ${name}·${input}; `
      + `∂C/∂${name} = ∂C/∂${into} · ${input}, summed over the points.`);
  }

  function sourceWords(f) {
    return f.layer === 1 ? `feature ${FEATURE_TEXT[net.features[f.source - 1]] || f.source}` : `neuron ${f.source} of layer ${f.layer - 1}`;
  }

  /** A neuron's output over the plane, enlarged beside it, with its range in words. */
  function showZoom(event, nd) {
    const d = net;
    const m = neuronMap(d, nd.k, nd.i);
    if (!m) return;
    const zoom = $("neuron-zoom");
    const canvas = $("neuron-zoom-canvas");
    paintMap(canvas, m, d.neurons.grid, mapInfo(d, nd.k, nd.i, m));
    setText("neuron-zoom-text", neuronWords(d, nd.k, nd.i, m));
    zoom.hidden = false;
    const wrap = zoom.parentElement.getBoundingClientRect();
    const right = event.clientX - wrap.left + 16;
    zoom.style.left = `${right + 190 > wrap.width ? Math.max(0, event.clientX - wrap.left - 200) : right}px`;
    zoom.style.top = `${Math.max(0, event.clientY - wrap.top - 90)}px`;
    zoom.dataset.neuron = `${nd.k},${nd.i + 1}`;
  }

  function neuronWords(d, k, i, m) {
    const range = `from ${fmt(m.lo, 3)} to ${fmt(m.hi, 3)} over the plane`;
    if (k === 0) return `${inputName(0, i, d)}, a feature: ${range}.`;
    const last = k === d.sizes.length - 1;
    if (last && d.problem !== "regression") return `P(class ${i}) = softmax(z${k})${"₀₁₂₃₄₅₆₇₈₉"[i]}: ${range}.`;
    if (last) return `the network's value z${k}[1]: ${range}.`;
    return `a${k}[${i + 1}] = ${d.activations[k - 1]}(z${k}[${i + 1}]), layer ${k} neuron ${i + 1}: ${range}.`;
  }

  function moveTip(event, tip) {
    const box = tip.parentElement.getBoundingClientRect();
    tip.style.left = `${Math.max(0, Math.min(event.clientX - box.left + 14, box.width - 320))}px`;
    tip.style.top = `${event.clientY - box.top + 14}px`;
  }

  function hideWireTip() {
    $("net-tip").hidden = true;
  }

  function hideTip() {
    hideWireTip();
    $("neuron-zoom").hidden = true;
  }

  function onNetClick(event) {
    const h = hit(event);
    if (!h) return;
    if (h.neuron) {
      if (h.neuron.k > 0) choose({ kind: "neuron", layer: h.neuron.k, neuron: h.neuron.i + 1, source: 1 });
      return;
    }
    choose(h.wires[0].focus);
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
    const where = `${layerName(f.layer, sizes)}, neuron ${f.neuron}`;
    const name = focusName(f, sizes);
    if (f.kind === "weight") return `${name} = ${fmt(v.value, 6)} (from ${sourceWords(f)} to ${where}; ∂C/∂${name} = ${fmt(v.grad, 3)})`;
    if (f.kind === "bias") return `${name} = ${fmt(v.value, 6)} (the bias of ${where}; ∂C/∂${name} = ${fmt(v.grad, 3)})`;
    return `${name}: the output of ${where}`;
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
    if ($("sel-layer").options.length !== layers) options($("sel-layer"), layers, (k) => layerName(k, sizes));
    $("sel-layer").value = String(selection.layer);
    if ($("sel-neuron").options.length !== sizes[selection.layer]) options($("sel-neuron"), sizes[selection.layer], (k) => `neuron ${k}`);
    $("sel-neuron").value = String(selection.neuron);
    options($("sel-source"), sizes[selection.layer - 1], (k) => (selection.layer === 1 ? (FEATURE_TEXT[net.features[k - 1]] || net.features[k - 1]) : `neuron ${k} of layer ${selection.layer - 1}`));
    $("sel-source").value = String(selection.source);
    $("sel-source-row").hidden = selection.kind !== "weight";
    $("sel-value-row").hidden = selection.kind === "neuron";
    $("btn-set").hidden = selection.kind === "neuron";
    const v = focusValue(selection);
    if (v && document.activeElement !== $("sel-value") && !training) $("sel-value").value = String(v.value);
    describeSelection();
  }

  /** The chosen one in words, and its neuron's output over the plane, enlarged (for the keyboard as for the mouse). */
  function describeSelection() {
    if (!net) return;
    setText("sel-text", describe(selection));
    const k = selection.layer, i = selection.neuron - 1;
    const m = neuronMap(net, k, i);
    if (m) {
      paintMap($("sel-map"), m, net.neurons.grid, mapInfo(net, k, i, m));
      setText("sel-map-text", neuronWords(net, k, i, m));
    }
  }

  function onSelectionForm() {
    selection = {
      kind: $("sel-kind").value, layer: Number($("sel-layer").value) || 1,
      neuron: Number($("sel-neuron").value) || 1, source: Number($("sel-source").value) || 1,
    };
    $("sel-value").value = "";
    if (net) options($("sel-neuron"), net.sizes[Math.min(selection.layer, net.sizes.length - 1)], (k) => `neuron ${k}`);
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
    if (training || streaming || pending) pause();
    settled("edits", "t");
    const edit = [net.step, selection.layer, selection.kind === "bias" ? 0 : selection.source, selection.neuron, r.value];
    state.edits = state.edits.filter((e) => !(e[0] === edit[0] && e[1] === edit[1] && e[2] === edit[2] && e[3] === edit[3]));
    state.edits.push(edit);
    setParam(edit);
    await send(0);
  }

  // ------------------------------------------------------------------ backprop to the chosen one
  async function openTrace() {
    if (!net) return;
    if (training || streaming) pause();
    if (pending) await pending;
    const my = ++traceEpoch;
    const netEpoch = epoch;
    const request = Object.assign(body({}), { focus: selection, examples: Number($("trace-examples").value) || 1 });
    for (const key of ["grid", "neuron_grid"]) delete request[key];
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
    setText("trace-what", `Backprop to ${d.focus.name} at step ${plain(d.step)}, for the first ${d.examples.length === 1 ? "point" : `${d.examples.length} points`} of the next batch: ${ex}. `
      + `The cost C is ${d.problem === "regression" ? "the squared error" : "the cross-entropy"}${d.examples.length > 1 ? " averaged over them" : ""}`
      + `${settings.reg !== "none" && settings.rate > 0 ? `, plus the ${settings.reg.toUpperCase()} penalty` : ""}.`);
    const paths = d.derivations.find((p) => p.node === d.focus.node);
    setText("trace-summary", (d.summarised
      ? `Many paths: the layers after layer ${d.summarised.after_layer} (${plain(d.summarised.edges)} edges) are summarised: each arrow into C carries ∂C/∂a, the gradient backprop brought back to layer ${d.summarised.after_layer}. `
      : `${count(d.events.length, "edge")} lead${d.events.length === 1 ? "s" : ""} from ${d.focus.name} to C. `)
      + (paths ? (paths.formula.length <= 240 ? `${paths.formula} ${paths.numbers}` : `∂C/∂${d.focus.name} is the sum over ${plain(paths.paths)} paths of the product of the local derivatives along each; backprop visits each edge once instead.`) : ""));
    setText("tr-check", d.engine_gradient === null ? `At the end ∂C/∂${focusNode.name} = ${focusNode.grad_text}.`
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

  /** Move to edge k; a button that disables itself hands the focus to what it showed, never to another control. */
  function traceTo(k) {
    if (!trace) return;
    const focused = document.activeElement;
    traceAt = Math.max(0, Math.min(k, trace.events.length));
    drawTrace();
    if (focused && focused.disabled) {
      if (focused === $("tr-back")) $("tr-next").focus();
      else $("tr-event").focus(); // Next and To the end at the last edge: its sum, never ◀ Back
    }
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
    setText("tr-progress", `edge ${traceAt} of ${t.events.length}`);
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
    if (traceAt === t.events.length) lines.push(CR.el("p", { class: "note" }, "That was the last edge: ◀ Back walks it back, Close ends the step-through."));
    box.replaceChildren(...lines);
  }

  // ------------------------------------------------------------------ start
  async function start() {
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
    $("reg").replaceChildren(...schema.regularization.enum.map((a) => CR.el("option", { value: a }, a === "none" ? "none" : a.toUpperCase())));
    $("features").append(...schema.features.items.enum.map((f) => CR.el("label", {},
      CR.el("input", { type: "checkbox", value: f, id: `feat-${f.replace(/\W/g, "_")}` }), ` ${FEATURE_TEXT[f] || f}`)));
    $("trace-examples").replaceChildren(...Array.from({ length: examplesSchema.maximum - examplesSchema.minimum + 1 },
      (_, k) => CR.el("option", { value: examplesSchema.minimum + k }, String(examplesSchema.minimum + k))));
    readURL();
    syncSliders();
    $("show-test").checked = state.showtest;
    $("discretize").checked = state.disc;
    for (const radio of document.querySelectorAll('input[name="show"]')) radio.checked = radio.value === state.show;

    for (const id of ["n", "noise", "seed", "test", "lr", "batch", "rate"]) $(id).addEventListener("change", () => onSettings(FIELDS[id].url));
    $("dataset").addEventListener("change", () => onSettings("data"));
    $("depth").addEventListener("change", () => onSettings("layers"));
    $("reg").addEventListener("change", () => onSettings("reg"));
    $("problem").addEventListener("change", () => { fillDatasets(); settled("problem", "data", "pts"); onSettings("problem"); });
    $("features").addEventListener("change", () => onSettings("feat"));
    wireSliders();
    $("btn-train").addEventListener("click", train);
    $("btn-step").addEventListener("click", stepOnce);
    $("btn-reset").addEventListener("click", () => { settled("t", "edits"); if (settings) restart(); else onSettings(); });
    $("btn-cancel").addEventListener("click", cancelRebuild);
    $("btn-clear").addEventListener("click", () => { settled("pts"); if (regression()) state.vals = []; else state.pts = []; restart(); });
    $("btn-add-point").addEventListener("click", () => { settled("pts"); onAddPoint(); });
    $("btn-csv").addEventListener("click", () => { settled("pts"); onCsv(); });
    $("csv-file").addEventListener("change", onCsvFile);
    const canvas = $("boundary-canvas");
    canvas.addEventListener("click", onCanvasClick);
    canvas.addEventListener("keydown", onCanvasKey);
    $("show-test").addEventListener("change", (e) => { settled("showtest"); state.showtest = e.target.checked; if (settings) writeURL(); redrawPlane(); });
    $("discretize").addEventListener("change", (e) => { settled("disc"); state.disc = e.target.checked; if (settings) writeURL(); redrawPlane(); if (net) drawNetwork(net); });
    for (const radio of document.querySelectorAll('input[name="show"]')) {
      radio.addEventListener("change", (e) => { settled("show"); state.show = e.target.value; if (settings) writeURL(); if (net) drawNetwork(net); });
    }
    const svg = $("net-svg");
    svg.addEventListener("pointermove", onNetMove);
    svg.addEventListener("pointerleave", hideTip);
    svg.addEventListener("click", onNetClick);
    for (const id of ["sel-kind", "sel-layer", "sel-neuron", "sel-source"]) $(id).addEventListener("change", onSelectionForm);
    $("btn-set").addEventListener("click", onSetValue);
    $("btn-trace").addEventListener("click", openTrace);
    $("tr-next").addEventListener("click", () => traceTo(traceAt + 1));
    $("tr-back").addEventListener("click", () => traceTo(traceAt - 1));
    $("tr-end").addEventListener("click", () => traceTo(Infinity));
    $("tr-close").addEventListener("click", () => { closeTrace(); $("btn-trace").focus(); });
    $("loss-details").addEventListener("toggle", () => drawLoss(true));
    window.addEventListener("resize", () => { if (lossPlot) drawLoss(true); });
    new ResizeObserver(() => {
      if (!netShape) return;
      netShape.frame = null;
      if (net) drawMaps(net);
    }).observe($("net-svg"));

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
