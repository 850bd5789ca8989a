// The step-through's layers folded into boxes: which layers the address asks for, and which edges are drawn then.
//
// The server says where the layers are (stepthrough/columns.py): dot lays the graph out in columns, one per layer
// of the network as the forward pass runs (a⁰, then the parameters w¹ b¹, then z¹ = w¹·a⁰ + b¹, then a¹ = σ(z¹),
// …), each node carries its column as `layer`, and `trace.layers` says what each one holds in words ("16 tanh
// activations"). A reader folds a layer to read a big graph: its nodes give way to one box, and the edges into
// and out of it are merged, one line for each node (or folded layer) it meets:
//
//     w¹₁ ─┐                                    ┌─────────────┐
//     b¹₁ ─┼─▶ z¹₁, z¹₂, … (16 nodes)    →  ──▶ │ layer 2     │ ──▶   (one line per neighbour, "6 edges")
//     w¹₂ ─┘                                    │ 16 weighted │
//                                               │ sums        │
//                                               └─────────────┘
//
// An edge with both ends inside one folded layer is inside its box and not drawn. Nothing here computes a number
// of the lesson, nor where a layer is: it reads the address (`collapse=2,3`) and groups the server's edges.
"use strict";

const COLLAPSE = (() => {
  /**
   * The layers `collapse=` asks to fold, checked against the `count` layers of this graph: {layers (sorted, each
   * once), problem (the words naming what was refused and what is folded instead, or "")}. Never throws.
   */
  function parse(raw, count) {
    const text = raw === null || raw === undefined ? "" : String(raw);
    const layers = new Set();
    const refused = [];
    const twice = [];
    for (const part of text.split(",")) {
      const item = part.trim();
      if (!item) continue; // "2,,3" or a trailing comma: nothing asked for
      if (/^\d+$/.test(item) && Number(item) >= 1 && Number(item) <= count) {
        if (layers.has(Number(item))) twice.push(item);
        else layers.add(Number(item));
      } else {
        refused.push(item);
      }
    }
    const sorted = [...layers].sort((a, b) => a - b);
    const problems = [];
    if (refused.length) {
      const listed = refused.slice(0, 5).map(CR.quoted).join(", ") + (refused.length > 5 ? ` and ${refused.length - 5} more` : "");
      problems.push(`${listed} ${refused.length === 1 ? "is not a layer" : "are not layers"} of this graph; allowed: ` +
        `whole numbers from 1 to ${count}, separated by commas`);
    }
    if (twice.length) problems.push(`${[...new Set(twice)].join(", ")} given more than once (folded once)`);
    const problem = problems.length
      ? `collapse in the address: ${problems.join("; ")}. ` +
        (sorted.length ? `Collapsed: ${sorted.length === 1 ? "layer" : "layers"} ${sorted.join(", ")}.` : "Nothing is collapsed.")
      : "";
    return { layers: sorted, problem };
  }

  /**
   * The lines drawn while the layers in `folded` (a Set of layer numbers) are folded: every edge with neither end
   * in a folded layer as it is (`kept`: edge ids), and one line for each pair of ends an edge joins once a folded
   * layer stands for its nodes (`merged`: {key, from, to, edges: [ids]}, `from`/`to` as {node} or {layer}); an edge
   * inside one folded layer is in neither.
   */
  function merge(trace, folded) {
    const end = (id) => {
      const layer = trace.nodes[id].layer;
      return folded.has(layer) ? { layer } : { node: id };
    };
    const name = (e) => ("layer" in e ? `L${e.layer}` : `N${e.node}`);
    const kept = [];
    const groups = new Map();
    for (const e of trace.edges) {
      const from = end(e.source), to = end(e.target);
      if (!("layer" in from) && !("layer" in to)) { kept.push(e.id); continue; }
      if ("layer" in from && "layer" in to && from.layer === to.layer) continue; // inside the folded box
      const key = `${name(from)}>${name(to)}`;
      if (!groups.has(key)) groups.set(key, { key, from, to, edges: [] });
      groups.get(key).edges.push(e.id);
    }
    return { kept, merged: [...groups.values()] };
  }

  /** The corners of a dot polyline ("M x y C a b, c d, e f C …": each piece a straight cubic, its end a corner). */
  function corners(d) {
    const xs = (d.match(/-?\d+(?:\.\d+)?(?:e-?\d+)?/g) || []).map(Number);
    const out = [[xs[0], xs[1]]];
    for (let k = 2; k + 5 < xs.length; k += 6) out.push([xs[k + 4], xs[k + 5]]);
    return out;
  }

  /** Where the polyline `pts` crosses x = `x` on its segment from point k to point k + 1. */
  const cross = (pts, k, x) => {
    const [[x0, y0], [x1, y1]] = [pts[k], pts[k + 1]];
    return [x, x1 === x0 ? y0 : y0 + ((y1 - y0) * (x - x0)) / (x1 - x0)];
  };

  /**
   * The SVG path of one merged line: dot's route of one of its edges (the one whose folded end lies nearest the
   * middle of the box), cut where it enters a folded box (the arrow then points at the box) and begun where it
   * leaves one, so no line runs under a box it does not end in. Edges run left to right (a column per rank).
   */
  function line(trace, group) {
    const box = (end) => trace.layers[end.layer - 1].box;
    const middle = (end) => box(end).y + box(end).h / 2;
    const miss = (e) => ("layer" in group.from ? Math.abs(e.start[1] - middle(group.from)) : 0) +
      ("layer" in group.to ? Math.abs(e.end[1] - middle(group.to)) : 0);
    const edge = group.edges.map((id) => trace.edges[id]).reduce((a, b) => (miss(b) < miss(a) ? b : a));
    let pts = corners(edge.path);
    if ("layer" in group.from) { // begin where it leaves the source's box
      const right = box(group.from).x + box(group.from).w;
      const k = pts.findIndex((p, i) => i + 1 < pts.length && p[0] <= right && pts[i + 1][0] > right);
      if (k >= 0) pts = [cross(pts, k, right), ...pts.slice(k + 1)];
    }
    if ("layer" in group.to) { // end where it enters the target's box
      const left = box(group.to).x;
      const k = pts.findIndex((p, i) => i + 1 < pts.length && p[0] < left && pts[i + 1][0] >= left);
      if (k >= 0) pts = [...pts.slice(0, k + 1), cross(pts, k, left)];
    }
    return pts.map(([x, y], i) => `${i ? "L" : "M"} ${x.toFixed(2)} ${y.toFixed(2)}`).join(" ");
  }

  return { parse, merge, line };
})();
