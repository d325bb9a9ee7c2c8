// Number and time formatting for the ruler, tooltip and status strip.

import { partition } from "./search.js";

/** @type {[number, string][]} */
const UNITS = [
  [1e9, "s"],
  [1e6, "ms"],
  [1e3, "µs"],
  [1, "ns"],
];

/**
 * A duration in ns, with 3–4 significant digits: "12.3 µs", "4.56 ms".
 * @param {number} ns
 */
export function formatNs(ns) {
  if (!Number.isFinite(ns)) return "–";
  const a = Math.abs(ns);
  for (const [scale, unit] of UNITS) {
    if (a >= scale || scale === 1) {
      const v = ns / scale;
      const digits = Math.abs(v) >= 100 ? 1 : Math.abs(v) >= 10 ? 2 : 3;
      return `${trim(v.toFixed(scale === 1 ? 0 : digits))} ${unit}`;
    }
  }
  return `${ns} ns`;
}

/** @param {string} s */
function trim(s) {
  return s.includes(".") ? s.replace(/\.?0+$/, "") : s;
}

/**
 * A ruler tick label for time `ns` when ticks are `stepNs` apart: just enough digits.
 * @param {number} ns
 * @param {number} stepNs
 */
export function formatTick(ns, stepNs) {
  let scale = 1;
  let unit = "ns";
  for (const [s, u] of UNITS) {
    if (stepNs >= s || s === 1) {
      scale = s;
      unit = u;
      break;
    }
  }
  const step = stepNs / scale;
  const decimals = Math.max(0, Math.min(6, -Math.floor(Math.log10(step) + 1e-9)));
  return `${(ns / scale).toFixed(decimals)} ${unit}`;
}

/**
 * Tick spacing: 1, 2 or 5 times a power of ten, giving ticks at least `minPx` apart.
 * @param {number} unitsPerPx
 * @param {number} minPx
 * @param {number} [floor]  the smallest allowed step (1 for event indices)
 */
export function niceStep(unitsPerPx, minPx, floor = 0) {
  const raw = Math.max(unitsPerPx * minPx, floor || 1e-12);
  const p = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 5, 10]) {
    if (m * p >= raw) return Math.max(m * p, floor);
  }
  return 10 * p;
}

/** 1234567 → "1,234,567" @param {number} n */
export function formatCount(n) {
  return Math.round(n).toLocaleString("en-US");
}

/**
 * Shorten `text` with an ellipsis so that it fits `width` px in `ctx`'s font.
 * @param {CanvasRenderingContext2D} ctx
 * @param {string} text
 * @param {number} width
 */
export function fitText(ctx, text, width) {
  if (width <= 0) return "";
  if (ctx.measureText(text).width <= width) return text;
  // the longest prefix that fits with the ellipsis
  const n = partition(1, text.length + 1, (k) => ctx.measureText(text.slice(0, k) + "…").width <= width) - 1;
  return n ? text.slice(0, n) + "…" : "";
}
