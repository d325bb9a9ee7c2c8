// Hit testing: what is under a screen point — an event marker, a running slice, a
// suspended span, loop idle time, a lane label — using the same indexes as drawing.

import { BAR_H, BAR_TOP, ROW_H, RULER_H } from "./view.js";

const EVENT_PX = 6; // how close the pointer must be to a marker
const MARKER_GAP = 7; // as in draw.js
const SCAN = 96; // slices examined around the pointer, at most

/**
 * @typedef {{type: "event", i: number, row: number}
 *   | {type: "slice"|"susp", i: number, end: number, row: number, o: number}
 *   | {type: "idle", a: number, b: number, row: number}
 *   | {type: "gutter", lane: number}
 *   | {type: "lane", lane: number, row: number}
 *   | {type: "ruler"}} Hit
 */

function lbPos(v, arr, lo, hi, x) {
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (v.pos(arr[mid]) < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * @param {any} s renderer state (p, v)
 * @param {number} px  canvas x (CSS px)
 * @param {number} py  canvas y (CSS px)
 * @returns {Hit|null}
 */
export function hitTest(s, px, py) {
  const { p, v } = s;
  if (py < RULER_H) return { type: "ruler" };
  const lane = v.laneAt(py);
  if (lane < 0) return null;
  if (px < v.plotLeft) return { type: "gutter", lane };
  const row = v.rowAt(py);
  const top = v.rowTop(row);
  const x = v.invX(px);
  const tol = 1.5 / v.k;

  if (lane === p.idleLane) {
    const idle = p.idle;
    const m = idle.length >> 1;
    const st = v.clock === "step" ? p.idleStep() : idle;
    let lo = 0;
    let hi = m;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (st[2 * mid + 1] < x - tol) lo = mid + 1;
      else hi = mid;
    }
    if (lo < m && st[2 * lo] <= x + tol) {
      return { type: "idle", a: idle[2 * lo], b: idle[2 * lo + 1], row };
    }
    return { type: "lane", lane, row };
  }

  // an event marker close by (only where markers are drawn: room around them)
  const near = py >= top - 2 && py <= top + ROW_H + 2;
  if (near) {
    const lo = p.rowStart[row];
    const hi = p.rowStart[row + 1];
    const ev = p.rowEv;
    const k = lbPos(v, ev, lo, hi, x);
    let best = -1;
    let bestD = EVENT_PX + 1;
    for (const c of [k - 1, k]) {
      if (c < lo || c >= hi) continue;
      const d = Math.abs(v.X(v.pos(ev[c])) - px);
      if (d < bestD) {
        bestD = d;
        best = c;
      }
    }
    if (best >= 0 && bestD <= EVENT_PX) {
      // the first of the events at that very x; it must stand apart from its
      // neighbours (drawn markers have > 7 px; a crowded event needs a close pointer)
      const xi = v.pos(ev[best]);
      let g0 = best;
      while (g0 > lo && v.pos(ev[g0 - 1]) === xi) g0--;
      let g1 = best + 1;
      while (g1 < hi && v.pos(ev[g1]) === xi) g1++;
      const X = v.X(xi);
      const leftGap = g0 > lo ? X - v.X(v.pos(ev[g0 - 1])) : Infinity;
      const rightGap = g1 < hi ? v.X(v.pos(ev[g1])) - X : Infinity;
      const room = Math.min(leftGap, rightGap);
      if (room > MARKER_GAP || (room > 2 && bestD <= room / 2)) {
        return { type: "event", i: ev[g0], row };
      }
    }
  }

  const inBar = py >= top + BAR_TOP - 2 && py <= top + BAR_TOP + BAR_H + 2;
  if (inBar) {
    const hit = span(s, p.sStart, p.sBeg, p.sEnd, p.sMax, row, x, tol);
    if (hit) return { type: "slice", ...hit, row };
  }
  const hit = span(s, p.uStart, p.uBeg, p.uEnd, p.uMax, row, x, tol);
  if (hit && near) return { type: "susp", ...hit, row };
  return { type: "lane", lane, row };
}

function span(s, start, beg, end, max, row, x, tol) {
  const { p, v } = s;
  const lo = start[row];
  const hi = start[row + 1];
  let k = lbPos(v, max, lo, hi, x - tol);
  let found = -1;
  for (let n = 0; k < hi && n < SCAN; k++, n++) {
    if (v.pos(beg[k]) > x + tol) break;
    if (v.pos(end[k]) >= x - tol) found = k;
  }
  if (found < 0) return null;
  return { i: beg[found], end: end[found], o: p.obj[beg[found]] };
}
