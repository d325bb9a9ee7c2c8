// Hooks for tests and benchmarks, on the root element (data-testid=asyncviz-timeline):
// attributes data-first-frame-ms, data-last-redraw-ms, data-lanes (entries drawn),
// data-alarms (raise/throw/cancel markers drawn), data-clock, data-cursor,
// data-selection, data-presentation, data-shown-lanes, data-found, data-diagnostic,
// data-export-width/-height/-title/-range (set by widget.js and shown.js), and
// el.__asyncviz = {eventPosition(i), lanePosition(lane), rowPosition(row),
// groupPosition(g), entries(), frame(), showEvent(i), hitAt(x, y), redraw(), state(),
// pan(dx, dy), zoom(factor)}.  Positions are client coordinates.

import { hitTest } from "./hit.js";

/** @typedef {import("./widget.js").Timeline} Timeline */

/** @param {Timeline} tl */
export function exposeHooks(tl) {
  /** @param {number} x @param {number} y */
  const client = (x, y) => {
    const b = tl.canvas.getBoundingClientRect();
    return { x: b.left + x, y: b.top + y };
  };
  /** @param {number} r */
  const rowAt = (r) => {
    const v = tl.v;
    const y = v.rowMid(r);
    if (Number.isNaN(y)) return null;
    return { ...client(Math.min(40, v.gutter / 2), y), visible: y >= v.rulerH && y <= v.height };
  };
  /** @param {() => void} change */
  const redrawAfter = (change) => {
    change();
    tl.draw();
    return Number(tl.root.dataset.lastRedrawMs);
  };
  /** @type {any} */ (tl.root).__asyncviz = {
    /** Client coordinates of event i's marker in the current view (null: no row). @param {number} i */
    eventPosition(i) {
      const { p, v } = tl;
      if (!(i >= 0 && i < p.n)) return null;
      const r = v.display.shownRow(p.obj[i]);
      if (r < 0) return null;
      const x = v.X(v.pos(i));
      const y = v.markY(r);
      const visible = x >= v.plotLeft && x <= v.width && y >= v.rulerH && y <= v.height;
      return { ...client(x, y), visible };
    },
    /** Client coordinates of a lane's label (its first row's; null: not on display).
     * @param {number} lane */
    lanePosition(lane) {
      const p = tl.p;
      return lane >= 0 && lane < p.lanes.length ? rowAt(p.laneRow0[lane]) : null;
    },
    /** Client coordinates of row r's label (clicking there selects what runs in it).
     * @param {number} r */
    rowPosition(r) {
      return r >= 0 && r < tl.p.nRows ? rowAt(r) : null;
    },
    /** Client coordinates of fold group g's label (clicking there folds / unfolds it).
     * @param {number} g */
    groupPosition(g) {
      return g >= 0 && g < tl.p.groups.length ? rowAt(tl.p.laneRows + g) : null;
    },
    /** What is on display: [{kind: "lane"|"group", id, rows}], top to bottom. */
    entries() {
      return tl.v.display.entries.map((e) => ({ kind: e.kind, id: e.id, rows: e.rows }));
    },
    /** The last frame: texts written on bars and spans, alarm events drawn, entries
     * drawn, gutter labels cut to fit. */
    frame() {
      const f = tl.frame;
      return f ? { texts: [...f.texts], alarms: [...f.alarms], lanes: f.lanes, cut: f.cut } : null;
    },
    /** Pan and zoom so that event i is on screen with room for its marker. @param {number} i */
    showEvent(i) {
      if (!(i >= 0 && i < tl.p.n)) return;
      showEvent(tl, i);
      tl.draw();
    },
    /** What is under client point (x, y): a Hit (hit.js). @param {number} x @param {number} y */
    hitAt(x, y) {
      const b = tl.canvas.getBoundingClientRect();
      return hitTest(tl.s, x - b.left, y - b.top);
    },
    redraw() { return redrawAfter(() => {}); },
    state() {
      const v = tl.v;
      return {
        clock: v.clock, x0: v.x0, k: v.k, scrollY: v.scrollY, width: v.width, height: v.height,
        cursor: tl.s.cursor, selection: tl.s.selection, events: tl.p.n, lanes: tl.p.lanes.length,
        window: v.plotW / v.k, scale: v.scale, gutter: v.gutter,
      };
    },
    /** Pan by dx, dy px and draw synchronously; returns the redraw time in ms. */
    pan(dx = 0, dy = 0) { return redrawAfter(() => tl.v.panBy(dx, dy)); },
    /** Zoom by factor around the plot's centre and draw; returns the redraw time in ms. */
    zoom(factor = 1) { return redrawAfter(() => tl.v.zoomAt(tl.v.plotLeft + tl.v.plotW / 2, factor)); },
  };
}

/**
 * @param {Timeline} tl
 * @param {number} i
 */
function showEvent(tl, i) {
  const { p, v } = tl;
  const lo = Math.max(0, i - 10);
  const hi = Math.min(p.n - 1, i + 10);
  const span = Math.max(v.pos(hi) - v.pos(lo), 1e-9);
  const needK = 24 / Math.max(1e-12, Math.min(
    v.pos(i) - v.pos(Math.max(0, i - 1)) || Infinity,
    v.pos(Math.min(p.n - 1, i + 1)) - v.pos(i) || Infinity,
    span));
  if (v.k < needK && Number.isFinite(needK)) v.k = Math.min(needK, v.kBounds()[1]);
  v.x0 = v.pos(i) - v.plotW / (2 * v.k);
  v.clamp();
  tl.revealEvent(i);
}
