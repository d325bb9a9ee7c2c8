// Markers and the words on the canvas: a glyph per event where a marker has room (more
// than MARKER_GAP px to its neighbours; a dense cluster is one small tick that says
// "zoom in here"), values beside markers with room for them, and labels on bars and
// spans wide enough.

import { fitText } from "../shared/format.js";
import { addGlyph } from "../shared/glyphs.js";
import { MARK_Y } from "./view.js";

export const MARKER_GAP = 7; // px between markers before they are drawn
const MARKER_R = 3.9;
const GROUP_SCAN = 16; // events at the same x looked at one by one before a search
const VALUE_KINDS = new Set(["yield", "resume", "throw", "return", "raise", "await"]);

/**
 * @typedef {import("./frame.js").FrameState} FrameState
 * @typedef {import("./frame.js").Frame} Frame
 * @typedef {import("./frame.js").Label} Label
 * @typedef {Map<string, Path2D>} Glyphs  outlines per event kind ("": cluster ticks)
 */

/**
 * Add row r's markers (top y, right edge `right`) to `glyphs` and `frame.markers`.
 * @param {FrameState} s
 * @param {number} r
 * @param {number} y
 * @param {number} xa
 * @param {number} right
 * @param {Glyphs} glyphs
 * @param {Frame} frame
 */
export function collectMarkers(s, r, y, xa, right, glyphs, frame) {
  const { p, v } = s;
  const lo = p.rowStart[r];
  const hi = p.rowStart[r + 1];
  const ev = p.rowEv;
  const mid = y + MARK_Y;
  let k = v.firstAt(ev, lo, hi, xa - 8 / v.k);
  let prevX = k > lo ? v.X(v.pos(ev[k - 1])) : -Infinity;
  while (k < hi) {
    const x = v.X(v.pos(ev[k]));
    if (x > right + 8) break;
    const g = sameX(s, ev, k, hi); // events at the very same x form one group
    const nextX = g < hi ? v.X(v.pos(ev[g])) : Infinity;
    if (x - prevX > MARKER_GAP && nextX - x > MARKER_GAP) {
      const i = ev[k];
      addGlyph(path(glyphs, p.kinds[p.kind[i]]), p.kinds[p.kind[i]], x, mid, MARKER_R);
      frame.markers.push(i, x, mid, Math.min(nextX - x, 4000));
      prevX = x;
      k = g;
    } else if (nextX - x <= MARKER_GAP) {
      const k2 = Math.max(g, v.firstAt(ev, g, hi, v.invX(x + MARKER_GAP)));
      const x2 = v.X(v.pos(ev[k2 - 1]));
      path(glyphs, "").rect(x, mid - 1.5, Math.max(1.5, Math.min(right + 8, x2) - x), 3);
      prevX = x2;
      k = k2;
    } else {
      prevX = x;
      k = g;
    }
  }
}

/**
 * The end of the group of events at ev[k]'s x: the first index with another x.
 * @param {FrameState} s
 * @param {ArrayLike<number>} ev
 * @param {number} k
 * @param {number} hi
 */
function sameX(s, ev, k, hi) {
  const { v } = s;
  const xi = v.pos(ev[k]);
  let g = k + 1;
  while (g < hi && g < k + GROUP_SCAN && v.pos(ev[g]) === xi) g++;
  return g === k + GROUP_SCAN ? v.firstAt(ev, g, hi, xi + 1e-9) : g;
}

/**
 * @param {Glyphs} glyphs
 * @param {string} kind
 */
function path(glyphs, kind) {
  let p = glyphs.get(kind);
  if (!p) glyphs.set(kind, (p = new Path2D()));
  return p;
}

/**
 * Text with a halo of the background around it, readable over anything.
 * @param {CanvasRenderingContext2D} ctx
 * @param {string} text
 * @param {number} x
 * @param {number} y
 * @param {string} colour
 * @param {string} halo
 */
function haloText(ctx, text, x, y, colour, halo) {
  ctx.lineJoin = "round";
  ctx.strokeStyle = halo;
  ctx.lineWidth = 3;
  ctx.strokeText(text, x, y);
  ctx.fillStyle = colour;
  ctx.fillText(text, x, y);
}

/**
 * Names on bars ("relay#1 ← 5": the value sent in) and on spans ("→ sleep(0.01)"), left
 * to right per row, none over another.
 * @param {CanvasRenderingContext2D} ctx
 * @param {FrameState} s
 * @param {Label[]} labels
 */
export function drawTextLabels(ctx, s, labels) {
  if (!labels.length) return;
  ctx.font = `11px ${s.theme.font}`;
  ctx.textAlign = "left";
  labels.sort((u, w) => u[3] - w[3] || u[1] - w[1]);
  /** @type {Map<number, number>} row y → right edge of the last label drawn there */
  const taken = new Map();
  for (const label of labels) {
    const [, a0, b, y, o] = label;
    const obj = s.p.objects[o];
    const a = Math.max(a0, (taken.get(y) ?? -Infinity) + 6);
    if (!obj || b - a < 20) continue;
    const right = label[0] === "slice" ? sliceLabel(ctx, s, label, a) : spanLabel(ctx, s, label, a);
    if (right !== null) taken.set(y, right);
  }
}

/**
 * @param {CanvasRenderingContext2D} ctx
 * @param {FrameState} s
 * @param {Label} label
 * @param {number} a  where it may start
 * @returns {number|null}  its right edge, or null when it did not fit
 */
function sliceLabel(ctx, s, [, , b, y, o, i], a) {
  const obj = s.p.objects[o];
  let text = obj.label;
  const d = s.details.get(i);
  if (d && d.kind === "resume" && d.value !== null && d.value !== undefined && d.value !== "None") {
    text += ` ← ${d.value}`;
  }
  const fit = fitText(ctx, text, b - a - 8);
  if (!fit || (fit !== text && fit.length < 4)) return null;
  ctx.fillStyle = s.theme.objectText[obj.kind] || "#fff";
  const w = ctx.measureText(fit).width;
  const x = a + Math.max(4, (b - a - w) / 2);
  ctx.fillText(fit, x, y + 0.5);
  return x + w;
}

/**
 * @param {CanvasRenderingContext2D} ctx
 * @param {FrameState} s
 * @param {Label} label
 * @param {number} a
 * @returns {number|null}
 */
function spanLabel(ctx, s, [, , b, y, o], a) {
  const text = `→ ${s.p.objects[o].label}`;
  const fit = fitText(ctx, text, b - a - 16);
  if (!fit || (fit !== text && fit.length < 4)) return null;
  haloText(ctx, fit, a + 10, y - 0.5, s.theme.muted, s.theme.bg);
  return a + 10 + ctx.measureText(fit).width;
}

/**
 * Values beside the markers with room for them; the events whose value is not known
 * yet go to frame.missing (the widget asks for them).
 * @param {CanvasRenderingContext2D} ctx
 * @param {FrameState} s
 * @param {Frame} frame
 */
export function drawValues(ctx, s, frame) {
  const m = frame.markers;
  ctx.font = `10.5px ${s.theme.mono}`;
  ctx.textAlign = "left";
  for (let j = 0; j < m.length; j += 4) {
    const i = m[j];
    const room = m[j + 3];
    const text = room < 22 ? null : valueText(s, i, frame);
    if (!text) continue;
    const fit = fitText(ctx, text, room - 12);
    if (!fit || (fit !== text && fit.length < 3)) continue;
    haloText(ctx, fit, m[j + 1] + 6, m[j + 2] + 0.5, s.theme.fg, s.theme.bg);
  }
}

/**
 * What is written beside event i's marker: "5", "← 5" (sent in), "= 5" (returned).
 * @param {FrameState} s
 * @param {number} i
 * @param {Frame} frame
 * @returns {string|null}
 */
function valueText(s, i, frame) {
  const { p } = s;
  const kind = p.kinds[p.kind[i]];
  if (!VALUE_KINDS.has(kind)) return null;
  if (kind === "await" && p.targetOf(i) >= 0) return null; // the span names it
  const d = s.details.get(i);
  if (!d) {
    frame.missing.push(i);
    return null;
  }
  const v = d.value;
  if (v === null || v === undefined) return null;
  if ((kind === "resume" || kind === "return") && v === "None") return null;
  if (kind === "resume") return `← ${v}`;
  if (kind === "return") return `= ${v}`;
  return v;
}
