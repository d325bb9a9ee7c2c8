// Geometry: where the displayed rows sit (display.js chooses them), the sizes of rows,
// bars, markers and type (larger in the presentation size), and the mapping between
// data x (ticks in wall clock, event slots in step clock) and screen pixels.  Zoom (never
// to a window shorter than MIN_WINDOW_NS or MIN_WINDOW_EVENTS), pan, clock switching.

import { partition } from "../shared/search.js";
import { Display } from "./display.js";

const AUTO_MAX_H = 520;
export const PRESENTATION = 1.4; // the presentation size: type, bars and markers this much larger
export const MIN_WINDOW_NS = 1000; // zoom stops at a 1 µs window (wall clock)…
export const MIN_WINDOW_EVENTS = 10; // …and at ten events (step time)

/** @typedef {import("./payload.js").Payload} Payload */

export class View {
  /**
   * @param {Payload} p
   * @param {Display} [display]  what is on display (the export shares the widget's)
   */
  constructor(p, display) {
    this.p = p;
    /** @type {"wall"|"step"} */
    this.clock = "wall";
    this.x0 = 0; // data x at the left edge of the plot
    this.k = 1; // px per data unit
    this.scrollY = 0;
    this.width = 600;
    this.height = 300;
    this.gutter = 140;
    this.display = display || new Display(p);
    this.scale = 1;
    this.rulerH = 26;
    this.rowH = 26;
    this.barH = 12;
    this.barTop = 12;
    this.markDy = 6.5;
    this.markerR = 3.9;
    this.lanePad = 4;
    this.setScale(1);
  }

  /** Sizes for scale `z` (1: normal; PRESENTATION: the projector size). @param {number} z */
  setScale(z) {
    this.scale = z;
    this.rulerH = Math.round(26 * z);
    this.rowH = Math.round(26 * z);
    this.barH = Math.round(12 * z);
    this.barTop = Math.round(12 * z); // bars sit in the lower part of a row…
    this.markDy = 6.5 * z; // …markers in a strip above them
    this.markerR = 3.9 * z;
    this.lanePad = Math.round(4 * z);
    this.display.setGeometry(this.rowH, this.lanePad);
  }

  /** A font size scaled to the current size. @param {number} px */
  px(px) {
    return Math.round(px * this.scale * 2) / 2;
  }

  /** The height of what is on display, px. */
  get contentH() {
    return this.display.contentH;
  }

  /** The height the widget wants when the `height` trait is 0 (auto). */
  autoHeight() {
    return Math.max(140, Math.min(AUTO_MAX_H * this.scale, this.rulerH + this.contentH + 8));
  }

  get plotLeft() { return this.gutter; }
  get plotW() { return Math.max(10, this.width - this.gutter); }
  get plotTop() { return this.rulerH; }
  get plotH() { return Math.max(10, this.height - this.rulerH); }

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

  /** The shortest window zoom may show, in data units. */
  minWindow() {
    return this.clock === "step" ? MIN_WINDOW_EVENTS : MIN_WINDOW_NS / this.p.tickNs;
  }

  kBounds() {
    const fitK = this.fitK();
    return [fitK / 4, Math.max(this.plotW / this.minWindow(), fitK)];
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
    const maxScroll = Math.max(0, this.contentH - this.plotH + this.lanePad);
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

  /**
   * A new size, with the same time range in view (all of it, when it was).
   * @param {number} width @param {number} gutter @param {number} height
   */
  resizeTo(width, gutter, height) {
    const wasFit = this.k && Math.abs(this.k - this.fitK()) / this.fitK() < 0.02;
    const [a, b] = this.range();
    this.width = width;
    this.gutter = gutter;
    this.height = height;
    if (wasFit) this.fit();
    else if (b > a) {
      this.k = this.plotW / (b - a);
      this.x0 = a;
    }
    this.clamp();
  }

  /** Show data x from a to b (zoom bounds permitting). @param {number} a @param {number} b */
  showRange(a, b) {
    this.k = this.plotW / Math.max(b - a, 1e-12);
    this.clamp();
    this.x0 = (a + b) / 2 - this.plotW / (2 * this.k);
    this.clamp();
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

  /** Screen y of the top of row r (NaN: not on display). @param {number} r */
  rowTop(r) {
    return this.rulerH + this.display.rowY[r] - this.scrollY;
  }

  /** Screen y of the centre of row r's bars (labels, suspensions, relations).
   * @param {number} r */
  rowMid(r) { return this.rowTop(r) + this.barTop + this.barH / 2; }

  /** Screen y of the centre of row r's markers. @param {number} r */
  markY(r) { return this.rowTop(r) + this.markDy; }

  /** Screen y of the top of display entry e. @param {number} e */
  entryTop(e) { return this.rulerH + this.display.entryY[e] - this.scrollY; }

  /** The display entry under screen y, or -1. @param {number} py */
  entryAt(py) {
    if (py < this.rulerH) return -1;
    return this.display.entryAt(py - this.rulerH + this.scrollY);
  }

  /** The row under screen y, or -1 (entry padding counts as the nearest row).
   * @param {number} py */
  rowAt(py) {
    const e = this.entryAt(py);
    if (e < 0) return -1;
    const { row0, rows } = this.display.entries[e];
    const y = py - this.rulerH + this.scrollY - this.display.entryY[e] - this.lanePad;
    return row0 + Math.max(0, Math.min(rows - 1, Math.floor(y / this.rowH)));
  }

  /** Entries with any part on screen: [first, last]. */
  visibleEntries() {
    const n = this.display.entries.length;
    if (!n) return [0, -1];
    const first = Math.max(0, this.entryAt(this.rulerH));
    let last = this.entryAt(this.height - 1);
    if (last < 0) last = n - 1;
    return [first, last];
  }
}
