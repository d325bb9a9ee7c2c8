// Bars: running slices, suspended spans, loop idle time and the outline of the selected
// object's slices.  Per row, binary searches find the visible part; spans narrower than
// a pixel merge into pixel runs by jumping to the first one that starts in the next
// pixel column (PixelRuns), so a frame costs what the screen shows.

import { PixelRuns } from "../shared/runs.js";
import { partition } from "../shared/search.js";
import { colourOf } from "./frame.js";

/**
 * @typedef {import("./frame.js").FrameState} FrameState
 * @typedef {import("./frame.js").Label} Label
 */

/**
 * The running slices of row r (top y) between data x xa and xb.
 * @param {CanvasRenderingContext2D} ctx
 * @param {FrameState} s
 * @param {number} r
 * @param {number} y
 * @param {number} xa
 * @param {number} xb
 * @param {Label[]} labels  bars wide enough for their object's name
 */
export function drawSlices(ctx, s, r, y, xa, xb, labels) {
  const { p, v } = s;
  const sp = p.slices;
  const hi = sp.start[r + 1];
  const top = y + v.barTop;
  const wide = { lastEnd: -Infinity, label: /** @type {Label|null} */ (null), row: r };
  const runs = new PixelRuns((a, b, o) => {
    const ca = v.clampX(a);
    wide.lastEnd = Math.max(wide.lastEnd, b);
    ctx.fillStyle = colourOf(s, o);
    ctx.fillRect(ca, top, Math.max(1, v.clampX(b) - ca), v.barH);
  });
  for (let k = v.firstAt(sp.max, sp.start[r], hi, xa); k < hi;) {
    const beg = sp.beg[k];
    if (v.pos(beg) > xb) break;
    const px0 = v.X(v.pos(beg));
    const px1 = v.X(v.pos(sp.end[k]));
    if (px1 - px0 < 2) {
      const k2 = v.nextColumn(sp.beg, k, hi, px0);
      runs.add(px0, Math.max(px1, v.X(v.pos(sp.max[k2 - 1])), px0 + 1), p.obj[beg]);
      k = k2;
    } else {
      runs.flush();
      wideSlice(ctx, s, top, px0, px1, beg, wide, labels);
      k++;
    }
  }
  runs.flush();
}

/**
 * A slice wide enough to draw on its own; one that starts inside the one before (an
 * object driven by a sibling in the same row) is drawn nested: inset, with an outline.
 * @param {CanvasRenderingContext2D} ctx
 * @param {FrameState} s
 * @param {number} top
 * @param {number} px0
 * @param {number} px1
 * @param {number} beg  the event that began it
 * @param {{lastEnd: number, label: Label|null, row: number}} wide  the slices drawn before in the row
 * @param {Label[]} labels
 */
function wideSlice(ctx, s, top, px0, px1, beg, wide, labels) {
  const { p, v, theme } = s;
  const a = v.clampX(px0);
  const b = v.clampX(px1);
  const o = p.obj[beg];
  const w = b - a;
  const nested = px0 < wide.lastEnd - 0.5;
  const inset = nested ? 2.5 : 0;
  ctx.fillStyle = colourOf(s, o);
  ctx.fillRect(a + (w > 4 ? 0.5 : 0), top + inset, w > 4 ? w - 1 : w, v.barH - 2 * inset);
  if (nested) {
    ctx.strokeStyle = theme.bg;
    ctx.lineWidth = 1;
    ctx.strokeRect(a + 0.5, top + inset - 0.5, Math.max(1, w - 1), v.barH - 2 * inset + 1);
    // the enclosing slice's label stays left of the nested one
    if (wide.label && wide.label[2] > a) wide.label[2] = a;
  }
  wide.lastEnd = Math.max(wide.lastEnd, px1);
  if (w > 28) labels.push((wide.label = ["slice", a, b, top + v.barH / 2, o, beg, wide.row]));
}

/**
 * The suspended spans of row r: thin lines, named by what they await when wide.
 * @param {CanvasRenderingContext2D} ctx
 * @param {FrameState} s
 * @param {number} r
 * @param {number} y
 * @param {number} xa
 * @param {number} xb
 * @param {Label[]} labels
 */
export function drawSuspensions(ctx, s, r, y, xa, xb, labels) {
  const { p, v, theme } = s;
  const sp = p.susps;
  const hi = sp.start[r + 1];
  const mid = y + v.barTop + v.barH / 2;
  ctx.globalAlpha = theme.dark ? 0.8 : 0.55;
  const runs = new PixelRuns((a, b, o) => {
    const ca = v.clampX(a);
    ctx.fillStyle = colourOf(s, o);
    ctx.fillRect(ca, mid - 1, Math.max(1, v.clampX(b) - ca), 2);
  });
  for (let k = v.firstAt(sp.max, sp.start[r], hi, xa); k < hi;) {
    const beg = sp.beg[k];
    if (v.pos(beg) > xb) break;
    const px0 = v.X(v.pos(beg));
    const px1 = v.X(v.pos(sp.end[k]));
    if (px1 - px0 < 2) {
      const k2 = v.nextColumn(sp.beg, k, hi, px0);
      runs.add(px0, Math.max(px1, v.X(v.pos(sp.max[k2 - 1])), px0 + 1), p.obj[beg]);
      k = k2;
      continue;
    }
    runs.flush();
    runs.add(px0, px1, p.obj[beg]);
    const target = px1 - px0 > 60 && p.kind[beg] === p.AWAIT ? p.targetOf(beg) : -1;
    if (target >= 0 && p.objects[target]) {
      labels.push(["await", v.clampX(px0), v.clampX(px1), mid, target, beg, r]);
    }
    k++;
  }
  runs.flush();
  ctx.globalAlpha = 1;
}

/**
 * Loop idle time, hatched, in row r.
 * @param {CanvasRenderingContext2D} ctx
 * @param {FrameState} s
 * @param {number} r
 * @param {number} xa
 * @param {number} xb
 */
export function drawIdle(ctx, s, r, xa, xb) {
  const { p, v, theme } = s;
  const m = p.idle.length >> 1;
  if (!m) return;
  // span j runs from st[2j] to st[2j + 1], in data x
  const st = v.clock === "step" ? p.idleStep() : p.idle;
  const y = v.rowTop(r) + v.barTop;
  ctx.fillStyle = s.hatch || theme.object.idle;
  const runs = new PixelRuns((a, b) => {
    const ca = v.clampX(a);
    ctx.fillRect(ca, y, Math.max(1.5, v.clampX(b) - ca), v.barH);
  });
  let j = partition(0, m, (k) => st[2 * k + 1] < xa);
  while (j < m && st[2 * j] <= xb) {
    const pa = v.X(st[2 * j]);
    const pb = v.X(st[2 * j + 1]);
    runs.add(pa, pb);
    if (pb - pa >= 2) {
      j++;
      continue;
    }
    // jump to the first span starting in the next pixel column
    const next = v.invX(Math.floor(pa) + 1);
    const j2 = partition(j + 1, m, (k) => st[2 * k] < next);
    if (j2 - 1 > j) runs.extend(v.X(st[2 * (j2 - 1) + 1]));
    j = j2;
  }
  runs.flush();
}

/**
 * An outline around the running slices of each selected object.
 * @param {CanvasRenderingContext2D} ctx
 * @param {FrameState} s
 * @param {number} xa
 * @param {number} xb
 */
export function drawSelected(ctx, s, xa, xb) {
  const { v, theme } = s;
  ctx.strokeStyle = theme.fg;
  ctx.lineWidth = 2;
  for (const o of s.selSet) {
    const r = v.display.shownRow(o);
    if (r < 0) continue;
    const y = v.rowTop(r) + v.barTop;
    if (y > v.height || y + v.barH < v.rulerH) continue;
    const runs = new PixelRuns((a, b) => {
      const ca = v.clampX(a);
      ctx.strokeRect(ca - 1, y - 1, Math.max(2, v.clampX(b) - ca) + 2, v.barH + 2);
    }, 3);
    outlineRuns(s, o, xa, xb, runs);
    runs.flush();
  }
}

/**
 * @param {FrameState} s
 * @param {number} o
 * @param {number} xa
 * @param {number} xb
 * @param {PixelRuns} runs
 */
function outlineRuns(s, o, xa, xb, runs) {
  const { p, v } = s;
  const ev = p.objEv;
  const lo = p.objStart[o];
  const hi = p.objStart[o + 1];
  for (let k = Math.max(lo, v.firstAt(ev, lo, hi, xa) - 1); k < hi;) {
    const i = ev[k];
    if (v.pos(i) > xb) break;
    if (!p.isBegin[p.kind[i]]) {
      k++;
      continue;
    }
    const pa = v.X(v.pos(i));
    const pb = v.X(v.pos(p.partner[i] < 0 ? p.n : p.partner[i]));
    runs.add(pa, pb);
    if (pb - pa < 2) {
      const k2 = v.nextColumn(ev, k, hi, pa);
      runs.extend(v.X(v.pos(ev[k2 - 1])));
      k = k2;
    } else k++;
  }
}
