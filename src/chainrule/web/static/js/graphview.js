// The step-through's view of its graph: zoom, pan, follow the active edge, and an overview of where it sits.
//
// The graph is laid out once by the server (Graphviz's dot, in px at which its text is 11 px); a big one is
// far wider or taller than a window. The view shows a part of it at a scale s (screen px per layout px), by the
// transform of one group that holds the whole drawing (a transform is repainted, never laid out again, where a
// new viewBox would lay out every text of the graph at every frame of a move); the view's size is kept from a
// ResizeObserver, so a move never forces a layout to measure it. The part on screen, in layout px, is the view's
// data-view ("x y width height"):
//
//   * following (the default, and again at every step): the view keeps the active edge's two ends, the box that
//     receives the gradient and the port that holds the edge's local derivative, inside it at a scale of at
//     least READ, so that their text is at least 11 px on screen, moving as little as it can; a graph that fits
//     whole at that scale is shown whole. An edge too long to show both ends keeps its port in view, on the side
//     away from its source, and a button at the view's edge says where the source is and what it holds;
//   * by hand: Ctrl + wheel or a pinch zooms about the pointer, a drag pans, and on the focused view the keys
//     + − zoom, the arrows pan, 0 shows the whole graph and F follows again; the buttons above it do the same;
//   * the overview, in the view's corner, draws the whole graph small, the active edge in red and the part on
//     screen as a rectangle; a press on it moves the view there.
//
// Moves are eased over MOVE_MS (none when the reader asks for reduced motion); while one runs the view has
// data-moving="1". Nothing here computes a number of the lesson: it only chooses what part of the picture shows.
"use strict";

const GRAPHVIEW = (() => {
  const READ = 1; // the least scale that follows: the graph's 11 px text is then at least 11 px on screen
  const MAX = 4; // the most a reader may zoom in
  const MARGIN = 18; // screen px kept between what is followed and the view's edge
  const ZOOM = 1.25; // one press of + or −
  const PAN = 80; // screen px per arrow key
  const MOVE_MS = 180;
  const NS = "http://www.w3.org/2000/svg";

  const union = (rects) => rects.reduce((u, r) => ({
    x0: Math.min(u.x0, r.x), y0: Math.min(u.y0, r.y), x1: Math.max(u.x1, r.x + r.w), y1: Math.max(u.y1, r.y + r.h),
  }), { x0: Infinity, y0: Infinity, x1: -Infinity, y1: -Infinity });

  const reducedMotion = () => window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;

  /**
   * A view inside the element `box` that moves the SVG group `layer` (the whole drawing). `parts`: the overview's
   * svg, the button that says where an edge's source is (`source`), the Follow toggle (`followButton`), and
   * `changed()`, told after every move.
   */
  function create(box, layer, parts) {
    let W = 1, H = 1; // the graph's size in layout px
    let v = { x: 0, y: 0, s: 1 }; // the view: its top-left corner in layout px, and its scale
    let following = true;
    let focus = null; // what is followed: {anchor: rect, source: rect, label: text} (or null: the whole graph)
    let animation = null;
    const overview = parts.overview;
    let overviewRect = null;

    let measured = null; // the view's size in screen px, from the ResizeObserver (and once when a graph arrives)
    const measure = () => { measured = { w: Math.max(1, box.clientWidth), h: Math.max(1, box.clientHeight) }; };
    const size = () => measured || (measure(), measured);
    /** The scale at which the whole graph fits the view (never above 1: the graph is not blown up). */
    const fitScale = () => { const { w, h } = size(); return Math.min(1, w / W, h / H); };
    const minScale = () => Math.min(fitScale(), READ) / 2;

    /** Keep the view on the graph: a graph narrower than the view is centred, a wider one never leaves a gap. */
    function clamp(t) {
      const { w, h } = size();
      const s = Math.min(MAX, Math.max(minScale(), t.s));
      const vw = w / s, vh = h / s, m = MARGIN / s;
      const axis = (pos, view, whole) => (view >= whole + 2 * m ? -(view - whole) / 2
        : Math.min(Math.max(pos, -m), whole + m - view));
      return { x: axis(t.x, vw, W), y: axis(t.y, vh, H), s };
    }

    function apply(t) {
      v = t;
      const { w, h } = size();
      layer.setAttribute("transform", `matrix(${v.s.toFixed(5)} 0 0 ${v.s.toFixed(5)} ${(-v.x * v.s).toFixed(2)} ${(-v.y * v.s).toFixed(2)})`);
      box.dataset.view = `${v.x.toFixed(2)} ${v.y.toFixed(2)} ${(w / v.s).toFixed(2)} ${(h / v.s).toFixed(2)}`;
      box.dataset.scale = v.s.toFixed(3);
      if (overviewRect) {
        // needless while the whole graph is on screen
        overview.dataset.needless = v.x <= 0.5 && v.y <= 0.5 && v.x + w / v.s >= W - 0.5 && v.y + h / v.s >= H - 0.5 ? "1" : "0";
        const r = { x: Math.max(0, v.x), y: Math.max(0, v.y) };
        overviewRect.setAttribute("x", r.x);
        overviewRect.setAttribute("y", r.y);
        overviewRect.setAttribute("width", Math.max(0, Math.min(W, v.x + w / v.s) - r.x));
        overviewRect.setAttribute("height", Math.max(0, Math.min(H, v.y + h / v.s) - r.y));
      }
      placeSource();
      if (parts.changed) parts.changed();
    }

    /**
     * Move to `t`, eased (or at once). A move asked for while one still runs (steps taken quickly, a key held
     * down) goes at once: every frame of a move repaints the view, and quick steps would only queue them.
     */
    function go(t, animate = true) {
      const end = clamp(t);
      if (animation) {
        cancelAnimationFrame(animation.frame);
        animate = false;
      }
      animation = null;
      const start = { ...v };
      const far = Math.abs(end.s - start.s) > 1e-3 || Math.abs(end.x - start.x) * end.s > 0.5 ||
        Math.abs(end.y - start.y) * end.s > 0.5;
      if (!animate || reducedMotion() || !far) {
        delete box.dataset.moving;
        apply(end);
        return;
      }
      box.dataset.moving = "1";
      const t0 = performance.now();
      const frame = (now) => {
        const k = Math.min(1, (now - t0) / MOVE_MS);
        const e = k < 0.5 ? 2 * k * k : 1 - (-2 * k + 2) ** 2 / 2; // ease in and out
        // the scale eases geometrically, so a zoom looks even
        const s = start.s * (end.s / start.s) ** e;
        apply({ x: start.x + (end.x - start.x) * e, y: start.y + (end.y - start.y) * e, s });
        if (k < 1) animation.frame = requestAnimationFrame(frame);
        else { animation = null; delete box.dataset.moving; apply(end); }
      };
      animation = { frame: requestAnimationFrame(frame) };
    }

    /** The whole graph, as large as fits (never above 1). */
    function whole(animate = true) {
      go({ x: 0, y: 0, s: fitScale() }, animate);
    }

    /**
     * The followed part in view: its whole region if it fits at a readable scale (moving as little as it can),
     * else, on each axis where it does not, its anchor on the side away from its source.
     */
    function follow(animate = true) {
      if (!focus || fitScale() >= READ) return whole(animate);
      const { w, h } = size();
      const all = union([focus.anchor, focus.source]);
      const regionFit = Math.min((w - 2 * MARGIN) / (all.x1 - all.x0), (h - 2 * MARGIN) / (all.y1 - all.y0));
      const s = Math.min(MAX, Math.max(READ, Math.min(Math.max(v.s, READ), regionFit)));
      const vw = w / s, vh = h / s, m = MARGIN / s;
      const a = union([focus.anchor]);
      const src = union([focus.source]);
      const place = (pos, view, lo, hi, aLo, aHi, sourceFirst) => {
        if (hi - lo + 2 * m <= view) return Math.min(Math.max(pos, hi + m - view), lo - m); // as little as it can
        return sourceFirst ? aHi + m - view : aLo - m; // the anchor at the far side from its source
      };
      // from where the view is now, its centre kept while the scale changes
      const from = { x: v.x + w / v.s / 2 - vw / 2, y: v.y + h / v.s / 2 - vh / 2 };
      const x = place(from.x, vw, all.x0, all.x1, a.x0, a.x1, src.x0 + src.x1 < a.x0 + a.x1);
      const y = place(from.y, vh, all.y0, all.y1, a.y0, a.y1, src.y0 + src.y1 < a.y0 + a.y1);
      go({ x, y, s }, animate);
    }

    /** The button that says where the followed edge's source is, when that box is not wholly in view. */
    function placeSource() {
      const button = parts.source;
      if (!button) return;
      const { w, h } = size();
      if (!focus || !focus.label) { button.hidden = true; return; }
      const r = union([focus.source]);
      const left = r.x0 < v.x, right = r.x1 > v.x + w / v.s, up = r.y0 < v.y, down = r.y1 > v.y + h / v.s;
      if (!(left || right || up || down)) { button.hidden = true; return; }
      const arrow = (up ? "↑" : down ? "↓" : "") + (left ? "←" : right ? "→" : "");
      const text = `${arrow.length > 1 ? { "↑←": "↖", "↑→": "↗", "↓←": "↙", "↓→": "↘" }[arrow] : arrow} ${focus.label}`;
      if (button.textContent !== text) button.textContent = text;
      button.dataset.side = left ? "left" : right ? "right" : up ? "top" : "bottom";
      button.hidden = false;
    }

    /** A move by the reader: following stops until they ask for it again (or take the next step). */
    function byHand(t, animate = false) {
      setFollowing(false);
      go(t, animate);
    }

    function setFollowing(on) {
      following = on;
      if (parts.followButton) parts.followButton.setAttribute("aria-pressed", on ? "true" : "false");
      box.dataset.following = on ? "1" : "0";
    }

    /** Zoom by `factor` about the point (px, py) of the view, in screen px from its top-left corner. */
    function zoomAt(factor, px, py, animate = false) {
      const s = Math.min(MAX, Math.max(minScale(), v.s * factor));
      byHand({ x: v.x + px / v.s - px / s, y: v.y + py / v.s - py / s, s }, animate);
    }

    function zoomCentre(factor) {
      const { w, h } = size();
      zoomAt(factor, w / 2, h / 2, true);
    }

    function pan(dx, dy, animate = false) {
      byHand({ x: v.x + dx / v.s, y: v.y + dy / v.s, s: v.s }, animate);
    }

    // ---------------------------------------------------------------- input
    box.addEventListener("wheel", (e) => {
      if (!(e.ctrlKey || e.metaKey)) { // the page scrolls; the view says how to zoom
        box.dataset.hint = "1";
        clearTimeout(box._hint);
        box._hint = setTimeout(() => delete box.dataset.hint, 1500);
        return;
      }
      e.preventDefault(); // a pinch on a touchpad arrives as a wheel with ctrlKey
      const r = box.getBoundingClientRect();
      const unit = e.deltaMode === 1 ? 16 : e.deltaMode === 2 ? r.height : 1;
      zoomAt(Math.exp(-e.deltaY * unit * 0.0025), e.clientX - r.left, e.clientY - r.top);
    }, { passive: false });

    const pointers = new Map(); // pointerId → its last position
    let pinch = null;
    box.addEventListener("pointerdown", (e) => {
      // a press on a folded layer's box opens it (backprop.js): a click, not the start of a drag
      if (e.target.closest("button, [data-fold]") || (overview && overview.contains(e.target))) return;
      box.setPointerCapture(e.pointerId);
      pointers.set(e.pointerId, { x: e.clientX, y: e.clientY });
      pinch = null;
      if (pointers.size === 2) { // a pinch starts from where the two fingers are now
        const [a, b] = [...pointers.values()];
        pinch = { mid: { x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 }, dist: Math.hypot(a.x - b.x, a.y - b.y) };
      }
      box.dataset.dragging = "1";
    });
    box.addEventListener("pointermove", (e) => {
      const last = pointers.get(e.pointerId);
      if (!last) return;
      const now = { x: e.clientX, y: e.clientY };
      if (pointers.size === 1) {
        pan(last.x - now.x, last.y - now.y);
      } else if (pointers.size === 2) {
        const [a, b] = [...pointers.entries()].map(([id, p]) => (id === e.pointerId ? now : p));
        const mid = { x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 };
        const dist = Math.hypot(a.x - b.x, a.y - b.y);
        if (pinch && pinch.dist > 0) {
          const r = box.getBoundingClientRect();
          pan(pinch.mid.x - mid.x, pinch.mid.y - mid.y);
          zoomAt(dist / pinch.dist, mid.x - r.left, mid.y - r.top);
        }
        pinch = { mid, dist };
      }
      pointers.set(e.pointerId, now);
    });
    const release = (e) => {
      pointers.delete(e.pointerId);
      pinch = null;
      if (!pointers.size) delete box.dataset.dragging;
    };
    box.addEventListener("pointerup", release);
    box.addEventListener("pointercancel", release);

    box.addEventListener("keydown", (e) => {
      if (e.target !== box || e.altKey || e.ctrlKey || e.metaKey) return;
      const keys = {
        "+": () => zoomCentre(ZOOM), "=": () => zoomCentre(ZOOM), "-": () => zoomCentre(1 / ZOOM),
        "_": () => zoomCentre(1 / ZOOM), "0": () => { setFollowing(false); whole(); },
        "f": () => { setFollowing(true); follow(); }, "F": () => { setFollowing(true); follow(); },
        ArrowLeft: () => pan(-PAN, 0, true), ArrowRight: () => pan(PAN, 0, true),
        ArrowUp: () => pan(0, -PAN, true), ArrowDown: () => pan(0, PAN, true),
      };
      if (!(e.key in keys)) return;
      e.preventDefault();
      keys[e.key]();
    });

    if (overview) {
      const toGraph = (e) => {
        const m = overview.getScreenCTM();
        if (!m) return null;
        const p = new DOMPoint(e.clientX, e.clientY).matrixTransform(m.inverse());
        return p;
      };
      let dragging = false;
      const centreAt = (e) => {
        const p = toGraph(e);
        if (!p) return;
        const { w, h } = size();
        byHand({ x: p.x - w / v.s / 2, y: p.y - h / v.s / 2, s: v.s });
      };
      overview.addEventListener("pointerdown", (e) => {
        dragging = true;
        overview.setPointerCapture(e.pointerId);
        centreAt(e);
      });
      overview.addEventListener("pointermove", (e) => { if (dragging) centreAt(e); });
      overview.addEventListener("pointerup", () => { dragging = false; });
      overview.addEventListener("pointercancel", () => { dragging = false; });
    }

    if (parts.source) {
      parts.source.addEventListener("click", () => {
        if (!focus) return;
        const r = union([focus.source]);
        const { w, h } = size();
        const s = Math.max(v.s, READ);
        byHand({ x: (r.x0 + r.x1) / 2 - w / s / 2, y: (r.y0 + r.y1) / 2 - h / s / 2, s }, true);
      });
    }

    new ResizeObserver((entries) => {
      const r = entries[entries.length - 1].contentRect;
      const next = { w: Math.max(1, Math.round(r.width)), h: Math.max(1, Math.round(r.height)) };
      if (measured && next.w === measured.w && next.h === measured.h) return;
      measured = next;
      if (following) follow(false); else go(v, false);
    }).observe(box);

    // ----------------------------------------------------------------- API
    return {
      READ,
      /** A new graph of `w` × `h` layout px; `drawOverview(svg)` fills the overview with its small copy. */
      setGraph(w, h, drawOverview) {
        W = w;
        H = h;
        focus = null;
        // the view is as tall as the graph at full size, up to its CSS max-height (a part of the window)
        box.style.height = `${Math.ceil(h + 2 * MARGIN)}px`;
        measure();
        if (overview) {
          // the overview's box takes the graph's shape, within its CSS size
          const css = getComputedStyle(overview);
          const most = { w: parseFloat(css.width) || 168, h: parseFloat(css.maxHeight) || 112 };
          const k = Math.min(most.w / w, most.h / h);
          overview.style.height = `${Math.max(16, Math.round(h * k))}px`;
          overview.setAttribute("viewBox", `0 0 ${w} ${h}`);
          overview.replaceChildren();
          drawOverview(overview);
          overviewRect = document.createElementNS(NS, "rect");
          overviewRect.setAttribute("class", "view-rect");
          overview.append(overviewRect);
        }
        setFollowing(true);
        whole(false);
      },
      /** What to follow (null: the whole graph): rectangles in layout px, and the words for its source's button. */
      setFocus(next) {
        focus = next;
        placeSource();
      },
      /** A step was taken: follow again, from wherever the reader had moved the view. */
      step(animate = true) {
        setFollowing(true);
        follow(animate);
      },
      follow() { setFollowing(true); follow(); },
      whole() { setFollowing(false); whole(); },
      zoomIn() { zoomCentre(ZOOM); },
      zoomOut() { zoomCentre(1 / ZOOM); },
      get following() { return following; },
      get view() { return { ...v }; },
    };
  }

  return { create, READ };
})();
