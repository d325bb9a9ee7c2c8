// The diagnostics (Trace.diagnostics(): the loop blocked, a timer late, a task never
// finished…) marked on the timeline: a tinted span over t0..t1 in the rows of each
// diagnostic's objects — a band over the whole plot when it names none — outlined more
// strongly for the one picked in the list above the timeline.

/**
 * @typedef {import("./frame.js").FrameState} FrameState
 * @typedef {import("./payload.js").Diagnostic} Diagnostic
 */

const MIN_PX = 3; // a span is drawn at least this wide

/**
 * Data x of a time in ns since the trace started (step time: the slot of the first
 * event at or after it).
 * @param {FrameState} s
 * @param {number} ns
 */
export function xOfNs(s, ns) {
  const { p, v } = s;
  const ticks = ns / p.tickNs;
  return v.clock === "step" ? p.eventAtTime(ticks) : ticks;
}

/**
 * @param {CanvasRenderingContext2D} ctx
 * @param {FrameState} s
 */
export function drawDiagnostics(ctx, s) {
  const { p, v, theme } = s;
  const list = p.diagnostics;
  if (!list.length) return;
  ctx.save();
  for (let k = 0; k < list.length; k++) {
    const d = list[k];
    let a = v.X(xOfNs(s, d.t0));
    let b = v.X(xOfNs(s, Math.max(d.t0, d.t1)));
    if (b < v.plotLeft || a > v.width) continue;
    if (b - a < MIN_PX) {
      a -= (MIN_PX - (b - a)) / 2;
      b = a + MIN_PX;
    }
    const picked = k === s.diagnostic;
    ctx.fillStyle = theme.marker.raise;
    ctx.strokeStyle = theme.marker.raise;
    ctx.lineWidth = picked ? 2 : 1;
    for (const [top, h] of bands(s, d)) {
      ctx.globalAlpha = picked ? 0.22 : 0.12;
      ctx.fillRect(a, top, b - a, h);
      ctx.globalAlpha = picked ? 0.95 : 0.6;
      ctx.setLineDash(picked ? [] : [4, 3]);
      ctx.strokeRect(a + 0.5, top + 0.5, b - a - 1, h - 1);
    }
  }
  ctx.restore();
}

/**
 * [top, height] of each band diagnostic d covers: the rows its objects are shown in,
 * or the whole plot.
 * @param {FrameState} s
 * @param {Diagnostic} d
 * @returns {[number, number][]}
 */
function bands(s, d) {
  const { v } = s;
  const rows = new Set();
  for (const o of d.objects || []) {
    const r = o >= 0 && o < s.p.objects.length ? v.display.shownRow(o) : -1;
    if (r >= 0) rows.add(r);
  }
  if (!rows.size) return [[v.rulerH, v.height - v.rulerH]];
  return [...rows].map((r) => [v.rowTop(r) + 1, v.rowH - 2]);
}
