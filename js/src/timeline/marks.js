// Markers and the words on the canvas: a glyph per event where a marker has room (more
// than MARKER_GAP px to its neighbours; a dense cluster is one small tick that says
// "zoom in here"), failures and cancellations (raise, throw, cancel) at every zoom and
// over everything else, values beside markers with room for them, and labels on bars
// and spans wide enough — values cut to what fits.

import { fitText } from "../shared/format.js";
import { addGlyph } from "../shared/glyphs.js";

export const MARKER_GAP = 7; // px between markers before they are drawn
const GROUP_SCAN = 16; // events at the same x looked at one by one before a search
const VALUE_KINDS = new Set(["yield", "resume", "throw", "return", "raise", "await"]);
const VALUE_CHARS = 40; // a value beside a marker is cut to this many characters at most
export const END_OF_FUNCTION = "end of function";

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
  const mid = y + v.markDy;
  const R = v.markerR;
  let k = v.firstAt(ev, lo, hi, xa - 8 / v.k);
  let prevX = k > lo ? v.X(v.pos(ev[k - 1])) : -Infinity;
  while (k < hi) {
    const x = v.X(v.pos(ev[k]));
    if (x > right + 8) break;
    const g = sameX(s, ev, k, hi); // events at the very same x form one group
    const nextX = g < hi ? v.X(v.pos(ev[g])) : Infinity;
    if (x - prevX > MARKER_GAP && nextX - x > MARKER_GAP) {
      const i = ev[k];
      if (!p.isAlarm[p.kind[i]]) { // alarms are drawn on top, by collectAlarms
        addGlyph(path(glyphs, p.kinds[p.kind[i]]), p.kinds[p.kind[i]], x, mid, R);
        frame.markers.push(i, x, mid, Math.min(nextX - x, 4000));
      }
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
 * Row r's raise, throw and cancel markers between data x xa and xb, whatever the zoom:
 * one per kind and pixel column, added to `alarms` (painted after every other marker)
 * and to frame.markers (their values, hit testing).
 * @param {FrameState} s
 * @param {number} r
 * @param {number} y
 * @param {number} xa
 * @param {number} xb
 * @param {Glyphs} alarms
 * @param {Frame} frame
 */
export function collectAlarms(s, r, y, xa, xb, alarms, frame) {
  const { p, v } = s;
  const lo = p.alarmStart[r];
  const hi = p.alarmStart[r + 1];
  if (lo === hi) return;
  const ev = p.alarmEv;
  const mid = y + v.markDy;
  const R = v.markerR * 1.15;
  /** @type {Map<number, number>} kind code → the last pixel column drawn */
  const last = new Map();
  let right = -Infinity; // where the last glyph drawn ends
  for (let k = v.firstAt(ev, lo, hi, xa - 8 / v.k); k < hi; k++) {
    const i = ev[k];
    if (v.pos(i) > xb + 8 / v.k) break;
    const at = v.X(v.pos(i));
    const col = Math.round(at);
    if (last.get(p.kind[i]) === col) continue;
    last.set(p.kind[i], col);
    // a cancel, the throw that tells it and the raise it ends in come microseconds
    // apart: side by side, in that order, each readable
    const x = Math.max(at, right + R * 2.3);
    right = x;
    const kind = p.kinds[p.kind[i]];
    addGlyph(path(alarms, kind), kind, x, mid, R);
    const next = k + 1 < hi ? v.X(v.pos(ev[k + 1])) : Infinity;
    frame.markers.push(i, x, mid, Math.min(next - x, 4000));
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
 * to right per row, none over another; each text drawn goes to `texts`.
 * @param {CanvasRenderingContext2D} ctx
 * @param {FrameState} s
 * @param {Label[]} labels
 * @param {string[]} texts
 */
export function drawTextLabels(ctx, s, labels, texts) {
  if (!labels.length) return;
  ctx.font = `${s.v.px(11)}px ${s.theme.font}`;
  ctx.textAlign = "left";
  labels.sort((u, w) => u[3] - w[3] || u[1] - w[1]);
  /** @type {Map<number, number>} row y → right edge of the last label drawn there */
  const taken = new Map();
  for (const label of labels) {
    const [, a0, b, y, o] = label;
    const obj = s.p.objects[o];
    const a = Math.max(a0, (taken.get(y) ?? -Infinity) + 6);
    if (!obj || b - a < 20) continue;
    const drawn = label[0] === "slice" ? sliceLabel(ctx, s, label, a) : spanLabel(ctx, s, label, a);
    if (drawn === null) continue;
    taken.set(y, drawn[0]);
    texts.push(drawn[1]);
  }
}

/**
 * @param {CanvasRenderingContext2D} ctx
 * @param {FrameState} s
 * @param {Label} label
 * @param {number} a  where it may start
 * @returns {[number, string]|null}  its right edge and text, or null when it did not fit
 */
function sliceLabel(ctx, s, [, , b, y, o, i, r], a) {
  const { p } = s;
  const obj = p.objects[o];
  const room = b - a - 8;
  // a task and the coroutine it drives read as one: on the task's own row the gutter
  // names it already
  const task = p.taskOfCoro[o];
  const named = !(r < p.laneRows && p.rowDepth[r] === 0 && task >= 0 && p.label(task) === obj.label);
  const d = s.details.get(i);
  const sent = d && d.kind === "resume" && d.value !== null && d.value !== undefined && d.value !== "None"
    ? d.value : null;
  const text = barText(ctx, named ? obj.label : "", sent, room);
  if (!text) return null;
  ctx.fillStyle = s.theme.objectText[obj.kind] || "#fff";
  const w = ctx.measureText(text).width;
  const x = a + Math.max(4, (b - a - w) / 2);
  ctx.fillText(text, x, y + 0.5);
  return [x + w, text];
}

/**
 * What a bar says in `room` px: "name ← value", the value cut to what fits (with an
 * ellipsis), else the name alone, cut; null when nothing readable fits.
 * @param {CanvasRenderingContext2D} ctx
 * @param {string} name
 * @param {string|null} value  the value sent in
 * @param {number} room
 */
function barText(ctx, name, value, room) {
  if (value !== null) {
    const head = name ? `${name} ← ` : "← ";
    const rest = room - ctx.measureText(head).width;
    const v = rest > 0 ? fitText(ctx, value.slice(0, VALUE_CHARS * 2), rest) : "";
    if (v && (v === value || v.length >= 4)) return head + v;
  }
  if (!name) return null;
  const fit = fitText(ctx, name, room);
  return fit && (fit === name || fit.length >= 4) ? fit : null;
}

/**
 * @param {CanvasRenderingContext2D} ctx
 * @param {FrameState} s
 * @param {Label} label
 * @param {number} a
 * @returns {[number, string]|null}
 */
function spanLabel(ctx, s, [, , b, y, o], a) {
  const text = `→ ${s.p.objects[o].label}`;
  const fit = fitText(ctx, text, b - a - 16);
  if (!fit || (fit !== text && fit.length < 4)) return null;
  haloText(ctx, fit, a + 10, y - 0.5, s.theme.muted, s.theme.bg);
  return [a + 10 + ctx.measureText(fit).width, fit];
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
  ctx.font = `${s.v.px(10.5)}px ${s.theme.mono}`;
  ctx.textAlign = "left";
  for (let j = 0; j < m.length; j += 4) {
    const i = m[j];
    const room = m[j + 3];
    const text = room < 22 ? null : valueText(s, i, frame);
    if (!text) continue;
    const short = text.length > VALUE_CHARS ? `${text.slice(0, VALUE_CHARS - 1)}…` : text;
    const fit = fitText(ctx, short, room - 12 * s.v.scale);
    if (!fit || (fit !== short && fit.length < 3)) continue;
    haloText(ctx, fit, m[j + 1] + 6 * s.v.scale, m[j + 2] + 0.5, s.theme.fg, s.theme.bg);
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
  if (kind === "return" && p.implicitEndAt(i)) return END_OF_FUNCTION;
  const v = d.value;
  if (v === null || v === undefined) return null;
  if ((kind === "resume" || kind === "return") && v === "None") return null;
  if (kind === "resume") return `← ${v}`;
  if (kind === "return") return `= ${v}`;
  return v;
}
