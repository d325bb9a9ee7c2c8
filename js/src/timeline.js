// asyncviz timeline widget: the anywidget entry point.
//
// Traits (see asyncviz/widgets/timeline.py): header (dict), buffers (bytes), selection
// (object id, -1: none), cursor (event index, -1: none), clock ("wall" | "step"),
// height (px, 0: auto).  Custom messages: {type: "describe", index | indices} →
// {type: "event", …} | {type: "events", events: […]}; {type: "png"} + buffer (export).
//
// Hooks for tests and benchmarks, on the root element (data-testid=asyncviz-timeline):
//   data-first-frame-ms, data-last-redraw-ms, data-lanes, data-clock, data-cursor,
//   data-selection, and el.__asyncviz = { eventPosition(i), lanePosition(lane),
//   showEvent(i), redraw(), state() }.

import { readTheme } from "./colours.js";
import { drawFrame, makeHatch, rowLabel } from "./draw.js";
import { hitTest } from "./hit.js";
import { attach } from "./interaction.js";
import { joinLink } from "./link.js";
import { Details } from "./details.js";
import { asBytes, Payload } from "./payload.js";
import { Playback } from "./playback.js";
import { CSS } from "./style.js";
import { makeLegend, makeNotice, makeToolbar } from "./toolbar.js";
import { contentFor, el, Tooltip } from "./tooltip.js";
import { View, ROW_H, RULER_H } from "./view.js";

const FAINT_RELATIONS = 500; // draw all relations (faintly) below this many
const SELECTED_RELATIONS = 5000;
const DESCRIBE_BATCH = 300;

class Timeline {
  /**
   * @param {any} model  the anywidget model
   * @param {HTMLElement} host
   */
  constructor(model, host) {
    this.t0 = performance.now();
    this.model = model;
    this.host = host;
    this.firstFrame = false;
    this.frameReq = 0;
    this.pending = new Set(); // describe requests in flight
    this.cleanups = [];

    const root = el("div", "avz-root");
    root.dataset.testid = "asyncviz-timeline";
    root.tabIndex = 0;
    root.setAttribute("role", "figure");
    root.setAttribute("aria-label", "asyncviz timeline: who ran when");
    const style = document.createElement("style");
    style.textContent = CSS;
    root.appendChild(style);
    this.root = root;
    host.appendChild(root);
    this.build();
  }

  /** (Re)build everything from the model's header and buffers. */
  build() {
    const root = this.root;
    for (const c of [...root.children]) if (c.tagName !== "STYLE") c.remove();
    this.destroyParts();
    let p;
    try {
      p = new Payload(this.model.get("header"), asBytes(this.model.get("buffers")));
    } catch (err) {
      root.appendChild(el("div", "avz-error", String(err && err.message ? err.message : err)));
      return;
    }
    this.p = p;
    this.v = new View(p);
    this.theme = readTheme(root);
    /** shared state the drawing, hit testing and playback read */
    this.s = {
      p,
      v: this.v,
      theme: this.theme,
      selection: -1,
      selSet: new Set(),
      selLanes: new Set(),
      relations: [],
      relationsFaint: false,
      hover: null,
      hoverLane: -1,
      cursor: -1,
      details: new Details(p),
      hatch: null,
    };

    const tb = makeToolbar(p, {
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
    this.toolbar = tb;
    root.appendChild(tb.bar);
    const notice = makeNotice(p);
    if (notice) root.appendChild(notice);

    const wrap = el("div", "avz-canvas-wrap");
    const canvas = document.createElement("canvas");
    canvas.className = "avz-canvas";
    canvas.dataset.testid = "timeline-canvas";
    canvas.setAttribute("role", "img");
    canvas.setAttribute("aria-label", `timeline of ${p.n} events in ${p.lanes.length} lanes`);
    wrap.appendChild(canvas);
    this.tooltip = new Tooltip(wrap);
    root.appendChild(wrap);
    this.wrap = wrap;
    this.canvas = canvas;
    this.ctx = canvas.getContext("2d", { alpha: false });
    this.s.hatch = makeHatch(this.ctx, this.theme);

    const strip = el("div", "avz-status");
    strip.dataset.testid = "cursor-state";
    strip.setAttribute("aria-live", "polite");
    root.appendChild(strip);
    this.playback = new Playback(strip, this.s, {
      setCursor: (i, opts) => this.setCursor(i, opts),
      select: (o) => this.select(o),
      describe: (is) => this.describe(is),
      onPlayChange: (on) => {
        tb.setPlaying(on);
        root.dataset.playing = on ? "1" : "0";
      },
    });
    this.legend = makeLegend(this.theme, p);
    root.appendChild(this.legend);

    this.detach = attach(root, canvas, this);

    // initial state from the traits
    this.v.clock = this.model.get("clock") === "step" ? "step" : "wall";
    this.s.selection = this.model.get("selection") ?? -1;
    this.s.cursor = this.clampCursor(this.model.get("cursor") ?? -1);
    this.updateSelection();
    this.updateClockButton();
    this.resize(true);
    this.v.fit();
    if (root.isConnected) tb.recolour();
    this.playback.update(this.s.cursor);
    this.exposeHooks();
    root.dataset.lanes = "0";
    root.dataset.cursor = String(this.s.cursor);
  }

  destroyParts() {
    if (this.detach) this.detach();
    this.detach = null;
    if (this.playback) this.playback.destroy();
  }

  // ---- sizing and drawing ---------------------------------------------------

  /** Fit the canvas to the element's width and the height trait (0: auto). */
  resize(force = false) {
    if (!this.v) return;
    if (!this.themeSeen && this.root.isConnected) {
      // a detached element has no theme variables: read them once attached
      this.themeSeen = true;
      this.onThemeChange();
    }
    const width = Math.max(200, Math.floor(this.wrap.clientWidth || this.host.clientWidth || 800));
    const want = this.model.get("height") | 0;
    const ctx = this.ctx;
    ctx.font = `600 12px ${this.theme.font}`;
    let gutter = 90;
    for (const lane of this.p.lanes.slice(0, 2000)) {
      gutter = Math.max(gutter, ctx.measureText(lane.label).width + 48);
    }
    ctx.font = `11px ${this.theme.font}`;
    const p = this.p;
    for (let r = 0; r < Math.min(p.nRows, 2000); r++) {
      const d = p.rowDepth[r];
      if (!d) continue;
      const w = ctx.measureText(`↳ ${rowLabel(p, p.rowObjects[r])}`).width;
      gutter = Math.max(gutter, w + 14 + Math.min(d, 6) * 8);
    }
    this.v.gutter = Math.min(240, Math.ceil(gutter), Math.floor(width * 0.35));
    this.v.width = width;
    const height = want > 0 ? Math.max(120, want) : this.v.autoHeight();
    const dpr = window.devicePixelRatio || 1;
    if (!force && width === this.cssW && height === this.cssH && dpr === this.dpr) return;
    const wasFit = this.v.k && Math.abs(this.v.k - this.v.fitK()) / this.v.fitK() < 0.02;
    this.v.height = height;
    this.cssW = width;
    this.cssH = height;
    this.dpr = dpr;
    this.canvas.width = Math.round(width * dpr);
    this.canvas.height = Math.round(height * dpr);
    this.canvas.style.height = `${height}px`;
    if (wasFit) this.v.fit();
    this.v.clamp();
    this.requestDraw();
  }

  requestDraw() {
    if (this.frameReq) return;
    this.frameReq = requestAnimationFrame(() => {
      this.frameReq = 0;
      this.draw();
    });
  }

  draw() {
    if (!this.v) return;
    const t = performance.now();
    const ctx = this.ctx;
    ctx.setTransform(this.dpr, 0, 0, this.dpr, 0, 0);
    const frame = drawFrame(ctx, this.s);
    const now = performance.now();
    const root = this.root;
    root.dataset.lastRedrawMs = (now - t).toFixed(2);
    root.dataset.lanes = String(frame.lanes);
    if (!this.firstFrame) {
      this.firstFrame = true;
      this.toolbar.recolour();
      root.dataset.firstFrameMs = (now - this.t0).toFixed(1);
    }
    this.frame = frame;
    if (frame.missing.length && frame.missing.length <= DESCRIBE_BATCH) this.describe(frame.missing);
  }

  // ---- model sync -------------------------------------------------------------

  clampCursor(c) {
    c = Number.isFinite(c) ? Math.trunc(c) : -1;
    return c < 0 || !this.p ? -1 : Math.min(c, this.p.n - 1);
  }

  setCursor(i, opts = {}) {
    const c = this.clampCursor(i);
    const changed = c !== this.s.cursor;
    this.s.cursor = c;
    if (c >= 0) this.revealEvent(c);
    this.playback.update(c);
    this.root.dataset.cursor = String(c);
    this.requestDraw();
    const sync = opts.sync !== false;
    const now = performance.now();
    // while playing, tell the kernel at most ~8 times a second
    if (changed && (sync || now - (this.lastSync || 0) > 120)) {
      this.lastSync = now;
      this.model.set("cursor", c);
      this.model.save_changes();
    } else if (sync && this.model.get("cursor") !== c) {
      this.model.set("cursor", c);
      this.model.save_changes();
    }
  }

  revealEvent(i) {
    const v = this.v;
    v.reveal(v.pos(i));
    const r = this.p.rowOfObj[this.p.obj[i]];
    if (r >= 0) {
      const y = v.rowTop(r);
      if (y < RULER_H || y + ROW_H > v.height) {
        v.scrollY += y - (RULER_H + v.plotH / 3);
        v.clamp();
      }
    }
  }

  select(o) {
    const sel = Number.isInteger(o) && o >= 0 && o < this.p.objects.length ? o : -1;
    this.s.selection = sel;
    this.updateSelection();
    this.model.set("selection", sel);
    this.model.save_changes();
    this.requestDraw();
  }

  deselect() { this.select(-1); }

  updateSelection() {
    const { p, s } = this;
    const sel = s.selection;
    s.selSet = new Set();
    s.selLanes = new Set();
    if (sel >= 0 && sel < p.objects.length) {
      s.selSet.add(sel);
      if (p.coroOfTask[sel] >= 0) s.selSet.add(p.coroOfTask[sel]);
      if (p.taskOfCoro[sel] >= 0) s.selSet.add(p.taskOfCoro[sel]);
      for (const o of s.selSet) {
        const l = p.objects[o].lane;
        if (l !== null && l !== undefined) s.selLanes.add(l);
      }
      s.relations = p.relations(s.selSet, SELECTED_RELATIONS);
      s.relationsFaint = false;
    } else if (p.relationCount < FAINT_RELATIONS) {
      s.relations = p.relations(null, FAINT_RELATIONS);
      s.relationsFaint = true;
    } else {
      s.relations = [];
    }
    this.root.dataset.selection = String(sel);
    if (this.playback) this.playback.update(s.cursor);
  }

  updateClockButton() {
    const b = this.toolbar.buttons.clock;
    const step = this.v.clock === "step";
    b.querySelector(".avz-btn-text").textContent = step ? "step time" : "wall clock";
    b.setAttribute("aria-pressed", step ? "true" : "false");
    this.root.dataset.clock = this.v.clock;
  }

  onModelChange(name) {
    if (!this.p && name !== "header" && name !== "buffers") return;
    switch (name) {
      case "header":
      case "buffers":
        this.build();
        break;
      case "selection":
        if (this.model.get("selection") !== this.s.selection) {
          this.s.selection = this.model.get("selection") ?? -1;
          this.updateSelection();
          this.requestDraw();
        }
        break;
      case "cursor": {
        const c = this.clampCursor(this.model.get("cursor"));
        if (c !== this.s.cursor) {
          this.s.cursor = c;
          if (c >= 0) this.revealEvent(c);
          this.playback.update(c);
          this.root.dataset.cursor = String(c);
          this.requestDraw();
        }
        break;
      }
      case "clock":
        this.v.setClock(this.model.get("clock") === "step" ? "step" : "wall");
        this.updateClockButton();
        this.requestDraw();
        break;
      case "height":
        this.resize(true);
        break;
      default:
    }
  }

  onMessage(msg) {
    if (!msg || !this.s) return;
    const put = (d) => {
      if (d && Number.isInteger(d.index)) {
        this.s.details.put(d);
        this.pending.delete(d.index);
      }
    };
    if (msg.type === "event") put(msg);
    else if (msg.type === "events" && Array.isArray(msg.events)) msg.events.forEach(put);
    else return;
    this.refreshTooltip();
    this.playback.update(this.s.cursor);
    this.requestDraw();
  }

  /** Ask the kernel for values and source lines of these events (cached). */
  describe(indices) {
    const want = [];
    for (const i of indices) {
      if (!this.s.details.has(i) && !this.pending.has(i)) {
        this.pending.add(i);
        want.push(i);
      }
    }
    if (!want.length) return;
    if (want.length === 1) this.model.send({ type: "describe", index: want[0] });
    else this.model.send({ type: "describe", indices: want.slice(0, DESCRIBE_BATCH) });
    // forget requests that got no answer (no kernel), so they can be retried later
    setTimeout(() => want.forEach((i) => this.pending.delete(i)), 5000);
  }

  // ---- interaction (called by interaction.js) ----------------------------------

  hover(px, py, clientX, clientY) {
    if (!this.s) return;
    const hit = hitTest(this.s, px, py);
    const prev = this.s.hover;
    this.s.hover = hit && (hit.type === "event" || hit.type === "slice" || hit.type === "susp") ? hit : null;
    this.s.hoverLane = hit && hit.type === "gutter" ? hit.lane : -1;
    const key = hit ? JSON.stringify(hit) : "";
    this.hoverPos = [px, py];
    this.hoverHit = hit;
    if (key !== this.tooltipKey) {
      this.tooltipKey = key;
      this.refreshTooltip();
    }
    const clickable = hit && hit.type !== "ruler" && hit.type !== "lane" && hit.type !== "idle"
      && !(hit.type === "gutter" && this.p.lanes[hit.lane].object == null);
    this.canvas.classList.toggle("avz-pointer", !!clickable);
    if (JSON.stringify(prev) !== JSON.stringify(this.s.hover) || hit?.type === "gutter") this.requestDraw();
  }

  refreshTooltip() {
    const hit = this.hoverHit;
    if (!hit) {
      this.tooltip.hide();
      return;
    }
    const content = contentFor(this.s, hit);
    if (!content) {
      this.tooltip.hide();
      return;
    }
    if (content.describe !== undefined) this.describe([content.describe]);
    const [x, y] = this.hoverPos;
    this.tooltip.show(x, y, content, this.cssW, this.cssH);
  }

  leave() {
    this.hoverHit = null;
    this.tooltipKey = "";
    this.tooltip.hide();
    if (this.s && (this.s.hover || this.s.hoverLane >= 0)) {
      this.s.hover = null;
      this.s.hoverLane = -1;
      this.requestDraw();
    }
  }

  click(px, py) {
    const hit = hitTest(this.s, px, py);
    if (!hit) return this.select(-1);
    switch (hit.type) {
      case "event":
        return this.select(this.p.obj[hit.i]);
      case "slice":
      case "susp":
        return this.select(hit.o);
      case "gutter": {
        const o = this.p.lanes[hit.lane].object;
        return this.select(o === null || o === undefined ? -1 : o);
      }
      case "ruler": {
        // clicking the ruler puts the cursor on the nearest event
        const v = this.v;
        const x = v.invX(px);
        const i = v.clock === "step" ? Math.floor(x) : this.p.eventAtTime(x);
        return this.setCursor(Math.max(0, Math.min(this.p.n - 1, i)));
      }
      default:
        return this.select(-1);
    }
  }

  dragging(on) {
    this.canvas.classList.toggle("avz-grab", on);
    if (on) this.leave();
  }

  zoomAt(px, factor) {
    this.v.zoomAt(px, factor);
    this.requestDraw();
  }

  zoomBy(factor) {
    const v = this.v;
    const c = this.s.cursor;
    const cx = c >= 0 ? v.X(v.pos(c)) : NaN;
    const px = cx >= v.plotLeft && cx <= v.width ? cx : v.plotLeft + v.plotW / 2;
    this.zoomAt(px, factor);
  }

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

  exportPng() {
    this.draw();
    this.canvas.toBlob((blob) => {
      if (!blob) return;
      const url = URL.createObjectURL(blob);
      const a = document.createElement("a");
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
    if (!this.p) return;
    const theme = readTheme(this.root);
    if (JSON.stringify(theme) === JSON.stringify(this.theme)) return;
    this.theme = theme;
    this.s.theme = theme;
    this.s.hatch = makeHatch(this.ctx, theme);
    const legend = makeLegend(theme, this.p);
    this.legend.replaceWith(legend);
    this.toolbar.recolour();
    this.legend = legend;
    this.playback.update(this.s.cursor);
    this.requestDraw();
  }

  // ---- test hooks -------------------------------------------------------------

  exposeHooks() {
    const self = this;
    const client = (x, y) => {
      const b = self.canvas.getBoundingClientRect();
      return { x: b.left + x, y: b.top + y };
    };
    this.root.__asyncviz = {
      /** Client coordinates of event i's marker in the current view (null: no row). */
      eventPosition(i) {
        const { p, v } = self;
        if (!(i >= 0 && i < p.n)) return null;
        const r = p.rowOfObj[p.obj[i]];
        if (r < 0) return null;
        const x = v.X(v.pos(i));
        const y = v.markY(r);
        const visible = x >= v.plotLeft && x <= v.width && y >= RULER_H && y <= v.height;
        return { ...client(x, y), visible };
      },
      /** Client coordinates of a lane's label (clicking there selects its object). */
      lanePosition(lane) {
        const { p, v } = self;
        if (!(lane >= 0 && lane < p.lanes.length)) return null;
        const y = v.rowMid(p.laneRow0[lane]);
        return { ...client(Math.min(40, v.gutter / 2), y), visible: y >= RULER_H && y <= v.height };
      },
      /** Pan and zoom so that event i is on screen with room for its marker. */
      showEvent(i) {
        const { p, v } = self;
        if (!(i >= 0 && i < p.n)) return;
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
        self.revealEvent(i);
        self.draw();
      },
      /** What is under client point (x, y): {type: "event", i, row} | {type: "slice", …} | … */
      hitAt(x, y) {
        const b = self.canvas.getBoundingClientRect();
        return hitTest(self.s, x - b.left, y - b.top);
      },
      redraw() { self.draw(); return Number(self.root.dataset.lastRedrawMs); },
      state() {
        const v = self.v;
        return {
          clock: v.clock, x0: v.x0, k: v.k, scrollY: v.scrollY, width: v.width, height: v.height,
          cursor: self.s.cursor, selection: self.s.selection, events: self.p.n, lanes: self.p.lanes.length,
        };
      },
      /** Pan by dx, dy px and draw synchronously; returns the redraw time in ms. */
      pan(dx, dy = 0) { self.v.panBy(dx, dy); self.draw(); return Number(self.root.dataset.lastRedrawMs); },
      /** Zoom by factor around the plot's centre and draw; returns the redraw time in ms. */
      zoom(factor) {
        self.v.zoomAt(self.v.plotLeft + self.v.plotW / 2, factor);
        self.draw();
        return Number(self.root.dataset.lastRedrawMs);
      },
    };
  }

  destroy() {
    this.destroyParts();
    if (this.frameReq) cancelAnimationFrame(this.frameReq);
    for (const c of this.cleanups) c();
    this.root.remove();
  }
}

function render({ model, el: host }) {
  const tl = new Timeline(model, host);
  const names = ["header", "buffers", "selection", "cursor", "clock", "height"];
  const handlers = names.map((name) => {
    const h = () => tl.onModelChange(name);
    model.on(`change:${name}`, h);
    return [name, h];
  });
  const onMsg = (msg) => tl.onMessage(msg);
  model.on("msg:custom", onMsg);
  const leaveLink = joinLink(model);

  // size: follow the element's width; draw the first frame as soon as there is one
  const ro = new ResizeObserver(() => tl.resize());
  ro.observe(tl.root);
  // theme: JupyterLab swaps themes by changing attributes on <body>
  const mo = new MutationObserver(() => tl.onThemeChange());
  mo.observe(document.body, { attributes: true, attributeFilter: ["data-jp-theme-light", "data-jp-theme-name", "class", "style"] });
  mo.observe(document.documentElement, { attributes: true, attributeFilter: ["class", "style", "data-theme"] });
  const mq = typeof matchMedia === "function" ? matchMedia("(prefers-color-scheme: dark)") : null;
  const onMq = () => tl.onThemeChange();
  if (mq && mq.addEventListener) mq.addEventListener("change", onMq);
  if (tl.root.isConnected && tl.root.clientWidth > 0) {
    tl.resize(true);
    tl.draw();
  }
  return () => {
    for (const [name, h] of handlers) model.off(`change:${name}`, h);
    model.off("msg:custom", onMsg);
    leaveLink();
    ro.disconnect();
    mo.disconnect();
    if (mq && mq.removeEventListener) mq.removeEventListener("change", onMq);
    tl.destroy();
  };
}

export default { render };
