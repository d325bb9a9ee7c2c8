// What is drawn over the lanes: the relations (spawn, await, wake arrows), the playback
// cursor and the hover outline.

import { BAR_H, BAR_TOP, RULER_H } from "./view.js";

/**
 * @typedef {import("./frame.js").FrameState} FrameState
 * @typedef {import("./payload.js").Relation} Relation
 */

const DASH = { spawn: [4, 3], await: [], wake: [2, 2] };
const HEAD = 6; // arrowhead length, px

/**
 * @param {CanvasRenderingContext2D} ctx
 * @param {FrameState} s
 */
export function drawRelations(ctx, s) {
  const { v, theme } = s;
  const rels = s.relations;
  if (!rels.length) return;
  ctx.save();
  ctx.globalAlpha = s.relationsFaint ? 0.35 : 0.9;
  ctx.lineWidth = s.relationsFaint ? 1 : 1.6;
  /** @type {Record<string, string>} */
  const colour = { spawn: theme.object.task, await: theme.marker.await, wake: theme.marker.resume };
  for (const rel of rels) {
    const x1 = v.X(v.pos(rel.from));
    const x2 = v.X(v.pos(rel.to));
    const y1 = v.rowMid(rel.fromRow);
    const y2 = v.rowMid(rel.toRow);
    if (Math.max(x1, x2) < v.plotLeft - 20 || Math.min(x1, x2) > v.width + 20) continue;
    if (Math.max(y1, y2) < RULER_H || Math.min(y1, y2) > v.height) continue;
    ctx.strokeStyle = colour[rel.type];
    ctx.fillStyle = colour[rel.type];
    ctx.setLineDash(DASH[/** @type {keyof DASH} */ (rel.type)] || []);
    arrow(ctx, x1, y1, x2, y2, rel.type === "wake" ? -1 : 1);
  }
  ctx.restore();
}

/**
 * A curved arrow from (x1, y1) to (x2, y2): straight down or up at one moment (a spawn),
 * bowed to one side when the ends are close, an S-curve otherwise.
 * @param {CanvasRenderingContext2D} ctx
 * @param {number} x1
 * @param {number} y1
 * @param {number} x2
 * @param {number} y2
 * @param {number} side  the bow's side (1 right, -1 left)
 */
function arrow(ctx, x1, y1, x2, y2, side) {
  const dx = x2 - x1;
  const dy = y2 - y1;
  let c = [x1, y1 + dy / 3, x2, y2 - dy / 3];
  if (Math.abs(dx) >= 40) c = [x1 + dx * 0.5, y1, x1 + dx * 0.5, y2];
  else if (Math.abs(dx) >= 1) c = [x1 + 18 * side, y1 + dy * 0.3, x2 + 18 * side, y2 - dy * 0.3];
  ctx.beginPath();
  ctx.moveTo(x1, y1);
  ctx.bezierCurveTo(c[0], c[1], c[2], c[3], x2, y2);
  ctx.stroke();
  ctx.setLineDash([]);
  const ang = Math.atan2(y2 - c[3], x2 - c[2]);
  ctx.beginPath();
  ctx.moveTo(x2, y2);
  ctx.lineTo(x2 - HEAD * Math.cos(ang - 0.45), y2 - HEAD * Math.sin(ang - 0.45));
  ctx.lineTo(x2 - HEAD * Math.cos(ang + 0.45), y2 - HEAD * Math.sin(ang + 0.45));
  ctx.closePath();
  ctx.fill();
}

/**
 * A ring around event i's marker.
 * @param {CanvasRenderingContext2D} ctx
 * @param {FrameState} s
 * @param {number} i
 * @param {string} colour
 */
function ring(ctx, s, i, colour) {
  const { p, v, theme } = s;
  const r = p.rowOfObj[p.obj[i]];
  if (r < 0) return;
  ctx.beginPath();
  ctx.arc(v.X(v.pos(i)), v.markY(r), 6.5, 0, Math.PI * 2);
  ctx.strokeStyle = theme.bg;
  ctx.lineWidth = 4;
  ctx.stroke();
  ctx.strokeStyle = colour;
  ctx.lineWidth = 2;
  ctx.stroke();
}

/**
 * The cursor's line and ring, and an outline of what the pointer is on.
 * @param {CanvasRenderingContext2D} ctx
 * @param {FrameState} s
 */
export function drawCursorAndHover(ctx, s) {
  const { p, v, theme } = s;
  if (s.cursor >= 0 && s.cursor < p.n) {
    const x = Math.round(v.X(v.pos(s.cursor))) + 0.5;
    ctx.strokeStyle = theme.accent;
    ctx.lineWidth = 1.5;
    ctx.beginPath();
    ctx.moveTo(x, RULER_H);
    ctx.lineTo(x, v.height);
    ctx.stroke();
    ring(ctx, s, s.cursor, theme.accent);
  }
  const h = s.hover;
  if (h && h.type === "event") ring(ctx, s, h.i, theme.fg);
  else if (h && (h.type === "slice" || h.type === "susp")) {
    const a = Math.max(v.plotLeft - 2, v.X(v.pos(h.i)));
    const b = Math.min(v.width + 2, v.X(v.pos(h.end)));
    ctx.strokeStyle = theme.fg;
    ctx.lineWidth = 1;
    ctx.setLineDash([3, 2]);
    ctx.strokeRect(a - 1.5, v.rowTop(h.row) + BAR_TOP - 1.5, b - a + 3, BAR_H + 3);
    ctx.setLineDash([]);
  }
}
