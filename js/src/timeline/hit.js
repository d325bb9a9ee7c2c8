// Hit testing: what is under a screen point — an event marker (failures and cancels
// first: they are drawn at every zoom), a running slice, a suspended span, loop idle
// time, a row's label or a fold group's — using the same indexes as drawing.

import { partition } from "../shared/search.js";
import { MARKER_GAP } from "./marks.js";

const EVENT_PX = 6; // how close the pointer must be to a marker
const SCAN = 96; // slices examined around the pointer, at most

/**
 * @typedef {import("./frame.js").FrameState} FrameState
 * @typedef {import("./payload.js").Payload} Payload
 *
 * @typedef {{type: "event", i: number, row: number}
 *   | {type: "slice"|"susp", i: number, end: number, row: number, o: number}
 *   | {type: "idle", a: number, b: number, row: number}
 *   | {type: "gutter", entry: number, row: number}
 *   | {type: "lane", entry: number, row: number}
 *   | {type: "ruler"}} Hit
 */

/**
 * @param {FrameState} s
 * @param {number} px  canvas x (CSS px)
 * @param {number} py  canvas y (CSS px)
 * @returns {Hit|null}
 */
export function hitTest(s, px, py) {
  const { p, v } = s;
  if (py < v.rulerH) return { type: "ruler" };
  const entry = v.entryAt(py);
  if (entry < 0) return null;
  const row = v.rowAt(py);
  if (px < v.plotLeft) return { type: "gutter", entry, row };
  if (p.rowLane[row] >= 0 && p.rowLane[row] === p.idleLane) return idleAt(s, px, row) || { type: "lane", entry, row };
  const top = v.rowTop(row);
  // an event marker close by (only where markers are drawn: room around them)
  const near = py >= top - 2 && py <= top + v.rowH + 2;
  const i = near ? markerAt(s, px, row) : -1;
  if (i >= 0) return { type: "event", i, row };
  const x = v.invX(px);
  const tol = 1.5 / v.k;
  const inBar = py >= top + v.barTop - 2 && py <= top + v.barTop + v.barH + 2;
  const slice = inBar ? spanAt(s, p.slices, row, x, tol) : null;
  if (slice) return { type: "slice", ...slice, row };
  const susp = near ? spanAt(s, p.susps, row, x, tol) : null;
  if (susp) return { type: "susp", ...susp, row };
  return { type: "lane", entry, row };
}

/**
 * The idle span under px in row `row`, if any.
 * @param {FrameState} s
 * @param {number} px
 * @param {number} row
 * @returns {Hit|null}
 */
function idleAt(s, px, row) {
  const { p, v } = s;
  const x = v.invX(px);
  const tol = 1.5 / v.k;
  const st = v.clock === "step" ? p.idleStep() : p.idle;
  const m = p.idle.length >> 1;
  const j = partition(0, m, (k) => st[2 * k + 1] < x - tol);
  if (j < m && st[2 * j] <= x + tol) return { type: "idle", a: p.idle[2 * j], b: p.idle[2 * j + 1], row };
  return null;
}

/**
 * The event whose marker is under px in row `row` (-1: none): the first of the events at
 * the nearest x, which must stand apart from its neighbours (drawn markers have more
 * than MARKER_GAP px; a crowded event needs a close pointer).
 * @param {FrameState} s
 * @param {number} px
 * @param {number} row
 */
function markerAt(s, px, row) {
  const alarm = alarmAt(s, px, row);
  if (alarm >= 0) return alarm;
  const { p, v } = s;
  const lo = p.rowStart[row];
  const hi = p.rowStart[row + 1];
  const ev = p.rowEv;
  const k = v.firstAt(ev, lo, hi, v.invX(px));
  let best = -1;
  let bestD = EVENT_PX + 1;
  for (const c of [k - 1, k]) {
    const d = c >= lo && c < hi ? Math.abs(v.X(v.pos(ev[c])) - px) : Infinity;
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  if (best < 0 || bestD > EVENT_PX) return -1;
  const [g0, room] = group(s, ev, lo, hi, best);
  return room > MARKER_GAP || (room > 2 && bestD <= room / 2) ? ev[g0] : -1;
}

/**
 * The raise, throw or cancel event whose marker is under px in row `row` (-1: none):
 * those are drawn at every zoom, so any one close enough is hit.
 * @param {FrameState} s
 * @param {number} px
 * @param {number} row
 */
function alarmAt(s, px, row) {
  const { p, v } = s;
  const lo = p.alarmStart[row];
  const hi = p.alarmStart[row + 1];
  if (lo === hi) return -1;
  const ev = p.alarmEv;
  const k = v.firstAt(ev, lo, hi, v.invX(px - EVENT_PX));
  let best = -1;
  let bestD = EVENT_PX + 1;
  for (let c = k; c < hi && c < k + SCAN; c++) {
    const d = Math.abs(v.X(v.pos(ev[c])) - px);
    if (v.X(v.pos(ev[c])) > px + EVENT_PX) break;
    if (d < bestD) {
      bestD = d;
      best = ev[c];
    }
  }
  return best;
}

/**
 * The group of events at ev[k]'s x (in [lo, hi)): its first index, and the room around
 * it (px to the nearest other x).
 * @param {FrameState} s
 * @param {ArrayLike<number>} ev
 * @param {number} lo
 * @param {number} hi
 * @param {number} k
 * @returns {[number, number]}
 */
function group(s, ev, lo, hi, k) {
  const { v } = s;
  const xi = v.pos(ev[k]);
  let g0 = k;
  while (g0 > lo && v.pos(ev[g0 - 1]) === xi) g0--;
  let g1 = k + 1;
  while (g1 < hi && v.pos(ev[g1]) === xi) g1++;
  const X = v.X(xi);
  const leftGap = g0 > lo ? X - v.X(v.pos(ev[g0 - 1])) : Infinity;
  const rightGap = g1 < hi ? v.X(v.pos(ev[g1])) - X : Infinity;
  return [g0, Math.min(leftGap, rightGap)];
}

/**
 * The last span of `spans` in `row` that covers data x (within tol).
 * @param {FrameState} s
 * @param {Payload["slices"]} spans
 * @param {number} row
 * @param {number} x
 * @param {number} tol
 * @returns {{i: number, end: number, o: number} | null}
 */
function spanAt(s, spans, row, x, tol) {
  const { p, v } = s;
  const hi = spans.start[row + 1];
  let found = -1;
  for (let k = v.firstAt(spans.max, spans.start[row], hi, x - tol), n = 0; k < hi && n < SCAN; k++, n++) {
    if (v.pos(spans.beg[k]) > x + tol) break;
    if (v.pos(spans.end[k]) >= x - tol) found = k;
  }
  if (found < 0) return null;
  return { i: spans.beg[found], end: spans.end[found], o: p.obj[spans.beg[found]] };
}
