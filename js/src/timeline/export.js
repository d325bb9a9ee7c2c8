// The exported image: the view as it is — same time range, same lanes, folds, search,
// clock and size — drawn again at least EXPORT_MIN_W CSS px wide at twice the pixel
// density (1,920 px or more: a slide), under a title (the trace's name and what it
// holds) and the visible time range, over the legend.

import { axisUnit, formatCount, formatNs, formatTick } from "../shared/format.js";
import { drawFrame } from "./draw.js";
import { legendItems } from "./toolbar.js";
import { View } from "./view.js";

export const EXPORT_MIN_W = 960; // CSS px
export const EXPORT_DPR = 2;
const PAD = 16;

/**
 * @typedef {import("./frame.js").FrameState} FrameState
 * @typedef {{canvas: HTMLCanvasElement, title: string, range: string}} Exported
 */

/**
 * Draw the export of state `s` (its view as it is) on a new canvas.
 * @param {FrameState} s
 * @param {string} title
 * @returns {Exported}
 */
export function exportCanvas(s, title) {
  const { p, v, theme } = s;
  const W = Math.max(EXPORT_MIN_W, v.width);
  const view = new View(p, v.display);
  view.setScale(v.scale);
  view.clock = v.clock;
  view.gutter = v.gutter;
  view.width = W;
  view.height = v.height;
  view.k = v.k * (view.plotW / v.plotW); // the same time range, wider
  view.x0 = v.x0;
  view.scrollY = v.scrollY;
  const z = v.scale;
  const titleH = Math.round(56 * z);
  const probe = document.createElement("canvas").getContext("2d");
  const items = legendItems(theme, p);
  const legendH = legendHeight(/** @type {CanvasRenderingContext2D} */ (probe), s, items, W);
  const canvas = document.createElement("canvas");
  canvas.width = Math.round(W * EXPORT_DPR);
  canvas.height = Math.round((titleH + view.height + legendH) * EXPORT_DPR);
  const ctx = /** @type {CanvasRenderingContext2D} */ (canvas.getContext("2d", { alpha: false }));
  ctx.scale(EXPORT_DPR, EXPORT_DPR);
  ctx.fillStyle = theme.bg;
  ctx.fillRect(0, 0, W, titleH + view.height + legendH);
  const range = rangeText(s, view);
  drawTitle(ctx, s, title, range, W, titleH);
  ctx.save();
  ctx.translate(0, titleH);
  ctx.beginPath();
  ctx.rect(0, 0, W, view.height);
  ctx.clip();
  drawFrame(ctx, { ...s, v: view, hover: null });
  ctx.restore();
  drawLegend(ctx, s, items, titleH + view.height, W);
  return { canvas, title, range };
}

/**
 * "0 – 12.5 ms of 12.5 ms, wall clock" or "events #0 – #420 of 1,204, step time".
 * @param {FrameState} s
 * @param {View} view
 */
function rangeText(s, view) {
  const { p } = s;
  const [a, b] = view.range();
  if (view.clock === "step") {
    const lo = Math.max(0, Math.floor(a));
    const hi = Math.min(p.n, Math.ceil(b)) - 1;
    return `events #${formatCount(lo)} – #${formatCount(Math.max(lo, hi))} of ${formatCount(p.n)}, step time`;
  }
  const end = p.endTicks;
  const unit = axisUnit(end * p.tickNs);
  const step = Math.max(1, (Math.min(end, b) - Math.max(0, a)) * p.tickNs / 100);
  const at = (/** @type {number} */ x) => formatTick(Math.max(0, Math.min(end, x)) * p.tickNs, step, unit);
  return `${at(a)} – ${at(b)} of ${formatNs(end * p.tickNs)} since the start, wall clock`;
}

/**
 * @param {CanvasRenderingContext2D} ctx
 * @param {FrameState} s
 * @param {string} title
 * @param {string} range
 * @param {number} W
 * @param {number} H
 */
function drawTitle(ctx, s, title, range, W, H) {
  const { p, v, theme } = s;
  ctx.textBaseline = "alphabetic";
  ctx.textAlign = "left";
  ctx.fillStyle = theme.fg;
  ctx.font = `600 ${v.px(18)}px ${theme.font}`;
  ctx.fillText(title, PAD, H * 0.45);
  ctx.font = `${v.px(12)}px ${theme.font}`;
  ctx.fillStyle = theme.muted;
  const nObj = p.objects.filter((o) => o.kind !== "future").length;
  ctx.fillText(`${range}  ·  ${formatCount(p.n)} events, ${formatCount(nObj)} objects`, PAD, H * 0.82);
}

/**
 * Lay the legend items out in lines across `W`: [x, y, item] positions and the height.
 * @param {CanvasRenderingContext2D} ctx
 * @param {FrameState} s
 * @param {import("./toolbar.js").LegendItem[]} items
 * @param {number} W
 */
function legendLayout(ctx, s, items, W) {
  const { v, theme } = s;
  ctx.font = `${v.px(12)}px ${theme.font}`;
  const lineH = 20 * v.scale;
  /** @type {[number, number, import("./toolbar.js").LegendItem][]} */
  const at = [];
  let x = PAD;
  let y = 10 * v.scale;
  for (const it of items) {
    const w = 22 * v.scale + 4 + ctx.measureText(it.text).width + 16;
    if (x + w > W - PAD && x > PAD) {
      x = PAD;
      y += lineH;
    }
    at.push([x, y, it]);
    x += w;
  }
  return { at, height: y + lineH + 6 };
}

/**
 * @param {CanvasRenderingContext2D} ctx
 * @param {FrameState} s
 * @param {import("./toolbar.js").LegendItem[]} items
 * @param {number} W
 */
function legendHeight(ctx, s, items, W) {
  return legendLayout(ctx, s, items, W).height;
}

/**
 * @param {CanvasRenderingContext2D} ctx
 * @param {FrameState} s
 * @param {import("./toolbar.js").LegendItem[]} items
 * @param {number} top
 * @param {number} W
 */
function drawLegend(ctx, s, items, top, W) {
  const { v, theme } = s;
  const { at } = legendLayout(ctx, s, items, W);
  ctx.strokeStyle = theme.grid;
  ctx.beginPath();
  ctx.moveTo(0, top + 0.5);
  ctx.lineTo(W, top + 0.5);
  ctx.stroke();
  ctx.textBaseline = "middle";
  for (const [x, y, it] of at) {
    ctx.save();
    ctx.translate(x, top + y);
    ctx.scale(v.scale, v.scale);
    it.draw(ctx);
    ctx.restore();
    ctx.font = `${v.px(12)}px ${theme.font}`;
    ctx.fillStyle = theme.muted;
    ctx.fillText(it.text, x + 22 * v.scale + 4, top + y + 7 * v.scale);
  }
}
