// The timeline of one payload: builds the toolbar, the diagnostics list, canvas, status
// strip and legend, keeps the frame state in step with the model's traits (selection,
// cursor, clock, height, presentation, unfolded groups), draws on demand, and answers
// the pointer and the keyboard (interaction.js calls the methods under "interaction").
// index.js makes a new one whenever the header or the buffers change.

import { el } from "../shared/dom.js";
import { asBytes } from "../shared/decode.js";
import { readTheme } from "../shared/theme.js";
import { Tooltip } from "../shared/tooltip.js";
import { gutterWidth } from "./chrome.js";
import { Details, DESCRIBE_BATCH } from "./details.js";
import { makeDiagnostics } from "./diaglist.js";
import { drawFrame, makeHatch } from "./draw.js";
import { frameState } from "./frame.js";
import { hitTest } from "./hit.js";
import { exposeHooks } from "./hooks.js";
import { attach } from "./interaction.js";
import { Payload } from "./payload.js";
import { Playback } from "./playback.js";
import { exportPng, followUnfolded, pickDiagnostic, search, setPresentation, toggleGroup } from "./shown.js";
import { contentFor } from "./tips.js";
import { makeLegend, makeNotice, makeToolbar } from "./toolbar.js";
import { View } from "./view.js";

const FAINT_RELATIONS = 500; // draw all relations (faintly) below this many
const SELECTED_RELATIONS = 5000;
const SYNC_MS = 120; // while playing, the kernel hears of the cursor at most this often
const MAX_GUTTER = 240;
const MEASURED = 2000; // lanes and rows measured for the gutter's width, at most

/**
 * @typedef {import("./frame.js").FrameState} FrameState
 * @typedef {import("./frame.js").Frame} Frame
 * @typedef {import("./hit.js").Hit} Hit
 */

export class Timeline {
  /**
   * @param {any} model  the anywidget model
   * @param {HTMLElement} root  the widget's element (data-testid=asyncviz-timeline)
   * @param {number} t0  when building began (the first frame's time is measured from it)
   */
  constructor(model, root, t0) {
    this.t0 = t0;
    this.model = model;
    this.root = root;
    this.p = new Payload(model.get("header"), asBytes(model.get("buffers")));
    this.v = new View(this.p);
    this.theme = readTheme(root);
    /** @type {FrameState} */
    this.s = frameState(this.p, this.v, this.theme,
      new Details(this.p, (msg) => model.send(msg)));
    this.firstFrame = false;
    this.frameReq = 0;
    this.lastSync = 0;
    this.themeSeen = false;
    this.cssW = 0;
    this.cssH = 0;
    this.dpr = 1;
    /** @type {Frame|null} */
    this.frame = null;
    /** @type {Hit|null} */
    this.hoverHit = null;
    this.hoverPos = [0, 0];
    this.tooltipKey = "";

    this.toolbar = this.makeToolbar();
    root.appendChild(this.toolbar.bar);
    const notice = makeNotice(this.p);
    if (notice) root.appendChild(notice);
    this.diags = makeDiagnostics(this.p, (k) => pickDiagnostic(this, k));
    if (this.diags) root.appendChild(this.diags.box);
    this.wrap = el("div", "avz-canvas-wrap");
    this.canvas = this.makeCanvas();
    this.ctx = /** @type {CanvasRenderingContext2D} */ (this.canvas.getContext("2d", { alpha: false }));
    this.tooltip = new Tooltip(this.wrap, "timeline-tooltip");
    root.appendChild(this.wrap);
    this.s.hatch = makeHatch(this.ctx, this.theme);
    this.playback = this.makePlayback();
    this.legend = makeLegend(this.theme, this.p);
    root.appendChild(this.legend);
    this.detach = attach(root, this.canvas, this);
    this.start();
  }

  makeToolbar() {
    return makeToolbar(this.p, {
      zoomOut: () => this.zoomBy(1 / 1.6),
      zoomIn: () => this.zoomBy(1.6),
      reset: () => this.reset(),
      clock: () => this.toggleClock(),
      back: () => this.step(-1),
      play: () => this.togglePlay(),
      forward: () => this.step(1),
      present: () => setPresentation(this, !(this.v.scale > 1), true),
      export: () => exportPng(this),
      speed: (n) => { this.playback.speed = n; },
      search: (q) => search(this, q),
    });
  }

  makeCanvas() {
    const canvas = document.createElement("canvas");
    canvas.className = "avz-canvas";
    canvas.dataset.testid = "timeline-canvas";
    canvas.setAttribute("role", "img");
    canvas.setAttribute("aria-label", `timeline of ${this.p.n} events in ${this.p.lanes.length} lanes`);
    this.wrap.appendChild(canvas);
    return canvas;
  }

  makePlayback() {
    const strip = el("div", "avz-status");
    strip.dataset.testid = "cursor-state";
    strip.setAttribute("aria-live", "polite");
    this.root.appendChild(strip);
    return new Playback(strip, this.s, {
      setCursor: (i, opts) => this.setCursor(i, opts),
      select: (o) => this.select(o),
      describe: (is) => this.s.details.ask(is),
      onPlayChange: (on) => {
        this.toolbar.setPlaying(on);
        this.root.dataset.playing = on ? "1" : "0";
      },
    });
  }

  /** The initial state, from the traits. */
  start() {
    const { model, root, s } = this;
    this.v.clock = model.get("clock") === "step" ? "step" : "wall";
    followUnfolded(this);
    setPresentation(this, Boolean(model.get("presentation")), false);
    s.selection = model.get("selection") ?? -1;
    s.cursor = this.clampCursor(model.get("cursor") ?? -1);
    this.updateSelection();
    this.updateClockButton();
    this.resize(true);
    this.v.fit();
    if (root.isConnected) this.toolbar.recolour();
    this.playback.update(s.cursor);
    exposeHooks(this);
    root.dataset.lanes = "0";
    root.dataset.cursor = String(s.cursor);
  }

  // ---- sizing and drawing ---------------------------------------------------

  /** Fit the canvas to the element's width and the height trait (0: auto). */
  resize(force = false) {
    if (!this.themeSeen && this.root.isConnected) {
      // a detached element has no theme variables: read them once attached
      this.themeSeen = true;
      this.onThemeChange();
    }
    const host = this.root.parentElement;
    const width = Math.max(200, Math.floor(this.wrap.clientWidth || (host && host.clientWidth) || 800));
    const want = this.model.get("height") | 0;
    const v = this.v;
    const height = want > 0 ? Math.max(120, want) : v.autoHeight();
    const dpr = window.devicePixelRatio || 1;
    if (!force && width === this.cssW && height === this.cssH && dpr === this.dpr) return;
    // labels may take more of a narrow widget in the presentation size: cut, they say nothing
    const share = v.scale > 1 ? 0.45 : 0.35;
    const gutter = Math.ceil(this.gutterWidth(Math.min(MAX_GUTTER * v.scale, Math.floor(width * share))));
    v.resizeTo(width, gutter, height);
    this.cssW = width;
    this.cssH = height;
    this.dpr = dpr;
    this.canvas.width = Math.round(width * dpr);
    this.canvas.height = Math.round(height * dpr);
    this.canvas.style.height = `${height}px`;
    this.playback.fitHelp();
    this.requestDraw();
  }

  /** Room the lane labels and row labels want, px, up to `cap`. @param {number} cap */
  gutterWidth(cap) {
    return gutterWidth(this.ctx, this.s, MEASURED, cap);
  }

  requestDraw() {
    if (this.frameReq) return;
    this.frameReq = requestAnimationFrame(() => {
      this.frameReq = 0;
      this.draw();
    });
  }

  draw() {
    const t = performance.now();
    this.ctx.setTransform(this.dpr, 0, 0, this.dpr, 0, 0);
    const frame = drawFrame(this.ctx, this.s);
    const now = performance.now();
    const data = this.root.dataset;
    data.lastRedrawMs = (now - t).toFixed(2);
    data.lanes = String(frame.lanes);
    data.alarms = String(frame.alarms.length);
    if (!this.firstFrame) {
      this.firstFrame = true;
      this.toolbar.recolour();
      data.firstFrameMs = (now - this.t0).toFixed(1);
    }
    this.frame = frame;
    if (frame.missing.length && frame.missing.length <= DESCRIBE_BATCH) this.s.details.ask(frame.missing);
  }

  // ---- model sync -------------------------------------------------------------

  /** @param {number} c */
  clampCursor(c) {
    c = Number.isFinite(c) ? Math.trunc(c) : -1;
    return c < 0 ? -1 : Math.min(c, this.p.n - 1);
  }

  /**
   * @param {number} i
   * @param {{sync?: boolean}} [opts]  sync false: playing (the kernel hears of it later)
   */
  setCursor(i, opts = {}) {
    const c = this.clampCursor(i);
    const changed = c !== this.s.cursor;
    this.showCursor(c);
    const sync = opts.sync !== false;
    const now = performance.now();
    if ((changed && (sync || now - this.lastSync > SYNC_MS)) || (sync && this.model.get("cursor") !== c)) {
      this.lastSync = now;
      this.model.set("cursor", c);
      this.model.save_changes();
    }
  }

  /** @param {number} c */
  showCursor(c) {
    this.s.cursor = c;
    if (c >= 0) this.revealEvent(c);
    this.playback.update(c);
    this.root.dataset.cursor = String(c);
    this.requestDraw();
  }

  /** @param {number} i */
  revealEvent(i) {
    this.v.reveal(this.v.pos(i));
    this.revealObject(this.p.obj[i]);
  }

  /** Scroll object o's row into view (when it is on display). @param {number} o */
  revealObject(o) {
    const v = this.v;
    const r = v.display.shownRow(o);
    if (r < 0) return;
    const y = v.rowTop(r);
    if (y < v.rulerH || y + v.rowH > v.height) {
      v.scrollY += y - (v.rulerH + v.plotH / 3);
      v.clamp();
    }
  }

  /** @param {number} o */
  select(o) {
    const sel = Number.isInteger(o) && o >= 0 && o < this.p.objects.length ? o : -1;
    this.s.selection = sel;
    this.updateSelection();
    this.model.set("selection", sel);
    this.model.save_changes();
    this.requestDraw();
  }

  deselect() { this.select(-1); }

  /** The selection's linked objects, the rows they are shown in and their relations
   * (or every relation, faintly, when there are few and nothing is selected). */
  updateSelection() {
    const { p, s } = this;
    const sel = s.selection;
    s.selSet = new Set();
    s.selRows = new Set();
    s.relations = [];
    s.relationsFaint = sel < 0;
    if (sel >= 0 && sel < p.objects.length) {
      for (const o of [sel, p.coroOfTask[sel], p.taskOfCoro[sel]]) if (o >= 0) s.selSet.add(o);
      for (const o of s.selSet) {
        const r = this.v.display.shownRow(o);
        if (r >= 0) s.selRows.add(r);
      }
      s.relations = p.relations(s.selSet, SELECTED_RELATIONS);
    } else if (p.relationCount < FAINT_RELATIONS) {
      s.relations = p.relations(null, FAINT_RELATIONS);
    }
    this.root.dataset.selection = String(sel);
    if (this.playback) this.playback.update(s.cursor);
  }

  /** What is on display changed (search, folds, size): selection rows, scroll, size. */
  displayChanged() {
    this.updateSelection();
    this.v.clamp();
    this.resize(true);
  }

  updateClockButton() {
    const b = this.toolbar.buttons.clock;
    const step = this.v.clock === "step";
    const text = b.querySelector(".avz-btn-text");
    if (text) text.textContent = step ? "step time" : "wall clock";
    b.setAttribute("aria-pressed", step ? "true" : "false");
    this.root.dataset.clock = this.v.clock;
  }

  /** A trait changed (in Python, or in a linked widget): follow it. @param {string} name */
  onModelChange(name) {
    const model = this.model;
    if (name === "selection" && model.get("selection") !== this.s.selection) {
      this.s.selection = model.get("selection") ?? -1;
      this.updateSelection();
      this.requestDraw();
    } else if (name === "cursor") {
      const c = this.clampCursor(model.get("cursor"));
      if (c !== this.s.cursor) this.showCursor(c);
    } else if (name === "clock") {
      this.v.setClock(model.get("clock") === "step" ? "step" : "wall");
      this.updateClockButton();
      this.requestDraw();
    } else if (name === "height") {
      this.resize(true);
    } else if (name === "presentation" && Boolean(model.get("presentation")) !== this.v.scale > 1) {
      setPresentation(this, Boolean(model.get("presentation")), false);
    } else if (name === "unfolded") {
      followUnfolded(this);
      this.displayChanged();
    }
  }

  /** A custom message from the kernel: answers about events. @param {any} msg */
  onMessage(msg) {
    if (!this.s.details.receive(msg)) return;
    this.refreshTooltip();
    this.playback.update(this.s.cursor);
    this.requestDraw();
  }

  // ---- interaction (called by interaction.js) ----------------------------------

  /** @param {number} px @param {number} py */
  hover(px, py) {
    const s = this.s;
    const hit = hitTest(s, px, py);
    const prev = JSON.stringify(s.hover);
    s.hover = hit && (hit.type === "event" || hit.type === "slice" || hit.type === "susp") ? hit : null;
    s.hoverEntry = hit && hit.type === "gutter" ? hit.entry : -1;
    const key = hit ? JSON.stringify(hit) : "";
    this.hoverPos = [px, py];
    this.hoverHit = hit;
    if (key !== this.tooltipKey) {
      this.tooltipKey = key;
      this.refreshTooltip();
    }
    this.canvas.classList.toggle("avz-pointer", this.clickable(hit));
    if (prev !== JSON.stringify(s.hover) || (hit && hit.type === "gutter")) this.requestDraw();
  }

  /** @param {Hit|null} hit */
  clickable(hit) {
    if (!hit || hit.type === "ruler" || hit.type === "lane" || hit.type === "idle") return false;
    if (hit.type !== "gutter") return true;
    return this.v.display.entries[hit.entry].kind === "group" || this.rowObject(hit.row) >= 0;
  }

  /** What clicking row r's label selects: the lane's object on its first row, else the
   * row's first object (-1: nothing). @param {number} r */
  rowObject(r) {
    const p = this.p;
    const l = r >= 0 && r < p.laneRows ? p.rowLane[r] : -1;
    if (l < 0) return -1;
    const lane = p.lanes[l];
    if (p.rowDepth[r] === 0 && lane.object !== null && lane.object !== undefined) return lane.object;
    return p.rowObjects[r].length ? p.rowObjects[r][0] : -1;
  }

  refreshTooltip() {
    const content = this.hoverHit ? contentFor(this.s, this.hoverHit) : null;
    if (!content) {
      this.tooltip.hide();
      return;
    }
    if (content.describe !== undefined) this.s.details.ask([content.describe]);
    const [x, y] = this.hoverPos;
    this.tooltip.show(x, y, content, this.cssW, this.cssH);
  }

  leave() {
    this.hoverHit = null;
    this.tooltipKey = "";
    this.tooltip.hide();
    if (this.s.hover || this.s.hoverEntry >= 0) {
      this.s.hover = null;
      this.s.hoverEntry = -1;
      this.requestDraw();
    }
  }

  /** @param {number} px @param {number} py */
  click(px, py) {
    const hit = hitTest(this.s, px, py);
    this.tooltipKey = ""; // what the tooltip says may change (a group unfolded)
    switch (hit ? hit.type : null) {
      case "event": return this.select(this.p.obj[/** @type {{i: number}} */ (hit).i]);
      case "slice":
      case "susp": return this.select(/** @type {{o: number}} */ (hit).o);
      case "gutter": {
        const { entry, row } = /** @type {{entry: number, row: number}} */ (hit);
        const e = this.v.display.entries[entry];
        return e.kind === "group" ? toggleGroup(this, e.id) : this.select(this.rowObject(row));
      }
      case "ruler": { // the cursor to the nearest event
        const x = this.v.invX(px);
        const i = this.v.clock === "step" ? Math.floor(x) : this.p.eventAtTime(x);
        return this.setCursor(Math.max(0, Math.min(this.p.n - 1, i)));
      }
      default: return this.select(-1);
    }
  }

  /** @param {boolean} on */
  dragging(on) {
    this.canvas.classList.toggle("avz-grab", on);
    if (on) this.leave();
  }

  /** @param {number} px @param {number} factor */
  zoomAt(px, factor) {
    this.v.zoomAt(px, factor);
    this.requestDraw();
  }

  /** Zoom around the cursor when it is in view, else around the middle. @param {number} factor */
  zoomBy(factor) {
    const v = this.v;
    const c = this.s.cursor;
    const cx = c >= 0 ? v.X(v.pos(c)) : NaN;
    this.zoomAt(cx >= v.plotLeft && cx <= v.width ? cx : v.plotLeft + v.plotW / 2, factor);
  }

  /** @param {number} dx @param {number} dy */
  panBy(dx, dy) {
    this.v.panBy(dx, dy);
    this.requestDraw();
  }

  /** Back to the first view: everything in width, the top lanes in view. */
  reset() {
    this.v.fit();
    this.v.scrollY = 0;
    this.v.clamp();
    this.s.diagnostic = -1;
    if (this.diags) this.diags.show(-1);
    this.requestDraw();
  }

  /** @param {number} d */
  step(d) { this.playback.step(d); }

  togglePlay() { this.playback.toggle(); }

  toggleClock() {
    const next = this.v.clock === "step" ? "wall" : "step";
    this.v.setClock(next);
    this.updateClockButton();
    this.model.set("clock", next);
    this.model.save_changes();
    this.requestDraw();
  }

  onThemeChange() {
    const theme = readTheme(this.root);
    if (JSON.stringify(theme) === JSON.stringify(this.theme)) return;
    this.theme = theme;
    this.s.theme = theme;
    this.s.hatch = makeHatch(this.ctx, theme);
    const legend = makeLegend(theme, this.p);
    this.legend.replaceWith(legend);
    this.legend = legend;
    this.toolbar.recolour();
    this.playback.update(this.s.cursor);
    this.requestDraw();
  }

  destroy() {
    this.detach();
    this.playback.destroy();
    if (this.frameReq) cancelAnimationFrame(this.frameReq);
  }
}
