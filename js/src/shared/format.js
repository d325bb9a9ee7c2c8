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
 * The unit an axis of a trace `endNs` long counts in: seconds for long traces,
 * milliseconds, else microseconds — never nanoseconds.
 * @param {number} endNs
 * @returns {[number, string]}  [ns per unit, unit]
 */
export function axisUnit(endNs) {
  if (endNs >= 10e9) return [1e9, "s"];
  if (endNs >= 1e6) return [1e6, "ms"];
  return [1e3, "µs"];
}

/**
 * A ruler tick label for time `ns` since the trace started, when ticks are `stepNs`
 * apart on an axis counting in `unit` (axisUnit): just enough decimals to tell ticks
 * apart, thousands separated — "250 ms", "612.1293 ms", "1,204 µs".
 * @param {number} ns
 * @param {number} stepNs
 * @param {[number, string]} unit
 */
export function formatTick(ns, stepNs, unit) {
  const [scale, name] = unit;
  const decimals = Math.max(0, Math.min(9, -Math.floor(Math.log10(stepNs / scale) + 1e-9)));
  const text = (ns / scale).toLocaleString("en-US", {
    minimumFractionDigits: decimals, maximumFractionDigits: decimals,
  });
  return `${text} ${name}`;
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
