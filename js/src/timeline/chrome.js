// Around the plot: the labels on the left (the gutter: each lane's rows, each fold
// group's row with its ▸/▾), the ruler on top (time since the trace started, in ms or µs
// — s for long traces — with round tick values), the scrollbar on the right.

import { axisUnit, fitText, formatCount, formatTick, niceStep } from "../shared/format.js";

/**
 * @typedef {import("./frame.js").FrameState} FrameState
 * @typedef {import("./payload.js").Payload} Payload
 * @typedef {import("./view.js").View} View
 * @typedef {import("./display.js").Entry} Entry
 */

const KIND_TAG = { task: "task", generator: "gen", coroutine: "coro", async_generator: "agen", future: "fut" };

/**
 * Entry labels and the separators between entries; returns how many labels had to be
 * cut to fit.
 * @param {CanvasRenderingContext2D} ctx
 * @param {FrameState} s
 * @param {number} e0  first entry drawn
 * @param {number} e1  last entry drawn
 */
export function drawGutter(ctx, s, e0, e1) {
  const { v, theme } = s;
  const d = v.display;
  ctx.fillStyle = theme.bg;
  ctx.fillRect(0, v.rulerH, v.gutter, v.height - v.rulerH);
  ctx.textAlign = "left";
  let cut = 0;
  for (let e = e0; e <= e1; e++) {
    entryBackground(ctx, s, e);
    const entry = d.entries[e];
    cut += entry.kind === "group" ? groupLabel(ctx, s, entry) : laneLabels(ctx, s, e, entry);
  }
  ctx.strokeStyle = theme.grid;
  ctx.lineWidth = 1;
  ctx.beginPath();
  for (let e = e0; e <= e1 + 1 && e <= d.entries.length; e++) {
    const y = Math.round(v.entryTop(e)) + 0.5;
    if (y < v.rulerH) continue;
    ctx.moveTo(0, y);
    ctx.lineTo(v.width, y);
  }
  ctx.moveTo(v.gutter + 0.5, v.rulerH);
  ctx.lineTo(v.gutter + 0.5, v.height);
  ctx.stroke();
  return cut;
}

/**
 * Write `text` at (x, y) cut to `room` px; 1 when it had to be cut, else 0.
 * @param {CanvasRenderingContext2D} ctx
 * @param {string} text
 * @param {number} x
 * @param {number} y
 * @param {number} room
 */
function fitted(ctx, text, x, y, room) {
  const fit = fitText(ctx, text, room);
  ctx.fillText(fit, x, y);
  return fit === text ? 0 : 1;
}

/**
 * Is display entry e selected (a selected object, or one linked to it, is drawn in it)?
 * @param {FrameState} s
 * @param {number} e
 */
export function entrySelected(s, e) {
  if (s.selection < 0) return false;
  const entry = s.v.display.entries[e];
  for (let r = entry.row0; r < entry.row0 + entry.rows; r++) if (s.selRows.has(r)) return true;
  return false;
}

/**
 * @param {CanvasRenderingContext2D} ctx
 * @param {FrameState} s
 * @param {number} e
 */
function entryBackground(ctx, s, e) {
  const { v, theme } = s;
  const y = v.entryTop(e);
  const h = v.display.entryY[e + 1] - v.display.entryY[e];
  ctx.fillStyle = e % 2 ? theme.bandB : theme.bandA;
  ctx.fillRect(0, y, v.gutter, h);
  if (entrySelected(s, e)) {
    ctx.fillStyle = theme.select;
    ctx.fillRect(0, y, v.gutter, h);
    ctx.fillStyle = theme.marker.await;
    ctx.fillRect(0, y, 3, h);
  }
}

/**
 * A fold group's row: "▸ work ×2000" (click to unfold), "▾ …" when unfolded.
 * @param {CanvasRenderingContext2D} ctx
 * @param {FrameState} s
 * @param {Entry} entry
 */
function groupLabel(ctx, s, entry) {
  const { v, theme } = s;
  ctx.font = `600 ${v.px(12)}px ${theme.font}`;
  ctx.fillStyle = theme.fg;
  return fitted(ctx, groupText(s, entry.id), 8, v.rowMid(entry.row0), v.gutter - 14);
}

/**
 * What a group's row says: its sign, its label, and how many lanes the search found.
 * @param {FrameState} s
 * @param {number} g
 */
export function groupText(s, g) {
  const d = s.v.display;
  const group = s.p.groups[g];
  let found = 0;
  if (d.query) for (let l = group.first; l < group.first + group.count; l++) if (d.found(l)) found++;
  const sign = d.folded(g) ? "▸" : "▾";
  return `${sign} ${group.label}${d.query ? ` (${formatCount(found)} found)` : ""}`;
}

/**
 * A lane's rows: its name on the first (with a kind tag), what runs on the others —
 * "↳ name" for what runs inside the lane's object, the bare name for its siblings.
 * @param {CanvasRenderingContext2D} ctx
 * @param {FrameState} s
 * @param {number} e
 * @param {Entry} entry
 */
function laneLabels(ctx, s, e, entry) {
  const { p, v, theme } = s;
  const lane = p.lanes[entry.id];
  const hot = entrySelected(s, e) || s.hoverEntry === e;
  let cut = 0;
  for (let k = 0; k < entry.rows; k++) {
    const r = entry.row0 + k;
    const y = v.rowMid(r);
    if (y < v.rulerH - v.rowH || y > v.height + v.rowH) continue;
    if (k === 0) {
      cut += firstRowLabel(ctx, s, lane, y, hot);
      continue;
    }
    ctx.font = `${v.px(11)}px ${theme.font}`;
    ctx.fillStyle = theme.muted;
    const nested = !siblings(p, lane, r);
    const text = rowLabel(p, p.rowObjects[r]);
    cut += fitted(ctx, nested ? `↳ ${text}` : text, nested ? 16 : 8, y, v.gutter - (nested ? 24 : 16));
  }
  return cut;
}

/**
 * A lane's first label: "task · what it runs" when that fits, else the lane's own name,
 * and its kind tag where the name leaves room; 1 when the name had to be cut.
 * @param {CanvasRenderingContext2D} ctx
 * @param {FrameState} s
 * @param {import("./payload.js").LaneInfo} lane
 * @param {number} y
 * @param {boolean} hot  selected or pointed at: bold
 */
function firstRowLabel(ctx, s, lane, y, hot) {
  const { p, v, theme } = s;
  const font = `${hot ? "600 " : ""}${v.px(12)}px ${theme.font}`;
  ctx.font = font;
  const full = firstRowText(p, lane, p.laneRow0[lane.id]);
  const text = ctx.measureText(full).width <= v.gutter - 16 ? full : full.split(" · ")[0];
  const textW = ctx.measureText(text).width;
  const tag = kindTag(p, lane);
  ctx.font = `${v.px(10)}px ${theme.font}`;
  const tagW = tag && textW + 16 + ctx.measureText(tag).width + 8 <= v.gutter ? ctx.measureText(tag).width + 8 : 0;
  ctx.fillStyle = theme.muted;
  if (tagW) ctx.fillText(tag, v.gutter - 6 - tagW + 4, y);
  ctx.font = font;
  ctx.fillStyle = lane.kind !== "idle" ? theme.fg : theme.muted;
  return fitted(ctx, text, 8, y, v.gutter - 16 - tagW);
}

/**
 * What a lane's first row is called: the lane's name — a task and the coroutine it
 * drives read as one, so the coroutine's name is added only when it differs — or, in a
 * lane of several free objects, the first row's own.
 * @param {Payload} p
 * @param {import("./payload.js").LaneInfo} lane
 * @param {number} r
 */
export function firstRowText(p, lane, r) {
  if (lane.kind === "free" && lane.rows > 1) return rowLabel(p, p.rowObjects[r]);
  if (lane.kind !== "task" || lane.object === null) return lane.label;
  // what runs on the task's row: its coroutine, or (when that is not recorded) what
  // the task ran first
  const coro = p.coroOfTask[lane.object];
  const others = coro >= 0 ? [coro] : p.rowObjects[r].filter((o) => o !== lane.object);
  const text = others.length ? rowLabel(p, others) : "";
  return text && text !== lane.label ? `${lane.label} · ${text}` : lane.label;
}

/**
 * @param {Payload} p
 * @param {import("./payload.js").LaneInfo} lane
 */
function kindTag(p, lane) {
  if (lane.kind === "idle") return "loop";
  const obj = lane.object !== null && lane.object !== undefined ? p.objects[lane.object] : null;
  return obj ? KIND_TAG[/** @type {keyof KIND_TAG} */ (obj.kind)] || obj.kind : "";
}

/**
 * Does row r hold siblings of what runs on the lane's first row (three round-robin
 * workers), not something running inside it (what it delegates to)?  A task whose
 * coroutine is recorded has none: everything else in its lane runs inside it.
 * @param {Payload} p
 * @param {import("./payload.js").LaneInfo} lane
 * @param {number} r
 */
function siblings(p, lane, r) {
  if (lane.object === null) return false;
  const first = p.rowObjects[p.laneRow0[lane.id]].filter((o) => o !== lane.object || lane.kind === "free");
  if (!first.length || (lane.kind === "task" && p.coroOfTask[lane.object] >= 0)) return false;
  const name = baseName(p, first[0]);
  return p.rowObjects[r].every((o) => baseName(p, o) === name);
}

/** @param {Payload} p @param {number} o */
function baseName(p, o) {
  return p.label(o).replace(/#\d+$/, "");
}

/**
 * What a row holds: "fetch#1", "fetch#1, fetch#4", "fetch ×12", "3 objects".
 * @param {Payload} p
 * @param {number[]} objs
 */
export function rowLabel(p, objs) {
  if (!objs.length) return "";
  if (objs.length === 1) return p.objects[objs[0]].label;
  const first = baseName(p, objs[0]);
  if (objs.every((o) => baseName(p, o) === first)) return `${first} ×${formatCount(objs.length)}`;
  if (objs.length <= 3) return objs.map((o) => p.objects[o].label).join(", ");
  return `${formatCount(objs.length)} objects`;
}

/**
 * Ruler ticks: [data x, label] pairs for the visible range.
 * @param {Payload} p
 * @param {View} v
 * @returns {[number, string][]}
 */
export function rulerTicks(p, v) {
  const [a, b] = v.range();
  /** @type {[number, string][]} */
  const out = [];
  const gap = 90 * v.scale;
  if (v.clock === "step") {
    const step = niceStep(1 / v.k, gap, 1);
    const first = Math.max(0, Math.ceil((a - 0.5) / step));
    const last = p.n ? Math.min(b - 0.5, p.n - 1) : b - 0.5;
    for (let k = first; k * step <= last && out.length < 200; k++) out.push([k * step + 0.5, `#${formatCount(k * step)}`]);
  } else {
    const unit = axisUnit((p.header.end_ns || 0));
    const stepNs = niceStep(p.tickNs / v.k, gap);
    const stepT = stepNs / p.tickNs;
    const first = Math.max(0, Math.ceil(a / stepT));
    for (let k = first; k * stepT <= b && out.length < 200; k++) {
      out.push([k * stepT, formatTick(k * stepNs, stepNs, unit)]);
    }
  }
  return out;
}

/**
 * @param {CanvasRenderingContext2D} ctx
 * @param {FrameState} s
 * @param {[number, string][]} ticks
 */
export function drawRuler(ctx, s, ticks) {
  const { v, theme } = s;
  const H = v.rulerH;
  ctx.fillStyle = theme.bg;
  ctx.fillRect(0, 0, v.width, H);
  ctx.strokeStyle = theme.grid;
  ctx.lineWidth = 1;
  ctx.beginPath();
  ctx.moveTo(0, H - 0.5);
  ctx.lineTo(v.width, H - 0.5);
  ctx.stroke();
  ctx.font = `${v.px(11)}px ${theme.font}`;
  ctx.fillStyle = theme.muted;
  ctx.textAlign = "left";
  // the axis's name, in as many words as fit (never cut)
  const names = v.clock === "step" ? ["step (event #)", "step"] : ["time since start", "time"];
  const name = names.find((n) => ctx.measureText(n).width <= v.gutter - 12);
  if (name) ctx.fillText(name, 8, H / 2);
  ctx.save();
  ctx.beginPath();
  ctx.rect(v.plotLeft, 0, v.width - v.plotLeft, H);
  ctx.clip();
  ctx.strokeStyle = theme.muted;
  ctx.beginPath();
  for (const [x, label] of ticks) {
    const px = Math.round(v.X(x)) + 0.5;
    ctx.moveTo(px, H - 6 * v.scale);
    ctx.lineTo(px, H);
    ctx.fillText(label, px + 3, H / 2 - 2);
  }
  ctx.stroke();
  cursorTag(ctx, s);
  ctx.restore();
}

/**
 * The cursor's event number on the ruler.
 * @param {CanvasRenderingContext2D} ctx
 * @param {FrameState} s
 */
function cursorTag(ctx, s) {
  const { p, v, theme } = s;
  if (!(s.cursor >= 0 && s.cursor < p.n)) return;
  const px = v.X(v.pos(s.cursor));
  const text = `#${formatCount(s.cursor)}`;
  ctx.font = `600 ${v.px(11)}px ${theme.font}`;
  const w = ctx.measureText(text).width + 8;
  ctx.fillStyle = theme.accent;
  ctx.fillRect(px - w / 2, 2, w, v.rulerH - 8);
  ctx.fillStyle = "#ffffff";
  ctx.textAlign = "center";
  ctx.fillText(text, px, v.rulerH / 2 - 2);
  ctx.textAlign = "left";
}

/**
 * @param {CanvasRenderingContext2D} ctx
 * @param {FrameState} s
 */
export function drawScrollbar(ctx, s) {
  const { v, theme } = s;
  const view = v.plotH;
  if (v.contentH <= view) return;
  const h = Math.max(16, (view * view) / v.contentH);
  const y = v.rulerH + (v.scrollY / (v.contentH - view + v.lanePad)) * (view - h);
  ctx.fillStyle = theme.muted;
  ctx.globalAlpha = 0.45;
  ctx.fillRect(v.width - 5, y, 4, h);
  ctx.globalAlpha = 1;
}

/**
 * Room the labels in the gutter want, px, up to `cap` (at most `measured` lanes and
 * rows measured): a first row's "task · what it runs" only when it fits in the cap.
 * @param {CanvasRenderingContext2D} ctx
 * @param {FrameState} s
 * @param {number} measured
 * @param {number} cap
 */
export function gutterWidth(ctx, s, measured, cap) {
  const { p, v, theme } = s;
  let gutter = 90 * v.scale;
  ctx.font = `600 ${v.px(12)}px ${theme.font}`;
  for (const g of p.groups.slice(0, measured)) {
    gutter = Math.max(gutter, ctx.measureText(`▾ ${g.label} (0,000 found)`).width + 20);
  }
  ctx.font = `${v.px(10)}px ${theme.font}`;
  const tagW = ctx.measureText("coro").width + 8;
  for (const lane of p.lanes.slice(0, measured)) {
    ctx.font = `600 ${v.px(12)}px ${theme.font}`;
    const first = firstRowText(p, lane, p.laneRow0[lane.id]);
    const full = ctx.measureText(first).width + 24;
    const own = full <= cap ? full : ctx.measureText(first.split(" · ")[0]).width + 24;
    gutter = Math.max(gutter, own + tagW <= cap ? own + tagW : own); // the tag where it fits
    ctx.font = `${v.px(11)}px ${theme.font}`;
    for (let r = p.laneRow0[lane.id] + 1; r < Math.min(p.laneRow0[lane.id + 1], p.laneRow0[lane.id] + 50); r++) {
      gutter = Math.max(gutter, ctx.measureText(`↳ ${rowLabel(p, p.rowObjects[r])}`).width + 30);
    }
  }
  return Math.min(cap, gutter);
}
