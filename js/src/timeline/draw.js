// One frame on the canvas.  Level of detail keeps a frame proportional to the pixels on
// screen, not to the events in the trace: bars.js merges what is narrower than a pixel,
// marks.js draws a marker only where it has room.  Layers, bottom up: lane bands, grid,
// diagnostics' spans, bars, selection outline, markers, failure and cancel markers,
// words, relations, cursor and hover, then the gutter, the ruler and the scrollbar over
// the edges.  What is drawn is what display.js has on display.

import { paintGlyph } from "../shared/glyphs.js";
import { drawIdle, drawSelected, drawSlices, drawSuspensions } from "./bars.js";
import { drawGutter, drawRuler, drawScrollbar, entrySelected, rulerTicks } from "./chrome.js";
import { drawDiagnostics } from "./diagmarks.js";
import { collectAlarms, collectMarkers, drawTextLabels, drawValues } from "./marks.js";
import { drawCursorAndHover, drawRelations } from "./overlay.js";

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
  const frame = { lanes: 0, markers: [], missing: [], texts: [], alarms: [], cut: 0 };
  ctx.save();
  ctx.fillStyle = theme.bg;
  ctx.fillRect(0, 0, v.width, v.height);
  ctx.textBaseline = "middle";
  const [e0, e1] = v.visibleEntries();
  drawBands(ctx, s, e0, e1);
  const ticks = rulerTicks(s.p, v);
  drawGrid(ctx, s, ticks);

  ctx.save(); // the plot: clipped right of the gutter
  ctx.beginPath();
  ctx.rect(v.plotLeft, v.rulerH, v.width - v.plotLeft, v.height - v.rulerH);
  ctx.clip();
  drawEmpty(ctx, s);
  drawDiagnostics(ctx, s);
  /** @type {Map<string, Path2D>} */
  const glyphs = new Map();
  /** @type {Map<string, Path2D>} */
  const alarms = new Map();
  /** @type {Label[]} */
  const labels = [];
  drawEntries(ctx, s, e0, e1, { glyphs, alarms, labels }, frame);
  paintMarkers(ctx, s, glyphs);
  paintMarkers(ctx, s, alarms);
  drawTextLabels(ctx, s, labels, frame.texts);
  drawValues(ctx, s, frame);
  drawRelations(ctx, s);
  drawCursorAndHover(ctx, s);
  ctx.restore();

  frame.cut = drawGutter(ctx, s, e0, e1);
  drawRuler(ctx, s, ticks);
  drawScrollbar(ctx, s);
  ctx.restore();
  return frame;
}

/**
 * Alternating entry backgrounds, and the selected entries' tint.
 * @param {CanvasRenderingContext2D} ctx
 * @param {FrameState} s
 * @param {number} e0
 * @param {number} e1
 */
function drawBands(ctx, s, e0, e1) {
  const { v, theme } = s;
  const d = v.display;
  for (let e = e0; e <= e1; e++) {
    const y = v.entryTop(e);
    const h = d.entryY[e + 1] - d.entryY[e];
    ctx.fillStyle = e % 2 ? theme.bandB : theme.bandA;
    ctx.fillRect(0, y, v.width, h);
    if (entrySelected(s, e)) {
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
    ctx.moveTo(px, v.rulerH);
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
  ctx.font = `${v.px(13)}px ${theme.font}`;
  ctx.textAlign = "center";
  ctx.fillText("no generator, coroutine or task ran in scope", v.plotLeft + v.plotW / 2,
    v.rulerH + v.plotH / 2);
  ctx.textAlign = "left";
}

/**
 * Every visible row of entries e0..e1: suspensions under slices, markers collected.
 * @param {CanvasRenderingContext2D} ctx
 * @param {FrameState} s
 * @param {number} e0
 * @param {number} e1
 * @param {{glyphs: Map<string, Path2D>, alarms: Map<string, Path2D>, labels: Label[]}} out
 * @param {Frame} frame
 */
function drawEntries(ctx, s, e0, e1, out, frame) {
  const { p, v } = s;
  const [xa, xb] = v.range();
  for (let e = e0; e <= e1; e++) {
    const { kind, id, row0, rows } = v.display.entries[e];
    frame.lanes++;
    if (kind === "lane" && id === p.idleLane) {
      drawIdle(ctx, s, row0, xa, xb);
      continue;
    }
    for (let r = row0; r < row0 + rows; r++) {
      const y = v.rowTop(r);
      if (y > v.height || y + v.rowH < v.rulerH) continue;
      if (p.susps.start[r] < p.susps.start[r + 1]) drawSuspensions(ctx, s, r, y, xa, xb, out.labels);
      if (p.slices.start[r] < p.slices.start[r + 1]) drawSlices(ctx, s, r, y, xa, xb, out.labels);
      if (p.rowStart[r] < p.rowStart[r + 1]) collectMarkers(s, r, y, xa, v.width, out.glyphs, frame);
      const before = frame.markers.length;
      collectAlarms(s, r, y, xa, xb, out.alarms, frame);
      for (let j = before; j < frame.markers.length; j += 4) frame.alarms.push(frame.markers[j]);
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
