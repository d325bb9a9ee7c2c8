// Around the plot: the lane labels on the left (the gutter), the ruler on top, the
// scrollbar on the right.

import { fitText, formatCount, formatTick, niceStep } from "../shared/format.js";
import { LANE_PAD, RULER_H } from "./view.js";

/**
 * @typedef {import("./frame.js").FrameState} FrameState
 * @typedef {import("./payload.js").Payload} Payload
 * @typedef {import("./view.js").View} View
 */

const KIND_TAG = { task: "task", generator: "gen", coroutine: "coro", async_generator: "agen", future: "fut" };

/**
 * Lane labels (the first row's object, a kind tag) and what deeper rows hold.
 * @param {CanvasRenderingContext2D} ctx
 * @param {FrameState} s
 * @param {number} l0  first lane drawn
 * @param {number} l1  last lane drawn
 */
export function drawGutter(ctx, s, l0, l1) {
  const { p, v, theme } = s;
  ctx.fillStyle = theme.bg;
  ctx.fillRect(0, RULER_H, v.gutter, v.height - RULER_H);
  ctx.textAlign = "left";
  for (let l = l0; l <= l1; l++) {
    laneLabel(ctx, s, l);
    rowLabels(ctx, s, l);
  }
  // separators
  ctx.strokeStyle = theme.grid;
  ctx.lineWidth = 1;
  ctx.beginPath();
  for (let l = l0; l <= l1 + 1 && l <= p.lanes.length; l++) {
    const y = Math.round(v.laneTop(l)) + 0.5;
    if (y < RULER_H) continue;
    ctx.moveTo(0, y);
    ctx.lineTo(v.width, y);
  }
  ctx.moveTo(v.gutter + 0.5, RULER_H);
  ctx.lineTo(v.gutter + 0.5, v.height);
  ctx.stroke();
}

/**
 * Is lane l selected (its object or a linked one)?
 * @param {FrameState} s
 * @param {number} l
 */
export function laneSelected(s, l) {
  return s.selection >= 0 && (s.p.lanes[l].object === s.selection || s.selLanes.has(l));
}

/**
 * @param {CanvasRenderingContext2D} ctx
 * @param {FrameState} s
 * @param {number} l
 */
function laneLabel(ctx, s, l) {
  const { p, v, theme } = s;
  const g = v.gutter;
  const lane = p.lanes[l];
  const y = v.laneTop(l);
  const h = v.laneY[l + 1] - v.laneY[l];
  ctx.fillStyle = l % 2 ? theme.bandB : theme.bandA;
  ctx.fillRect(0, y, g, h);
  const selected = laneSelected(s, l);
  if (selected) {
    ctx.fillStyle = theme.select;
    ctx.fillRect(0, y, g, h);
    ctx.fillStyle = theme.marker.await;
    ctx.fillRect(0, y, 3, h);
  }
  const ym = v.rowMid(p.laneRow0[l]);
  const obj = lane.object !== null && lane.object !== undefined ? p.objects[lane.object] : null;
  const tag = lane.kind === "idle" ? "loop" : obj ? KIND_TAG[/** @type {keyof KIND_TAG} */ (obj.kind)] || obj.kind : "";
  ctx.font = `10px ${theme.font}`;
  const tagW = tag ? ctx.measureText(tag).width + 8 : 0;
  ctx.font = `${selected || s.hoverLane === l ? "600 " : ""}12px ${theme.font}`;
  ctx.fillStyle = lane.kind === "idle" ? theme.muted : theme.fg;
  ctx.fillText(fitText(ctx, lane.label, g - 16 - tagW), 8, ym);
  if (tag) {
    ctx.font = `10px ${theme.font}`;
    ctx.fillStyle = theme.muted;
    ctx.fillText(tag, g - 6 - tagW + 4, ym);
  }
}

/**
 * Deeper rows of lane l: what runs there.
 * @param {CanvasRenderingContext2D} ctx
 * @param {FrameState} s
 * @param {number} l
 */
function rowLabels(ctx, s, l) {
  const { p, v, theme } = s;
  ctx.font = `11px ${theme.font}`;
  ctx.fillStyle = theme.muted;
  for (let r = p.laneRow0[l] + 1; r < p.laneRow0[l + 1]; r++) {
    const indent = 8 + Math.min(p.rowDepth[r], 6) * 8;
    ctx.fillText(fitText(ctx, `↳ ${rowLabel(p, p.rowObjects[r])}`, v.gutter - indent - 6), indent, v.rowMid(r));
  }
}

/**
 * What a deeper row holds: "fetch#1", "fetch#1, fetch#4", "fetch ×12", "3 objects".
 * @param {Payload} p
 * @param {number[]} objs
 */
export function rowLabel(p, objs) {
  if (objs.length === 1) return p.objects[objs[0]].label;
  /** @param {number} o */
  const base = (o) => p.objects[o].label.replace(/#\d+$/, "");
  const first = base(objs[0]);
  if (objs.every((o) => base(o) === first)) return `${first} ×${formatCount(objs.length)}`;
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
  if (v.clock === "step") {
    const step = niceStep(1 / v.k, 80, 1);
    const first = Math.max(0, Math.ceil((a - 0.5) / step) * step);
    const last = p.n ? Math.min(b - 0.5, p.n - 1) : b - 0.5;
    for (let e = first; e <= last && out.length < 200; e += step) out.push([e + 0.5, `#${formatCount(e)}`]);
  } else {
    const stepNs = niceStep(p.tickNs / v.k, 90);
    const stepT = stepNs / p.tickNs;
    const first = Math.max(0, Math.ceil(a / stepT) * stepT);
    for (let x = first; x <= b && out.length < 200; x += stepT) out.push([x, formatTick(x * p.tickNs, stepNs)]);
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
  ctx.fillStyle = theme.bg;
  ctx.fillRect(0, 0, v.width, RULER_H);
  ctx.strokeStyle = theme.grid;
  ctx.lineWidth = 1;
  ctx.beginPath();
  ctx.moveTo(0, RULER_H - 0.5);
  ctx.lineTo(v.width, RULER_H - 0.5);
  ctx.stroke();
  ctx.font = `11px ${theme.font}`;
  ctx.fillStyle = theme.muted;
  ctx.textAlign = "left";
  ctx.fillText(v.clock === "step" ? "step (event #)" : "wall time", 8, RULER_H / 2);
  ctx.save();
  ctx.beginPath();
  ctx.rect(v.plotLeft, 0, v.width - v.plotLeft, RULER_H);
  ctx.clip();
  ctx.strokeStyle = theme.muted;
  ctx.beginPath();
  for (const [x, label] of ticks) {
    const px = Math.round(v.X(x)) + 0.5;
    ctx.moveTo(px, RULER_H - 6);
    ctx.lineTo(px, RULER_H);
    ctx.fillText(label, px + 3, RULER_H / 2 - 2);
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
  ctx.font = `600 11px ${theme.font}`;
  const w = ctx.measureText(text).width + 8;
  ctx.fillStyle = theme.accent;
  ctx.fillRect(px - w / 2, 2, w, RULER_H - 8);
  ctx.fillStyle = "#ffffff";
  ctx.textAlign = "center";
  ctx.fillText(text, px, RULER_H / 2 - 2);
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
  const y = RULER_H + (v.scrollY / (v.contentH - view + LANE_PAD)) * (view - h);
  ctx.fillStyle = theme.muted;
  ctx.globalAlpha = 0.45;
  ctx.fillRect(v.width - 5, y, 4, h);
  ctx.globalAlpha = 1;
}
