// Geometry: where lanes and rows sit, and the mapping between data x (ticks in wall
// clock, event slots in step clock) and screen pixels.  Zoom, pan, clock switching.

import { partition } from "../shared/search.js";

export const RULER_H = 26;
export const ROW_H = 26;
export const BAR_H = 12;
export const BAR_TOP = 12; // bars sit in the lower part of a row…
export const MARK_Y = 6.5; // …markers in a strip above them
export const LANE_PAD = 4;
const AUTO_MAX_H = 520;

/** @typedef {import("./payload.js").Payload} Payload */

export class View {
  /** @param {Payload} p */
  constructor(p) {
    this.p = p;
    /** @type {"wall"|"step"} */
    this.clock = "wall";
    this.x0 = 0; // data x at the left edge of the plot
    this.k = 1; // px per data unit
    this.scrollY = 0;
    this.width = 600;
    this.height = 300;
    this.gutter = 140;
    const lanes = p.lanes;
    /** the top of each lane (and the bottom of the last), px from the first lane's top */
    this.laneY = new Float64Array(lanes.length + 1);
    for (let l = 0; l < lanes.length; l++) {
      this.laneY[l + 1] = this.laneY[l] + Math.max(1, lanes[l].rows | 0) * ROW_H + 2 * LANE_PAD;
    }
    this.contentH = this.laneY[lanes.length];
  }

  /** The height the widget wants when the `height` trait is 0 (auto). */
  autoHeight() {
    return Math.max(140, Math.min(AUTO_MAX_H, RULER_H + this.contentH + 8));
  }

  get plotLeft() { return this.gutter; }
  get plotW() { return Math.max(10, this.width - this.gutter); }
  get plotTop() { return RULER_H; }
  get plotH() { return Math.max(10, this.height - RULER_H); }

  /** The data extent: [0, domain]. */
  domain() {
    return this.clock === "step" ? Math.max(1, this.p.n) : this.p.endTicks;
  }

  /** Data x of event i (i = n: the end of the trace). @param {number} i */
  pos(i) {
    const p = this.p;
    if (this.clock === "step") return i >= p.n ? p.n : i + 0.5;
    return i >= p.n ? p.endTicks : p.t[i];
  }

  /**
   * The first k in [lo, hi) whose event arr[k] sits at data x or right of it (arr in
   * time order).
   * @param {ArrayLike<number>} arr
   * @param {number} lo
   * @param {number} hi
   * @param {number} x
   */
  firstAt(arr, lo, hi, x) {
    return partition(lo, hi, (k) => this.pos(arr[k]) < x);
  }

  /**
   * After arr[k] at screen px `px`: the first k2 > k whose event starts in the next
   * pixel column (narrow spans up to it merge into one run).
   * @param {ArrayLike<number>} arr
   * @param {number} k
   * @param {number} hi
   * @param {number} px
   */
  nextColumn(arr, k, hi, px) {
    return Math.max(k + 1, this.firstAt(arr, k + 1, hi, this.invX(Math.floor(px) + 1)));
  }

  /** Screen x clamped to just outside the plot (what is drawn there is clipped).
   * @param {number} x */
  clampX(x) {
    return Math.max(this.gutter - 4, Math.min(this.width + 4, x));
  }

  /** Screen x of data x. @param {number} x */
  X(x) { return this.gutter + (x - this.x0) * this.k; }
  /** Data x at screen x. @param {number} px */
  invX(px) { return this.x0 + (px - this.gutter) / this.k; }

  /** Visible data range. */
  range() { return [this.x0, this.x0 + this.plotW / this.k]; }

  kBounds() {
    const fitK = this.fitK();
    const max = this.clock === "step" ? 400 : 40 / this.p.tickNs; // 40 px per ns
    return [fitK / 4, Math.max(max, fitK)];
  }

  fitK() {
    return Math.max(1e-12, (this.plotW - 24) / this.domain());
  }

  fit() {
    this.k = this.fitK();
    this.x0 = -12 / this.k;
  }

  clamp() {
    const [kMin, kMax] = this.kBounds();
    this.k = Math.min(kMax, Math.max(kMin, this.k));
    const span = this.plotW / this.k;
    const d = this.domain();
    const lo = Math.min(-span * 0.5, -12 / this.k);
    const hi = Math.max(d - span * 0.5, d + 12 / this.k - span);
    this.x0 = Math.min(hi, Math.max(lo, this.x0));
    const maxScroll = Math.max(0, this.contentH - this.plotH + LANE_PAD);
    this.scrollY = Math.min(maxScroll, Math.max(0, this.scrollY));
  }

  /** Zoom by `factor` keeping data x under screen px `px` still.
   * @param {number} px @param {number} factor */
  zoomAt(px, factor) {
    const x = this.invX(px);
    this.k *= factor;
    this.clamp();
    this.x0 = x - (px - this.gutter) / this.k;
    this.clamp();
  }

  /** @param {number} dx @param {number} dy */
  panBy(dx, dy) {
    this.x0 -= dx / this.k;
    this.scrollY -= dy;
    this.clamp();
  }

  /** Make data x visible (with a margin), panning only, never past the data's ends.
   * @param {number} x @param {number} [where]  where in the view it goes (0 left, 1 right) */
  reveal(x, where = 0.33) {
    const [a, b] = this.range();
    const margin = (b - a) * 0.08;
    if (x < a + margin || x > b - margin) {
      const span = b - a;
      const pad = 12 / this.k;
      const lo = -pad;
      const hi = Math.max(lo, this.domain() + pad - span);
      this.x0 = Math.min(hi, Math.max(lo, x - span * where));
      this.clamp();
    }
  }

  /** Switch clocks keeping the same events in view. @param {"wall"|"step"} clock */
  setClock(clock) {
    if (clock === this.clock) return;
    const p = this.p;
    const [a, b] = this.range();
    let ia;
    let ib;
    if (this.clock === "wall") {
      ia = p.eventAtTime(a);
      ib = p.eventAtTime(b);
    } else {
      ia = Math.max(0, Math.floor(a));
      ib = Math.min(p.n, Math.ceil(b));
    }
    const wasFit = Math.abs(this.k - this.fitK()) / this.fitK() < 0.02;
    this.clock = clock;
    if (wasFit || ib <= ia + 1) {
      this.fit();
      return;
    }
    const na = this.pos(ia);
    const nb = this.pos(Math.min(ib, p.n));
    if (nb > na) {
      this.k = this.plotW / (nb - na);
      this.x0 = na;
    } else {
      this.fit();
    }
    this.clamp();
  }

  /** Screen y of the top of row r. @param {number} r */
  rowTop(r) {
    const p = this.p;
    const l = p.rowLane[r];
    return RULER_H + this.laneY[l] + LANE_PAD + p.rowDepth[r] * ROW_H - this.scrollY;
  }

  /** Screen y of the centre of row r's bars (labels, suspensions, relations).
   * @param {number} r */
  rowMid(r) { return this.rowTop(r) + BAR_TOP + BAR_H / 2; }

  /** Screen y of the centre of row r's markers. @param {number} r */
  markY(r) { return this.rowTop(r) + MARK_Y; }

  /** Screen y of the top of lane l. @param {number} l */
  laneTop(l) { return RULER_H + this.laneY[l] - this.scrollY; }

  /** The lane under screen y, or -1. @param {number} py */
  laneAt(py) {
    const y = py - RULER_H + this.scrollY;
    if (py < RULER_H || y < 0 || y >= this.contentH) return -1;
    return partition(0, this.p.lanes.length, (l) => this.laneY[l] <= y) - 1;
  }

  /** The row under screen y, or -1 (lane padding counts as the nearest row).
   * @param {number} py */
  rowAt(py) {
    const l = this.laneAt(py);
    if (l < 0) return -1;
    const p = this.p;
    const rows = p.laneRow0[l + 1] - p.laneRow0[l];
    const y = py - RULER_H + this.scrollY - this.laneY[l] - LANE_PAD;
    const d = Math.max(0, Math.min(rows - 1, Math.floor(y / ROW_H)));
    return p.laneRow0[l] + d;
  }

  /** Lanes with any part on screen: [first, last]. */
  visibleLanes() {
    const nl = this.p.lanes.length;
    if (!nl) return [0, -1];
    const first = Math.max(0, this.laneAt(RULER_H) < 0 ? 0 : this.laneAt(RULER_H));
    let last = this.laneAt(this.height - 1);
    if (last < 0) last = nl - 1;
    return [first, last];
  }
}
