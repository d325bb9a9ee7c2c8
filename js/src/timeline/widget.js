// The timeline of one payload: builds the toolbar, canvas, status strip and legend,
// keeps the frame state in step with the model's traits, draws on demand, and answers
// the pointer and the keyboard (interaction.js calls the methods under "interaction").
// index.js makes a new one whenever the header or the buffers change.

import { el } from "../shared/dom.js";
import { asBytes, known } from "../shared/decode.js";
import { readTheme } from "../shared/theme.js";
import { Tooltip } from "../shared/tooltip.js";
import { rowLabel } from "./chrome.js";
import { Details, DESCRIBE_BATCH } from "./details.js";
import { drawFrame, makeHatch } from "./draw.js";
import { frameState } from "./frame.js";
import { hitTest } from "./hit.js";
import { exposeHooks } from "./hooks.js";
import { attach } from "./interaction.js";
import { Payload } from "./payload.js";
import { Playback } from "./playback.js";
import { contentFor } from "./tips.js";
import { makeLegend, makeNotice, makeToolbar } from "./toolbar.js";
import { View, ROW_H, RULER_H } from "./view.js";

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
      export: () => this.exportPng(),
      speed: (n) => { this.playback.speed = n; },
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
    v.gutter = Math.min(MAX_GUTTER, Math.ceil(this.gutterWidth()), Math.floor(width * 0.35));
    v.width = width;
    const height = want > 0 ? Math.max(120, want) : v.autoHeight();
    const dpr = window.devicePixelRatio || 1;
    if (!force && width === this.cssW && height === this.cssH && dpr === this.dpr) return;
    const wasFit = v.k && Math.abs(v.k - v.fitK()) / v.fitK() < 0.02;
    v.height = height;
    this.cssW = width;
    this.cssH = height;
    this.dpr = dpr;
    this.canvas.width = Math.round(width * dpr);
    this.canvas.height = Math.round(height * dpr);
    this.canvas.style.height = `${height}px`;
    if (wasFit) v.fit();
    v.clamp();
    this.requestDraw();
  }

  /** Room the lane labels and row labels want, px. */
  gutterWidth() {
    const { ctx, p } = this;
    ctx.font = `600 12px ${this.theme.font}`;
    let gutter = 90;
    for (const lane of p.lanes.slice(0, MEASURED)) {
      gutter = Math.max(gutter, ctx.measureText(lane.label).width + 48);
    }
    ctx.font = `11px ${this.theme.font}`;
    for (let r = 0; r < Math.min(p.nRows, MEASURED); r++) {
      const d = p.rowDepth[r];
      if (!d) continue;
      const w = ctx.measureText(`↳ ${rowLabel(p, p.rowObjects[r])}`).width;
      gutter = Math.max(gutter, w + 14 + Math.min(d, 6) * 8);
    }
    return gutter;
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
    const v = this.v;
    v.reveal(v.pos(i));
    const r = this.p.rowOfObj[this.p.obj[i]];
    if (r < 0) return;
    const y = v.rowTop(r);
    if (y < RULER_H || y + ROW_H > v.height) {
      v.scrollY += y - (RULER_H + v.plotH / 3);
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

  /** The selection's linked objects, lanes and relations (or every relation, faintly,
   * when there are few and nothing is selected). */
  updateSelection() {
    const { p, s } = this;
    const sel = s.selection;
    s.selSet = new Set();
    s.selLanes = new Set();
    s.relations = [];
    s.relationsFaint = sel < 0;
    if (sel >= 0 && sel < p.objects.length) {
      for (const o of [sel, p.coroOfTask[sel], p.taskOfCoro[sel]]) if (o >= 0) s.selSet.add(o);
      for (const o of s.selSet) {
        const l = p.objects[o].lane;
        if (l !== null && l !== undefined) s.selLanes.add(l);
      }
      s.relations = p.relations(s.selSet, SELECTED_RELATIONS);
    } else if (p.relationCount < FAINT_RELATIONS) {
      s.relations = p.relations(null, FAINT_RELATIONS);
    }
    this.root.dataset.selection = String(sel);
    if (this.playback) this.playback.update(s.cursor);
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
    s.hoverLane = hit && hit.type === "gutter" ? hit.lane : -1;
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
    return hit.type !== "gutter" || known(this.p.lanes[hit.lane].object);
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
    if (this.s.hover || this.s.hoverLane >= 0) {
      this.s.hover = null;
      this.s.hoverLane = -1;
      this.requestDraw();
    }
  }

  /** @param {number} px @param {number} py */
  click(px, py) {
    const hit = hitTest(this.s, px, py);
    switch (hit ? hit.type : null) {
      case "event": return this.select(this.p.obj[/** @type {{i: number}} */ (hit).i]);
      case "slice":
      case "susp": return this.select(/** @type {{o: number}} */ (hit).o);
      case "gutter": {
        const o = this.p.lanes[/** @type {{lane: number}} */ (hit).lane].object;
        return this.select(o === null || o === undefined ? -1 : o);
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

  reset() {
    this.v.fit();
    this.v.scrollY = 0;
    this.v.clamp();
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

  /** Download the view as PNG, and hand the image to the kernel (widget.exported_png). */
  exportPng() {
    this.draw();
    this.canvas.toBlob((blob) => {
      if (!blob) return;
      const url = URL.createObjectURL(blob);
      const a = el("a");
      a.href = url;
      a.download = "asyncviz-timeline.png";
      a.style.display = "none";
      this.root.appendChild(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10000);
      this.root.dataset.exported = String((Number(this.root.dataset.exported) || 0) + 1);
      blob.arrayBuffer().then((buf) => {
        // WidgetModel.send(content, callbacks, buffers)
        this.model.send({ type: "png", width: this.canvas.width, height: this.canvas.height },
          undefined, [buf]);
      }).catch(() => {});
    }, "image/png");
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
