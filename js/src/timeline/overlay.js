// What is drawn over the lanes: the relations (spawn, await, wake and cancel arrows,
// between the rows the display shows their objects in), the playback cursor and the
// hover outline.

/**
 * @typedef {import("./frame.js").FrameState} FrameState
 * @typedef {import("./payload.js").Relation} Relation
 */

const DASH = { spawn: [4, 3], await: [], wake: [2, 2], cancel: [6, 2, 2, 2] };
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
  const colour = relationColours(theme);
  for (const rel of rels) {
    const ends = arrowEnds(s, rel);
    if (!ends) continue;
    const [x1, y1, x2, y2] = ends;
    ctx.lineWidth = (s.relationsFaint ? 1 : 1.6) * v.scale * (rel.type === "cancel" ? 1.3 : 1);
    ctx.strokeStyle = colour[rel.type];
    ctx.fillStyle = colour[rel.type];
    ctx.setLineDash(DASH[/** @type {keyof DASH} */ (rel.type)] || []);
    arrow(ctx, x1, y1, x2, y2, rel.type === "wake" ? -1 : 1);
  }
  ctx.restore();
}

/**
 * Where relation `rel` is drawn: [x1, y1, x2, y2], or null when it is not (an end not
 * on display or off screen, or both in one row — but a cancel's, arched over it).
 * @param {FrameState} s
 * @param {Relation} rel
 * @returns {number[]|null}
 */
function arrowEnds(s, rel) {
  const v = s.v;
  const r1 = v.display.shownRow(rel.fromObj);
  const r2 = v.display.shownRow(rel.toObj);
  if (r1 < 0 || r2 < 0) return null;
  const x1 = v.X(v.pos(rel.from));
  const x2 = v.X(v.pos(rel.to));
  if (r1 === r2 && (rel.type !== "cancel" || Math.abs(x2 - x1) < 2)) return null;
  const y1 = v.rowMid(r1);
  const y2 = v.rowMid(r2);
  if (Math.max(x1, x2) < v.plotLeft - 20 || Math.min(x1, x2) > v.width + 20) return null;
  if (Math.max(y1, y2) < v.rulerH || Math.min(y1, y2) > v.height) return null;
  return [x1, y1, x2, y2];
}

/**
 * The colour of each kind of arrow (a cancel in the colour of its marker).
 * @param {import("../shared/theme.js").Theme} theme
 * @returns {Record<string, string>}
 */
export function relationColours(theme) {
  return { spawn: theme.object.task, await: theme.marker.await, wake: theme.marker.resume, cancel: theme.marker.cancel };
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
  if (Math.abs(dy) < 1) c = [x1 + dx / 3, y1 - 18, x2 - dx / 3, y2 - 18]; // within a row: arched over it
  else if (Math.abs(dx) >= 40) c = [x1 + dx * 0.5, y1, x1 + dx * 0.5, y2];
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
  const r = v.display.shownRow(p.obj[i]);
  if (r < 0) return;
  ctx.beginPath();
  ctx.arc(v.X(v.pos(i)), v.markY(r), 6.5 * v.scale, 0, Math.PI * 2);
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
    ctx.moveTo(x, v.rulerH);
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
    ctx.strokeRect(a - 1.5, v.rowTop(h.row) + v.barTop - 1.5, b - a + 3, v.barH + 3);
    ctx.setLineDash([]);
  }
}
