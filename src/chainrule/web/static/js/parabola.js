// The home page's chart: the cost parabola C(w), the steps of the descent, the tangent at the current step and
// the minimum, drawn as a plain SVG.
//
// Every number comes from the server's answer (/api/simplest: the lesson's `chart`, sampled by the engine): the
// curve's points, the tangent's two ends, the view (plot_range) and whether the cost axis is logarithmic (once the
// point flew off). This file only maps them to pixels and writes the axes. It replaces plotly.js on this page:
// parsing plotly's 4.8 MB held the main thread for one to two seconds after the first numbers were drawn, and a
// parabola, a few points and two axes need no library.
//
// What the tests read: the svg (class "chart") carries its view in data-x0, data-x1, data-y0, data-y1 and
// data-y-axis ("linear" or "log"); the current point carries its exact w and C in data-w and data-c.
"use strict";

const PARABOLA = (() => {
  const MARGIN = { l: 58, r: 14, t: 30, b: 42 };
  const COLOURS = { curve: "#5f6c7b", steps: "#2f6fdd", trail: "#7f9fce", tangent: "#c53030", now: "#c53030", best: "#176d3e" };
  const SUPER = { "0": "⁰", "1": "¹", "2": "²", "3": "³", "4": "⁴", "5": "⁵", "6": "⁶", "7": "⁷", "8": "⁸", "9": "⁹", "-": "⁻" };

  /** A tick's label: up to 4 significant digits, a power of ten as ·10ⁿ far from 1, a real minus sign. */
  function label(x) {
    if (x === 0) return "0";
    const size = Math.abs(x);
    let text;
    if (size >= 1e-3 && size < 1e5) {
      text = String(Number(x.toPrecision(4)));
    } else {
      const [m, e] = x.toExponential(3).split("e");
      const mantissa = String(Number(m));
      const power = "10" + String(Number(e)).replace(/./g, (c) => SUPER[c]);
      text = mantissa === "1" ? power : mantissa === "-1" ? `-${power}` : `${mantissa}·${power}`;
    }
    return text.replace("-", "−");
  }

  /** About `count` round ticks (1, 2 or 5 × 10ⁿ apart) from lo to hi. */
  function ticks(lo, hi, count) {
    const span = hi - lo;
    if (!(span > 0) || !Number.isFinite(span)) return [lo];
    const raw = span / Math.max(1, count);
    const power = 10 ** Math.floor(Math.log10(raw));
    const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw) || 10 * power;
    const out = [];
    for (let k = Math.ceil(lo / step); k * step <= hi + step * 1e-9; k++) out.push(Number((k * step).toPrecision(12)));
    return out;
  }

  /** Ticks of a logarithmic axis: the powers of ten from lo to hi (every n-th of them when they crowd). */
  function decades(lo, hi, count) {
    const a = Math.ceil(Math.log10(lo)), b = Math.floor(Math.log10(hi));
    const every = Math.max(1, Math.ceil((b - a + 1) / Math.max(1, count)));
    const out = [];
    for (let e = a; e <= b; e += every) out.push(10 ** e);
    return out;
  }

  function star(cx, cy, r) {
    const points = [];
    for (let k = 0; k < 10; k++) {
      const angle = -Math.PI / 2 + (k * Math.PI) / 5;
      const radius = k % 2 ? r * 0.45 : r;
      points.push(`${(cx + radius * Math.cos(angle)).toFixed(1)},${(cy + radius * Math.sin(angle)).toFixed(1)}`);
    }
    return points.join(" ");
  }

  /** Draw the answer `d` of /api/simplest into the element `box` (its size is the chart's). */
  function draw(box, d) {
    const width = Math.max(240, box.clientWidth), height = Math.max(200, box.clientHeight);
    const c = d.current;
    const [x0, x1] = d.plot_range;
    const log = d.cost_axis === "log";
    const costs = d.parabola.cost.concat(d.steps.map((s) => s.cost), [c.cost]);
    let y0, y1;
    if (log) {
      const positive = costs.filter((v) => v > 0 && Number.isFinite(v));
      const lo = Math.min(...positive), hi = Math.max(...positive);
      y0 = 10 ** (Math.log10(lo) - 0.3);
      y1 = 10 ** (Math.log10(hi) + 0.3);
    } else {
      const peak = Math.max(...d.parabola.cost, ...d.steps.map((s) => s.cost));
      y0 = -0.06 * peak;
      y1 = 1.05 * peak;
    }
    const plot = { x: MARGIN.l, y: MARGIN.t, w: width - MARGIN.l - MARGIN.r, h: height - MARGIN.t - MARGIN.b };
    const X = (w) => plot.x + ((w - x0) / (x1 - x0)) * plot.w;
    const Y = log
      ? (v) => (v > 0 ? plot.y + plot.h - ((Math.log10(v) - Math.log10(y0)) / (Math.log10(y1) - Math.log10(y0))) * plot.h : null)
      : (v) => plot.y + plot.h - ((v - y0) / (y1 - y0)) * plot.h;
    const path = (ws, vs) => {
      let text = "", pen = false;
      ws.forEach((w, k) => {
        const y = Y(vs[k]);
        if (y === null || !Number.isFinite(y)) { pen = false; return; }
        text += `${pen ? "L" : "M"}${X(w).toFixed(2)} ${y.toFixed(2)} `;
        pen = true;
      });
      return text.trim();
    };

    const svg = CR.svg("svg", { class: "chart", width, height, viewBox: `0 0 ${width} ${height}`, "aria-hidden": "true",
      focusable: "false", "data-x0": String(x0), "data-x1": String(x1), "data-y0": String(y0), "data-y1": String(y1),
      "data-y-axis": log ? "log" : "linear" });
    const clip = CR.svg("clipPath", { id: "parabola-clip" }, undefined);
    clip.append(CR.svg("rect", { x: plot.x, y: plot.y, width: plot.w, height: plot.h }));
    svg.append(CR.svg("defs"), CR.svg("rect", { class: "plot-area", x: plot.x, y: plot.y, width: plot.w, height: plot.h }));
    svg.firstChild.append(clip);

    // axes: grid lines and labels
    const grid = CR.svg("g", { class: "grid" });
    const xTicks = ticks(x0, x1, Math.max(2, Math.floor(plot.w / 80)));
    for (const t of xTicks) {
      grid.append(CR.svg("line", { x1: X(t), x2: X(t), y1: plot.y, y2: plot.y + plot.h }));
      svg.append(CR.svg("text", { class: "tick x", x: X(t), y: plot.y + plot.h + 16 }, label(t)));
    }
    const yTicks = log ? decades(y0, y1, Math.max(2, Math.floor(plot.h / 36))) : ticks(y0, y1, Math.max(2, Math.floor(plot.h / 44)));
    for (const t of yTicks) {
      grid.append(CR.svg("line", { x1: plot.x, x2: plot.x + plot.w, y1: Y(t), y2: Y(t) }));
      svg.append(CR.svg("text", { class: "tick y", x: plot.x - 6, y: Y(t) }, label(t)));
    }
    svg.insertBefore(grid, svg.children[2]);
    svg.append(
      CR.svg("text", { class: "axis-title", x: plot.x + plot.w / 2, y: height - 6 }, "w"),
      CR.svg("text", { class: "axis-title", x: 14, y: plot.y + plot.h / 2, transform: `rotate(-90 14 ${plot.y + plot.h / 2})` },
        log ? "C(w), log scale" : "C(w)"),
    );

    // the picture, clipped to the plot area
    const layer = CR.svg("g", { "clip-path": "url(#parabola-clip)" });
    layer.append(CR.svg("path", { class: "curve", d: path(d.parabola.w, d.parabola.cost) }));
    const ws = d.steps.map((s) => s.parameters.w), cs = d.steps.map((s) => s.cost);
    layer.append(CR.svg("path", { class: "trail", d: path(ws, cs) }));
    d.steps.forEach((s, k) => {
      const y = Y(cs[k]);
      if (y === null) return;
      const point = CR.svg("g", { class: "step" });
      point.append(CR.svg("title", {}, `step ${s.step}: w = ${d.steps_text[k].weight}, C = ${d.steps_text[k].cost}`),
        CR.svg("circle", { class: "hit", cx: X(ws[k]), cy: y, r: 8 }), CR.svg("circle", { class: "dot", cx: X(ws[k]), cy: y, r: 3.5 }));
      layer.append(point);
    });
    layer.append(CR.svg("path", { class: "tangent", d: path(d.tangent.w, d.tangent.cost) }));
    if (!log) {
      const best = CR.svg("polygon", { class: "best", points: star(X(d.optimum_weight), Y(0), 8) });
      best.append(CR.svg("title", {}, `the minimum: w* = ${label(d.optimum_weight)}, C = 0`));
      layer.append(best);
    }
    const now = CR.svg("circle", { class: "now", cx: X(c.weight), cy: Y(c.cost) ?? plot.y + plot.h, r: 6,
      "data-w": String(c.weight), "data-c": String(c.cost) });
    now.append(CR.svg("title", {}, `now, step ${c.step}: w = ${c.text.weight}, C = ${c.text.cost}`));
    layer.append(now);
    svg.append(layer);

    // the legend, one row above the plot
    const legend = CR.svg("g", { class: "legend" });
    const items = [["curve", "C(w)"], ["trail", "steps"], ["tangent", "tangent"], ["now", "now"]].concat(log ? [] : [["best", "minimum w*"]]);
    let x = plot.x;
    for (const [kind, text] of items) {
      const mark = kind === "now" ? CR.svg("circle", { class: "now", cx: x + 8, cy: 12, r: 5 })
        : kind === "best" ? CR.svg("polygon", { class: "best", points: star(x + 8, 12, 7) })
          : CR.svg("line", { class: kind, x1: x, x2: x + 18, y1: 12, y2: 12 });
      legend.append(mark, CR.svg("text", { x: x + 22, y: 12 }, text));
      x += 30 + 7.2 * text.length;
    }
    svg.append(legend);
    box.replaceChildren(svg);
  }

  return { draw, label, ticks };
})();
