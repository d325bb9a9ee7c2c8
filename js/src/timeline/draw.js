// One frame on the canvas.  Level of detail keeps a frame proportional to the pixels on
// screen, not to the events in the trace: bars.js merges what is narrower than a pixel,
// marks.js draws a marker only where it has room.  Layers, bottom up: lane bands, grid,
// bars, selection outline, markers, words, relations, cursor and hover, then the gutter,
// the ruler and the scrollbar over the edges.

import { paintGlyph } from "../shared/glyphs.js";
import { drawIdle, drawSelected, drawSlices, drawSuspensions } from "./bars.js";
import { drawGutter, drawRuler, drawScrollbar, laneSelected, rulerTicks } from "./chrome.js";
import { collectMarkers, drawTextLabels, drawValues } from "./marks.js";
import { drawCursorAndHover, drawRelations } from "./overlay.js";
import { ROW_H, RULER_H } from "./view.js";

/**
 * @typedef {import("./frame.js").FrameState} FrameState
 * @typedef {import("./frame.js").Frame} Frame
 * @typedef {import("./frame.js").Label} Label
 * @typedef {import("../shared/theme.js").Theme} Theme
 */

/**
 * A diagonal hatch for loop idle time.
 * @param {CanvasRenderingContext2D} ctx
 * @param {Theme} theme
 */
export function makeHatch(ctx, theme) {
  const c = document.createElement("canvas");
  c.width = 8;
  c.height = 8;
  const g = /** @type {CanvasRenderingContext2D} */ (c.getContext("2d"));
  g.fillStyle = theme.object.idle;
  g.globalAlpha = 0.45;
  g.fillRect(0, 0, 8, 8);
  g.globalAlpha = 1;
  g.strokeStyle = theme.object.idle;
  g.lineWidth = 2;
  g.beginPath();
  g.moveTo(-2, 10);
  g.lineTo(10, -2);
  g.moveTo(6, 10);
  g.lineTo(10, 6);
  g.moveTo(-2, 2);
  g.lineTo(2, -2);
  g.stroke();
  return ctx.createPattern(c, "repeat");
}

/**
 * Draw a frame.
 * @param {CanvasRenderingContext2D} ctx
 * @param {FrameState} s
 * @returns {Frame}
 */
export function drawFrame(ctx, s) {
  const { v, theme } = s;
  /** @type {Frame} */
  const frame = { lanes: 0, markers: [], missing: [] };
  ctx.save();
  ctx.fillStyle = theme.bg;
  ctx.fillRect(0, 0, v.width, v.height);
  ctx.textBaseline = "middle";
  const [l0, l1] = v.visibleLanes();
  drawBands(ctx, s, l0, l1);
  const ticks = rulerTicks(s.p, v);
  drawGrid(ctx, s, ticks);

  ctx.save(); // the plot: clipped right of the gutter
  ctx.beginPath();
  ctx.rect(v.plotLeft, RULER_H, v.width - v.plotLeft, v.height - RULER_H);
  ctx.clip();
  drawEmpty(ctx, s);
  /** @type {Map<string, Path2D>} */
  const glyphs = new Map();
  /** @type {Label[]} */
  const labels = [];
  drawLanes(ctx, s, l0, l1, glyphs, labels, frame);
  paintMarkers(ctx, s, glyphs);
  drawTextLabels(ctx, s, labels);
  drawValues(ctx, s, frame);
  drawRelations(ctx, s);
  drawCursorAndHover(ctx, s);
  ctx.restore();

  drawGutter(ctx, s, l0, l1);
  drawRuler(ctx, s, ticks);
  drawScrollbar(ctx, s);
  ctx.restore();
  return frame;
}

/**
 * Alternating lane backgrounds, and the selected lanes' tint.
 * @param {CanvasRenderingContext2D} ctx
 * @param {FrameState} s
 * @param {number} l0
 * @param {number} l1
 */
function drawBands(ctx, s, l0, l1) {
  const { v, theme } = s;
  for (let l = l0; l <= l1; l++) {
    const y = v.laneTop(l);
    const h = v.laneY[l + 1] - v.laneY[l];
    ctx.fillStyle = l % 2 ? theme.bandB : theme.bandA;
    ctx.fillRect(0, y, v.width, h);
    if (laneSelected(s, l)) {
      ctx.fillStyle = theme.select;
      ctx.fillRect(0, y, v.width, h);
    }
  }
}

/**
 * @param {CanvasRenderingContext2D} ctx
 * @param {FrameState} s
 * @param {[number, string][]} ticks
 */
function drawGrid(ctx, s, ticks) {
  const { v, theme } = s;
  ctx.strokeStyle = theme.grid;
  ctx.lineWidth = 1;
  ctx.beginPath();
  for (const [x] of ticks) {
    const px = Math.round(v.X(x)) + 0.5;
    ctx.moveTo(px, RULER_H);
    ctx.lineTo(px, v.height);
  }
  ctx.stroke();
}

/**
 * @param {CanvasRenderingContext2D} ctx
 * @param {FrameState} s
 */
function drawEmpty(ctx, s) {
  const { v, theme } = s;
  if (s.p.n) return;
  ctx.fillStyle = theme.muted;
  ctx.font = `13px ${theme.font}`;
  ctx.textAlign = "center";
  ctx.fillText("no generator, coroutine or task ran in scope", v.plotLeft + v.plotW / 2,
    RULER_H + v.plotH / 2);
  ctx.textAlign = "left";
}

/**
 * Every visible row of lanes l0..l1: suspensions under slices, markers collected.
 * @param {CanvasRenderingContext2D} ctx
 * @param {FrameState} s
 * @param {number} l0
 * @param {number} l1
 * @param {Map<string, Path2D>} glyphs
 * @param {Label[]} labels
 * @param {Frame} frame
 */
function drawLanes(ctx, s, l0, l1, glyphs, labels, frame) {
  const { p, v } = s;
  const [xa, xb] = v.range();
  for (let l = l0; l <= l1; l++) {
    frame.lanes++;
    if (l === p.idleLane) {
      drawIdle(ctx, s, p.laneRow0[l], xa, xb);
      continue;
    }
    for (let r = p.laneRow0[l]; r < p.laneRow0[l + 1]; r++) {
      const y = v.rowTop(r);
      if (y > v.height || y + ROW_H < RULER_H) continue;
      if (p.susps.start[r] < p.susps.start[r + 1]) drawSuspensions(ctx, s, r, y, xa, xb, labels);
      if (p.slices.start[r] < p.slices.start[r + 1]) drawSlices(ctx, s, r, y, xa, xb, labels);
      if (p.rowStart[r] < p.rowStart[r + 1]) collectMarkers(s, r, y, xa, v.width, glyphs, frame);
    }
  }
  if (s.selSet.size) drawSelected(ctx, s, xa, xb);
}

/**
 * The markers, one batch per kind; cluster ticks ("") faint.
 * @param {CanvasRenderingContext2D} ctx
 * @param {FrameState} s
 * @param {Map<string, Path2D>} glyphs
 */
function paintMarkers(ctx, s, glyphs) {
  const { theme } = s;
  for (const [kind, path] of glyphs) {
    if (kind === "") {
      ctx.fillStyle = theme.muted;
      ctx.globalAlpha = 0.6;
      ctx.fill(path);
      ctx.globalAlpha = 1;
    } else {
      paintGlyph(ctx, kind, theme.marker[kind] || theme.fg, theme.bg, path);
    }
  }
}
