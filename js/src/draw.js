// Canvas drawing of one frame.  Level of detail keeps a frame proportional to the
// pixels on screen, not to the events in the trace: per row, binary searches find the
// visible part; slices narrower than a pixel are merged into pixel runs by jumping to
// the first slice that starts in the next pixel column; markers are drawn only where a
// marker has room (> 3 px to its neighbours), and dense clusters are skipped the same way.

import { addGlyph, STROKED } from "./glyphs.js";
import { fitText, formatCount, formatTick, niceStep } from "./format.js";
import { BAR_H, BAR_TOP, LANE_PAD, MARK_Y, ROW_H, RULER_H } from "./view.js";

const MARKER_R = 3.9;
const MARKER_GAP = 7; // px between markers before they are drawn
const VALUE_KINDS = new Set(["yield", "resume", "throw", "return", "raise", "await"]);

/**
 * @typedef {import("./payload.js").Payload} Payload
 * @typedef {import("./view.js").View} View
 * @typedef {import("./colours.js").Theme} Theme
 *
 * @typedef {object} Frame  what a frame drew (for hit hints, value requests, tests)
 * @property {number} lanes     lanes drawn
 * @property {number[]} markers  flat [event, x, y, room, …] of drawn markers
 * @property {number[]} missing  events on screen whose value is not known yet
 */

/** First k in [lo, hi) with pos(arr[k]) >= x. */
function lbPos(v, arr, lo, hi, x) {
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (v.pos(arr[mid]) < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** A diagonal hatch for loop idle time. */
export function makeHatch(ctx, theme) {
  const c = document.createElement("canvas");
  c.width = 8;
  c.height = 8;
  const g = c.getContext("2d");
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
 * @param {any} s  the renderer's state: p, v, theme, selection, selSet, relations,
 *                 relationsFaint, hover, cursor, cache, hatch
 * @returns {Frame}
 */
export function drawFrame(ctx, s) {
  const { p, v, theme } = s;
  const W = v.width;
  const H = v.height;
  /** @type {Frame} */
  const frame = { lanes: 0, markers: [], missing: [] };
  ctx.save();
  ctx.fillStyle = theme.bg;
  ctx.fillRect(0, 0, W, H);
  ctx.textBaseline = "middle";

  const [l0, l1] = v.visibleLanes();
  const [xa, xb] = v.range();
  const left = v.plotLeft;
  const right = W;

  // lane bands
  for (let l = l0; l <= l1; l++) {
    const y = v.laneTop(l);
    const h = v.laneY[l + 1] - v.laneY[l];
    ctx.fillStyle = l % 2 ? theme.bandB : theme.bandA;
    ctx.fillRect(0, y, W, h);
    const owner = p.lanes[l].object;
    if (s.selection >= 0 && (owner === s.selection || s.selLanes.has(l))) {
      ctx.fillStyle = theme.select;
      ctx.fillRect(0, y, W, h);
    }
  }

  // grid
  const ticks = rulerTicks(p, v);
  ctx.strokeStyle = theme.grid;
  ctx.lineWidth = 1;
  ctx.beginPath();
  for (const [x] of ticks) {
    const px = Math.round(v.X(x)) + 0.5;
    ctx.moveTo(px, RULER_H);
    ctx.lineTo(px, H);
  }
  ctx.stroke();

  // the plot: clip to the right of the gutter
  ctx.save();
  ctx.beginPath();
  ctx.rect(left, RULER_H, W - left, H - RULER_H);
  ctx.clip();

  if (!p.n) {
    ctx.fillStyle = theme.muted;
    ctx.font = `13px ${theme.font}`;
    ctx.textAlign = "center";
    ctx.fillText("no generator, coroutine or task ran in scope", left + (W - left) / 2,
      RULER_H + (H - RULER_H) / 2);
    ctx.textAlign = "left";
  }

  const glyphs = new Map();
  const labels = [];
  for (let l = l0; l <= l1; l++) {
    frame.lanes++;
    if (l === p.idleLane) {
      drawIdle(ctx, s, p.laneRow0[l], xa, xb, left, right);
      continue;
    }
    for (let r = p.laneRow0[l]; r < p.laneRow0[l + 1]; r++) {
      const y = v.rowTop(r);
      if (y > H || y + ROW_H < RULER_H) continue;
      drawSuspensions(ctx, s, r, y, xa, xb, left, right, labels);
      drawSlices(ctx, s, r, y, xa, xb, left, right, labels);
      collectMarkers(s, r, y, xa, xb, right, glyphs, frame);
    }
  }
  if (s.selSet.size) drawSelected(ctx, s, xa, xb, left, right);

  // markers, batched per kind
  ctx.lineJoin = "round";
  for (const [kind, path] of glyphs) {
    const colour = theme.marker[kind] || theme.fg;
    if (kind === "") {
      ctx.fillStyle = theme.muted;
      ctx.globalAlpha = 0.6;
      ctx.fill(path);
      ctx.globalAlpha = 1;
    } else if (STROKED.has(kind)) {
      ctx.strokeStyle = theme.bg;
      ctx.lineWidth = 3.6;
      ctx.stroke(path);
      ctx.strokeStyle = colour;
      ctx.lineWidth = 1.7;
      ctx.stroke(path);
    } else {
      ctx.strokeStyle = theme.bg;
      ctx.lineWidth = 2;
      ctx.stroke(path);
      ctx.fillStyle = colour;
      ctx.fill(path);
    }
  }

  drawTextLabels(ctx, s, labels);
  drawValues(ctx, s, frame);
  drawRelations(ctx, s, left, right);
  drawCursorAndHover(ctx, s);
  ctx.restore(); // plot clip

  drawGutter(ctx, s, l0, l1);
  drawRuler(ctx, s, ticks);
  drawScrollbar(ctx, s);
  ctx.restore();
  return frame;
}

function clampPx(x, left, right) {
  return Math.max(left - 4, Math.min(right + 4, x));
}

function drawSlices(ctx, s, r, y, xa, xb, left, right, labels) {
  const { p, v, theme } = s;
  const lo = p.sStart[r];
  const hi = p.sStart[r + 1];
  if (lo === hi) return;
  let k = lbPos(v, p.sMax, lo, hi, xa);
  const top = y + BAR_TOP;
  let runA = 0;
  let runB = -1e9;
  let runObj = -1;
  let active = false;
  let lastEnd = -Infinity;
  let lastLabel = null;
  const flush = () => {
    if (!active) return;
    const a = clampPx(runA, left, right);
    const b = clampPx(runB, left, right);
    lastEnd = Math.max(lastEnd, runB);
    ctx.fillStyle = colourOf(p, theme, runObj);
    ctx.fillRect(a, top, Math.max(1, b - a), BAR_H);
    active = false;
  };
  while (k < hi) {
    const beg = p.sBeg[k];
    const x0 = v.pos(beg);
    if (x0 > xb) break;
    const px0 = v.X(x0);
    let px1 = v.X(v.pos(p.sEnd[k]));
    if (px1 - px0 < 2) {
      // narrow: merge every slice that starts within this pixel column into one run
      const k2 = Math.max(k + 1, lbPos(v, p.sBeg, k + 1, hi, v.invX(Math.floor(px0) + 1)));
      px1 = Math.max(px1, v.X(v.pos(p.sMax[k2 - 1])), px0 + 1);
      if (active && px0 <= runB + 0.75 && runB - runA < 1e9) {
        runB = Math.max(runB, px1);
      } else {
        flush();
        runA = px0;
        runB = px1;
        runObj = p.obj[beg];
        active = true;
      }
      k = k2;
    } else {
      flush();
      const a = clampPx(px0, left, right);
      const b = clampPx(px1, left, right);
      const o = p.obj[beg];
      const w = b - a;
      // a slice that starts inside the previous one (an object driven by a sibling in
      // the same row) is drawn nested: inset, with an outline
      const nested = px0 < lastEnd - 0.5;
      const inset = nested ? 2.5 : 0;
      ctx.fillStyle = colourOf(p, theme, o);
      ctx.fillRect(a + (w > 4 ? 0.5 : 0), top + inset, w > 4 ? w - 1 : w, BAR_H - 2 * inset);
      if (nested) {
        ctx.strokeStyle = theme.bg;
        ctx.lineWidth = 1;
        ctx.strokeRect(a + 0.5, top + inset - 0.5, Math.max(1, w - 1), BAR_H - 2 * inset + 1);
      }
      lastEnd = Math.max(lastEnd, px1);
      // the enclosing slice's label stays left of the nested one
      if (nested && lastLabel && lastLabel[2] > a) lastLabel[2] = a;
      if (w > 28) labels.push((lastLabel = ["slice", a, b, top + BAR_H / 2, o, beg]));
      k++;
    }
  }
  flush();
}

function drawSuspensions(ctx, s, r, y, xa, xb, left, right, labels) {
  const { p, v, theme } = s;
  const lo = p.uStart[r];
  const hi = p.uStart[r + 1];
  if (lo === hi) return;
  let k = lbPos(v, p.uMax, lo, hi, xa);
  const mid = y + BAR_TOP + BAR_H / 2;
  ctx.globalAlpha = theme.dark ? 0.8 : 0.55;
  let runA = 0;
  let runB = -1e9;
  let runObj = -1;
  let active = false;
  const flush = () => {
    if (!active) return;
    const a = clampPx(runA, left, right);
    const b = clampPx(runB, left, right);
    ctx.fillStyle = colourOf(p, theme, runObj);
    ctx.fillRect(a, mid - 1, Math.max(1, b - a), 2);
    active = false;
  };
  while (k < hi) {
    const beg = p.uBeg[k];
    const x0 = v.pos(beg);
    if (x0 > xb) break;
    const px0 = v.X(x0);
    let px1 = v.X(v.pos(p.uEnd[k]));
    if (px1 - px0 < 2) {
      const k2 = Math.max(k + 1, lbPos(v, p.uBeg, k + 1, hi, v.invX(Math.floor(px0) + 1)));
      px1 = Math.max(px1, v.X(v.pos(p.uMax[k2 - 1])), px0 + 1);
      if (active && px0 <= runB + 0.75) runB = Math.max(runB, px1);
      else {
        flush();
        runA = px0;
        runB = px1;
        runObj = p.obj[beg];
        active = true;
      }
      k = k2;
    } else {
      flush();
      runA = px0;
      runB = px1;
      runObj = p.obj[beg];
      active = true;
      if (px1 - px0 > 60 && p.kind[beg] === p.AWAIT) {
        const target = p.targetOf(beg);
        if (target >= 0 && p.objects[target]) {
          labels.push(["await", clampPx(px0, left, right), clampPx(px1, left, right), mid,
            target, beg]);
        }
      }
      k++;
    }
  }
  flush();
  ctx.globalAlpha = 1;
}

function drawIdle(ctx, s, r, xa, xb, left, right) {
  const { p, v, theme } = s;
  const idle = p.idle;
  const m = idle.length >> 1;
  if (!m) return;
  const step = v.clock === "step";
  const st = step ? p.idleStep() : null;
  const at = (j) => (step ? st[j] : idle[j]);
  // first span whose end is >= xa
  let lo = 0;
  let hi = m;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (at(2 * mid + 1) < xa) lo = mid + 1;
    else hi = mid;
  }
  const y = v.rowTop(r) + BAR_TOP;
  ctx.fillStyle = s.hatch || theme.object.idle;
  let j = lo;
  let runA = 0;
  let runB = -1e9;
  let active = false;
  const flush = () => {
    if (!active) return;
    const a = clampPx(runA, left, right);
    const b = clampPx(runB, left, right);
    ctx.fillRect(a, y, Math.max(1.5, b - a), BAR_H);
    active = false;
  };
  while (j < m) {
    const a = at(2 * j);
    if (a > xb) break;
    const pa = v.X(a);
    const pb = v.X(at(2 * j + 1));
    if (active && pa <= runB + 0.75) runB = Math.max(runB, pb);
    else {
      flush();
      runA = pa;
      runB = pb;
      active = true;
    }
    if (pb - pa < 2) {
      // jump to the first span starting in the next pixel column
      const target = v.invX(Math.floor(pa) + 1);
      let a2 = j + 1;
      let b2 = m;
      while (a2 < b2) {
        const mid = (a2 + b2) >>> 1;
        if (at(2 * mid) < target) a2 = mid + 1;
        else b2 = mid;
      }
      if (a2 - 1 > j) runB = Math.max(runB, v.X(at(2 * (a2 - 1) + 1)));
      j = a2;
    } else j++;
  }
  flush();
}

function collectMarkers(s, r, y, xa, xb, right, glyphs, frame) {
  const { p, v } = s;
  const lo = p.rowStart[r];
  const hi = p.rowStart[r + 1];
  if (lo === hi) return;
  const ev = p.rowEv;
  const mid = y + MARK_Y;
  let k = lbPos(v, ev, lo, hi, xa - 8 / v.k);
  let prevX = k > lo ? v.X(v.pos(ev[k - 1])) : -Infinity;
  while (k < hi) {
    const i = ev[k];
    const xi = v.pos(i);
    const x = v.X(xi);
    if (x > right + 8) break;
    // events at the very same x form one group: draw its first
    let g = k + 1;
    while (g < hi && g < k + 16 && v.pos(ev[g]) === xi) g++;
    if (g === k + 16) g = lbPos(v, ev, g, hi, xi + 1e-9);
    const nextX = g < hi ? v.X(v.pos(ev[g])) : Infinity;
    if (x - prevX > MARKER_GAP && nextX - x > MARKER_GAP) {
      const kind = p.kinds[p.kind[i]];
      let path = glyphs.get(kind);
      if (!path) glyphs.set(kind, (path = new Path2D()));
      addGlyph(path, kind, x, mid, MARKER_R);
      frame.markers.push(i, x, mid, Math.min(nextX - x, 4000));
      prevX = x;
      k = g;
    } else if (nextX - x <= MARKER_GAP) {
      // a cluster: a small tick says "zoom in here"
      const k2 = Math.max(g, lbPos(v, ev, g, hi, v.invX(x + MARKER_GAP)));
      let c = glyphs.get("");
      if (!c) glyphs.set("", (c = new Path2D()));
      const x2 = Math.min(right + 8, v.X(v.pos(ev[k2 - 1])));
      c.rect(x, mid - 1.5, Math.max(1.5, x2 - x), 3);
      prevX = v.X(v.pos(ev[k2 - 1]));
      k = k2;
    } else {
      prevX = x;
      k = g;
    }
  }
}

function drawSelected(ctx, s, xa, xb, left, right) {
  const { p, v, theme } = s;
  ctx.strokeStyle = theme.fg;
  ctx.lineWidth = 2;
  for (const o of s.selSet) {
    const r = p.rowOfObj[o];
    if (r < 0) continue;
    const y = v.rowTop(r) + BAR_TOP;
    if (y > v.height || y + BAR_H < RULER_H) continue;
    const lo = p.objStart[o];
    const hi = p.objStart[o + 1];
    const ev = p.objEv;
    let k = Math.max(lo, lbPos(v, ev, lo, hi, xa) - 1);
    let runA = 0;
    let runB = -1e9;
    let active = false;
    const flush = () => {
      if (!active) return;
      const a = clampPx(runA, left, right);
      const b = clampPx(runB, left, right);
      ctx.strokeRect(a - 1, y - 1, Math.max(2, b - a) + 2, BAR_H + 2);
      active = false;
    };
    while (k < hi) {
      const i = ev[k];
      const x0 = v.pos(i);
      if (x0 > xb) break;
      if (!p.isBegin[p.kind[i]]) {
        k++;
        continue;
      }
      const end = p.partner[i] < 0 ? p.n : p.partner[i];
      const pa = v.X(x0);
      const pb = v.X(v.pos(end));
      if (active && pa <= runB + 3) runB = Math.max(runB, pb);
      else {
        flush();
        runA = pa;
        runB = pb;
        active = true;
      }
      if (pb - pa < 2) {
        const k2 = Math.max(k + 1, lbPos(v, ev, k + 1, hi, v.invX(Math.floor(pa) + 1)));
        runB = Math.max(runB, v.X(v.pos(ev[k2 - 1])));
        k = k2;
      } else k++;
    }
    flush();
  }
}

function drawTextLabels(ctx, s, labels) {
  const { p, theme } = s;
  if (!labels.length) return;
  ctx.font = `11px ${theme.font}`;
  ctx.textAlign = "left";
  labels.sort((u, w) => u[3] - w[3] || u[1] - w[1]);
  const taken = new Map(); // row y → right edge of the last label drawn there
  for (const [type, a0, b, y, o, i] of labels) {
    const obj = p.objects[o];
    if (!obj) continue;
    const a = Math.max(a0, (taken.get(y) ?? -Infinity) + 6);
    if (b - a < 20) continue;
    if (type === "slice") {
      let text = obj.label;
      const d = s.details.get(i);
      if (d && d.kind === "resume" && d.value !== null && d.value !== undefined && d.value !== "None") {
        text += ` ← ${d.value}`;
      }
      const fit = fitText(ctx, text, b - a - 8);
      if (!fit || (fit !== text && fit.length < 4)) continue;
      ctx.fillStyle = theme.objectText[obj.kind] || "#fff";
      const w = ctx.measureText(fit).width;
      const x = a + Math.max(4, (b - a - w) / 2);
      ctx.fillText(fit, x, y + 0.5);
      taken.set(y, x + w);
    } else {
      const text = `→ ${obj.label}`;
      const fit = fitText(ctx, text, b - a - 16);
      if (!fit || (fit !== text && fit.length < 4)) continue;
      haloText(ctx, fit, a + 10, y - 0.5, theme.muted, theme.bg);
      taken.set(y, a + 10 + ctx.measureText(fit).width);
    }
  }
}

function haloText(ctx, text, x, y, colour, halo) {
  ctx.lineJoin = "round";
  ctx.strokeStyle = halo;
  ctx.lineWidth = 3;
  ctx.strokeText(text, x, y);
  ctx.fillStyle = colour;
  ctx.fillText(text, x, y);
}

function drawValues(ctx, s, frame) {
  const { p, theme } = s;
  const m = frame.markers;
  if (!m.length) return;
  ctx.font = `10.5px ${theme.mono}`;
  ctx.textAlign = "left";
  for (let j = 0; j < m.length; j += 4) {
    const i = m[j];
    const room = m[j + 3];
    if (room < 22) continue;
    const kind = p.kinds[p.kind[i]];
    if (!VALUE_KINDS.has(kind)) continue;
    if (kind === "await" && p.targetOf(i) >= 0) continue; // the span names it
    const d = s.details.get(i);
    if (!d) {
      frame.missing.push(i);
      continue;
    }
    let v = d.value;
    if (v === null || v === undefined) continue;
    if ((kind === "resume" || kind === "return") && v === "None") continue;
    if (kind === "resume") v = `← ${v}`;
    else if (kind === "return") v = `= ${v}`;
    const fit = fitText(ctx, v, room - 12);
    if (!fit || (fit !== v && fit.length < 3)) continue;
    haloText(ctx, fit, m[j + 1] + 6, m[j + 2] + 0.5, theme.fg, theme.bg);
  }
}

function drawRelations(ctx, s, left, right) {
  const { v, theme } = s;
  const rels = s.relations;
  if (!rels || !rels.length) return;
  const faint = s.relationsFaint;
  ctx.save();
  ctx.globalAlpha = faint ? 0.35 : 0.9;
  ctx.lineWidth = faint ? 1 : 1.6;
  const colour = {
    spawn: theme.object.task,
    await: theme.marker.await,
    wake: theme.marker.resume,
  };
  for (const rel of rels) {
    const x1 = v.X(v.pos(rel.from));
    const x2 = v.X(v.pos(rel.to));
    if (Math.max(x1, x2) < left - 20 || Math.min(x1, x2) > right + 20) continue;
    const y1 = v.rowMid(rel.fromRow);
    const y2 = v.rowMid(rel.toRow);
    if (Math.max(y1, y2) < RULER_H || Math.min(y1, y2) > v.height) continue;
    ctx.strokeStyle = colour[rel.type];
    ctx.fillStyle = colour[rel.type];
    ctx.setLineDash(rel.type === "spawn" ? [4, 3] : rel.type === "wake" ? [2, 2] : []);
    const dx = x2 - x1;
    const dy = y2 - y1;
    let c1x;
    let c1y;
    let c2x;
    let c2y;
    if (Math.abs(dx) < 1) {
      // same moment (a spawn): straight down or up
      c1x = x1;
      c1y = y1 + dy / 3;
      c2x = x2;
      c2y = y2 - dy / 3;
    } else if (Math.abs(dx) < 40) {
      const bow = 18 * (rel.type === "wake" ? -1 : 1);
      c1x = x1 + bow;
      c1y = y1 + dy * 0.3;
      c2x = x2 + bow;
      c2y = y2 - dy * 0.3;
    } else {
      c1x = x1 + dx * 0.5;
      c1y = y1;
      c2x = x1 + dx * 0.5;
      c2y = y2;
    }
    ctx.beginPath();
    ctx.moveTo(x1, y1);
    ctx.bezierCurveTo(c1x, c1y, c2x, c2y, x2, y2);
    ctx.stroke();
    ctx.setLineDash([]);
    const ang = Math.atan2(y2 - c2y, x2 - c2x);
    const a = 6;
    ctx.beginPath();
    ctx.moveTo(x2, y2);
    ctx.lineTo(x2 - a * Math.cos(ang - 0.45), y2 - a * Math.sin(ang - 0.45));
    ctx.lineTo(x2 - a * Math.cos(ang + 0.45), y2 - a * Math.sin(ang + 0.45));
    ctx.closePath();
    ctx.fill();
  }
  ctx.restore();
}

function drawCursorAndHover(ctx, s) {
  const { p, v, theme } = s;
  const ring = (i, colour) => {
    const r = p.rowOfObj[p.obj[i]];
    if (r < 0) return;
    const x = v.X(v.pos(i));
    const y = v.markY(r);
    ctx.beginPath();
    ctx.arc(x, y, 6.5, 0, Math.PI * 2);
    ctx.strokeStyle = theme.bg;
    ctx.lineWidth = 4;
    ctx.stroke();
    ctx.strokeStyle = colour;
    ctx.lineWidth = 2;
    ctx.stroke();
  };
  if (s.cursor >= 0 && s.cursor < p.n) {
    const x = Math.round(v.X(v.pos(s.cursor))) + 0.5;
    ctx.strokeStyle = theme.accent;
    ctx.lineWidth = 1.5;
    ctx.beginPath();
    ctx.moveTo(x, RULER_H);
    ctx.lineTo(x, v.height);
    ctx.stroke();
    ring(s.cursor, theme.accent);
  }
  const h = s.hover;
  if (h && h.type === "event") ring(h.i, theme.fg);
  else if (h && (h.type === "slice" || h.type === "susp")) {
    const a = v.X(v.pos(h.i));
    const b = v.X(v.pos(h.end));
    const y = v.rowTop(h.row) + BAR_TOP;
    ctx.strokeStyle = theme.fg;
    ctx.lineWidth = 1;
    ctx.setLineDash([3, 2]);
    ctx.strokeRect(Math.max(v.plotLeft - 2, a) - 1.5, y - 1.5,
      Math.min(v.width + 2, b) - Math.max(v.plotLeft - 2, a) + 3, BAR_H + 3);
    ctx.setLineDash([]);
  }
}

const KIND_TAG = {
  task: "task",
  generator: "gen",
  coroutine: "coro",
  async_generator: "agen",
  future: "fut",
};

function drawGutter(ctx, s, l0, l1) {
  const { p, v, theme } = s;
  const g = v.gutter;
  ctx.fillStyle = theme.bg;
  ctx.fillRect(0, RULER_H, g, v.height - RULER_H);
  ctx.textAlign = "left";
  for (let l = l0; l <= l1; l++) {
    const lane = p.lanes[l];
    const y = v.laneTop(l);
    const h = v.laneY[l + 1] - v.laneY[l];
    ctx.fillStyle = l % 2 ? theme.bandB : theme.bandA;
    ctx.fillRect(0, y, g, h);
    const selected = s.selection >= 0 && (lane.object === s.selection || s.selLanes.has(l));
    if (selected) {
      ctx.fillStyle = theme.select;
      ctx.fillRect(0, y, g, h);
      ctx.fillStyle = theme.marker.await;
      ctx.fillRect(0, y, 3, h);
    }
    const hovered = s.hoverLane === l;
    // lane label on its first row, a kind tag on the right
    const r0 = p.laneRow0[l];
    const ym = v.rowMid(r0);
    const obj = lane.object !== null && lane.object !== undefined ? p.objects[lane.object] : null;
    const tag = lane.kind === "idle" ? "loop" : obj ? KIND_TAG[obj.kind] || obj.kind : "";
    ctx.font = `10px ${theme.font}`;
    const tagW = tag ? ctx.measureText(tag).width + 8 : 0;
    ctx.font = `${selected || hovered ? "600 " : ""}12px ${theme.font}`;
    ctx.fillStyle = lane.kind === "idle" ? theme.muted : theme.fg;
    ctx.fillText(fitText(ctx, lane.label, g - 16 - tagW), 8, ym);
    if (tag) {
      ctx.font = `10px ${theme.font}`;
      ctx.fillStyle = theme.muted;
      ctx.fillText(tag, g - 6 - tagW + 4, ym);
    }
    // deeper rows: what runs there
    ctx.font = `11px ${theme.font}`;
    for (let r = r0 + 1; r < p.laneRow0[l + 1]; r++) {
      const objs = p.rowObjects[r];
      const d = p.rowDepth[r];
      const text = rowLabel(p, objs);
      ctx.fillStyle = theme.muted;
      const indent = 8 + Math.min(d, 6) * 8;
      ctx.fillText(fitText(ctx, `↳ ${text}`, g - indent - 6), indent, v.rowMid(r));
    }
  }
  // separators
  ctx.strokeStyle = theme.grid;
  ctx.lineWidth = 1;
  ctx.beginPath();
  for (let l = l0; l <= l1 + 1 && l <= p.lanes.length; l++) {
    const y = Math.round(v.laneTop(l)) + 0.5;
    if (y < RULER_H) continue;
    ctx.moveTo(0, y);
    ctx.lineTo(v.width, y);
  }
  ctx.moveTo(g + 0.5, RULER_H);
  ctx.lineTo(g + 0.5, v.height);
  ctx.stroke();
}

/** What a deeper row holds: "fetch#1", "fetch#1, fetch#4", "fetch ×12", "3 objects". */
export function rowLabel(p, objs) {
  if (objs.length === 1) return p.objects[objs[0]].label;
  const base = (o) => p.objects[o].label.replace(/#\d+$/, "");
  const first = base(objs[0]);
  if (objs.every((o) => base(o) === first)) return `${first} ×${formatCount(objs.length)}`;
  if (objs.length <= 3) return objs.map((o) => p.objects[o].label).join(", ");
  return `${formatCount(objs.length)} objects`;
}

/** Ruler ticks: [data x, label] pairs for the visible range. */
function rulerTicks(p, v) {
  const [a, b] = v.range();
  const out = [];
  if (v.clock === "step") {
    const step = niceStep(1 / v.k, 80, 1);
    const first = Math.max(0, Math.ceil((a - 0.5) / step) * step);
    for (let e = first; e + 0.5 <= b && out.length < 200; e += step) {
      if (e >= p.n && p.n) break;
      out.push([e + 0.5, `#${formatCount(e)}`]);
    }
  } else {
    const tick = p.tickNs;
    const stepNs = niceStep(tick / v.k, 90);
    const stepT = stepNs / tick;
    const first = Math.max(0, Math.ceil(a / stepT) * stepT);
    for (let x = first; x <= b && out.length < 200; x += stepT) {
      out.push([x, formatTick(x * tick, stepNs)]);
    }
  }
  return out;
}

function drawRuler(ctx, s, ticks) {
  const { p, v, theme } = s;
  ctx.fillStyle = theme.bg;
  ctx.fillRect(0, 0, v.width, RULER_H);
  ctx.strokeStyle = theme.grid;
  ctx.lineWidth = 1;
  ctx.beginPath();
  ctx.moveTo(0, RULER_H - 0.5);
  ctx.lineTo(v.width, RULER_H - 0.5);
  ctx.stroke();
  ctx.font = `11px ${theme.font}`;
  ctx.fillStyle = theme.muted;
  ctx.textAlign = "left";
  ctx.fillText(v.clock === "step" ? "step (event #)" : "wall time", 8, RULER_H / 2);
  ctx.save();
  ctx.beginPath();
  ctx.rect(v.plotLeft, 0, v.width - v.plotLeft, RULER_H);
  ctx.clip();
  ctx.strokeStyle = theme.muted;
  ctx.beginPath();
  for (const [x, label] of ticks) {
    const px = Math.round(v.X(x)) + 0.5;
    ctx.moveTo(px, RULER_H - 6);
    ctx.lineTo(px, RULER_H);
    ctx.fillStyle = theme.muted;
    ctx.fillText(label, px + 3, RULER_H / 2 - 2);
  }
  ctx.stroke();
  if (s.cursor >= 0 && s.cursor < p.n) {
    const px = v.X(v.pos(s.cursor));
    const text = `#${formatCount(s.cursor)}`;
    ctx.font = `600 11px ${theme.font}`;
    const w = ctx.measureText(text).width + 8;
    ctx.fillStyle = theme.accent;
    ctx.fillRect(px - w / 2, 2, w, RULER_H - 8);
    ctx.fillStyle = "#ffffff";
    ctx.textAlign = "center";
    ctx.fillText(text, px, RULER_H / 2 - 2);
    ctx.textAlign = "left";
  }
  ctx.restore();
}

function drawScrollbar(ctx, s) {
  const { v, theme } = s;
  const view = v.plotH;
  if (v.contentH <= view) return;
  const h = Math.max(16, (view * view) / v.contentH);
  const y = RULER_H + (v.scrollY / (v.contentH - view + LANE_PAD)) * (view - h);
  ctx.fillStyle = theme.muted;
  ctx.globalAlpha = 0.45;
  ctx.fillRect(v.width - 5, y, 4, h);
  ctx.globalAlpha = 1;
}

function colourOf(p, theme, o) {
  const obj = p.objects[o];
  return (obj && theme.object[obj.kind]) || theme.object.coroutine;
}
