// Event markers: one shape per kind (theme.json's glyphs), so kinds differ by shape as
// well as by colour.

import { THEME } from "./theme.js";

/** @typedef {{shape: string, stroked: boolean, symbol: string, legend: string,
 *   meaning: string, path: (string|number)[][]}} Glyph */

/** @type {Record<string, Glyph>} */
const GLYPHS = THEME.glyphs;
/** @type {Glyph} */
const DEFAULT = THEME.defaultGlyph;
const STROKE = THEME.glyphStroke;

/** @param {string} kind */
export function glyph(kind) {
  return GLYPHS[kind] || DEFAULT;
}

/** A character standing for the glyph of `kind` in text (tooltip, status strip).
 * @param {string} kind */
export function symbol(kind) {
  return glyph(kind).symbol;
}

/**
 * Add the glyph of `kind` centred at (x, y) with radius r to `p`.
 * @param {Path2D | CanvasRenderingContext2D} p
 * @param {string} kind
 * @param {number} x
 * @param {number} y
 * @param {number} r
 */
export function addGlyph(p, kind, x, y, r) {
  for (const [op, ...a] of glyph(kind).path) {
    const [ax, ay, ar] = /** @type {number[]} */ (a);
    if (op === "M") p.moveTo(x + ax * r, y + ay * r);
    else if (op === "L") p.lineTo(x + ax * r, y + ay * r);
    else if (op === "Z") p.closePath();
    else if (op === "O") {
      p.moveTo(x + (ax + ar) * r, y + ay * r);
      p.arc(x + ax * r, y + ay * r, ar * r, 0, Math.PI * 2);
    }
  }
}

/**
 * Paint glyph outlines already on `ctx` (a path, or `path` when given) as `kind`'s are
 * painted: stroked glyphs as a line over a halo, filled ones filled over a halo.
 * @param {CanvasRenderingContext2D} ctx
 * @param {string} kind
 * @param {string} colour
 * @param {string} halo  outline colour that separates the glyph from what is under it
 * @param {Path2D} [path]
 */
export function paintGlyph(ctx, kind, colour, halo, path) {
  const stroke = () => (path ? ctx.stroke(path) : ctx.stroke());
  ctx.lineJoin = "round";
  ctx.strokeStyle = halo;
  if (glyph(kind).stroked) {
    ctx.lineWidth = STROKE.strokedHalo;
    stroke();
    ctx.strokeStyle = colour;
    ctx.lineWidth = STROKE.stroke;
    stroke();
  } else {
    ctx.lineWidth = STROKE.filledHalo;
    stroke();
    ctx.fillStyle = colour;
    if (path) ctx.fill(path);
    else ctx.fill();
  }
}

/**
 * Draw one glyph straight onto a context (the legend).
 * @param {CanvasRenderingContext2D} ctx
 * @param {string} kind
 * @param {number} x
 * @param {number} y
 * @param {number} r
 * @param {string} colour
 * @param {string} halo
 */
export function drawGlyph(ctx, kind, x, y, r, colour, halo) {
  ctx.beginPath();
  addGlyph(ctx, kind, x, y, r);
  paintGlyph(ctx, kind, colour, halo);
}
