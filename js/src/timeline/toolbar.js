// The timeline's toolbar (zoom, clock, playback, export), its legend (words from
// theme.json) and the truncation notice (the sentence the trace itself gives).

import { button, el, group, recolourIcons } from "../shared/dom.js";
import { formatCount, formatNs } from "../shared/format.js";
import { drawGlyph, glyph } from "../shared/glyphs.js";
import { THEME } from "../shared/theme.js";
import { SPEEDS } from "./playback.js";

/**
 * @typedef {import("./payload.js").Payload} Payload
 * @typedef {import("../shared/theme.js").Theme} Theme
 * @typedef {{zoomOut: () => void, zoomIn: () => void, reset: () => void,
 *   clock: () => void, back: () => void, play: () => void, forward: () => void,
 *   export: () => void, speed: (n: number) => void}} ToolbarHandlers
 */

/**
 * Build the toolbar.
 * @param {Payload} p
 * @param {ToolbarHandlers} on
 */
export function makeToolbar(p, on) {
  const bar = el("div", "avz-toolbar");
  bar.setAttribute("role", "toolbar");
  const b = {
    zoomOut: button("zoom-out", "zoomOut", "", "Zoom out (−, or the mouse wheel)"),
    zoomIn: button("zoom-in", "zoomIn", "", "Zoom in (+, or the mouse wheel)"),
    reset: button("reset", "reset", "", "Show everything (Home)"),
    clock: button("clock-toggle", null, "wall clock", "Switch between wall-clock time and step time, where every event gets the same width"),
    back: button("step-back", "back", "", "Step back one event (←)"),
    play: button("play", "play", "", "Play / pause (space)"),
    forward: button("step-forward", "forward", "", "Step forward one event (→)"),
    export: button("export", "export", "PNG", "Download the current view as a PNG image"),
  };
  b.clock.classList.add("avz-toggle");
  const speed = speedSelect();
  group(bar, b.zoomOut, b.zoomIn, b.reset);
  group(bar, b.clock);
  group(bar, b.back, b.play, b.forward, speed);
  group(bar, b.export);
  bar.appendChild(info(p));
  for (const name of /** @type {(keyof typeof b)[]} */ (Object.keys(b))) {
    b[name].addEventListener("click", () => on[name]());
  }
  speed.addEventListener("change", () => on.speed(Number(speed.value)));
  let playing = false;
  /** Draw the icons in the buttons' text colour (after a theme change too). */
  const recolour = () => recolourIcons(bar, getComputedStyle(b.play).color || "#444",
    (name) => (name === "play" || name === "pause" ? (playing ? "pause" : "play") : name));
  /** @param {boolean} now */
  const setPlaying = (now) => {
    playing = now;
    b.play.setAttribute("aria-pressed", now ? "true" : "false");
    recolour();
  };
  return { bar, buttons: b, speed, recolour, setPlaying };
}

function speedSelect() {
  const speed = el("select", "avz-speed");
  speed.dataset.testid = "speed";
  speed.title = "Playback speed (events per second)";
  speed.setAttribute("aria-label", "Playback speed in events per second");
  for (const s of SPEEDS) {
    const opt = el("option", "", `${s} ev/s`);
    opt.value = String(s);
    speed.appendChild(opt);
  }
  speed.value = "5";
  return speed;
}

/** @param {Payload} p */
function info(p) {
  const h = p.header;
  const box = el("div", "avz-info");
  const nObj = p.objects.filter((o) => o.kind !== "future").length;
  box.textContent = `${formatCount(p.n)} events · ${formatCount(nObj)} objects · `
    + `${formatNs(h.end_ns || 0)}${h.backend ? ` · ${h.backend}` : ""}`;
  box.title = `Python ${h.python || "?"}, recorded with ${h.backend || "?"}`;
  return box;
}

/**
 * A legend entry: a small drawing and its words.
 * @param {HTMLElement} legend
 * @param {(ctx: CanvasRenderingContext2D) => void} draw
 * @param {string} text
 * @param {string} [title]
 */
function item(legend, draw, text, title) {
  const it = el("span", "avz-legend-item");
  const c = document.createElement("canvas");
  const dpr = window.devicePixelRatio || 1;
  c.width = 22 * dpr;
  c.height = 14 * dpr;
  c.style.width = "22px";
  c.style.height = "14px";
  const ctx = /** @type {CanvasRenderingContext2D} */ (c.getContext("2d"));
  ctx.scale(dpr, dpr);
  draw(ctx);
  it.append(c, el("span", "", text));
  if (title) it.title = title;
  legend.appendChild(it);
}

/**
 * The legend: bar colours by object kind, marker glyphs by event kind, arrows — what
 * this trace has.
 * @param {Theme} theme
 * @param {Payload} p
 */
export function makeLegend(theme, p) {
  const legend = el("div", "avz-legend");
  legend.dataset.testid = "legend";
  bars(legend, theme, p);
  for (let k = 0; k < p.kinds.length; k++) {
    const kind = p.kinds[k];
    const g = glyph(kind);
    if (!g.legend || (p.n && !p.kindCount[k])) continue;
    item(legend, (ctx) => drawGlyph(ctx, kind, 11, 7, 4.5, theme.marker[kind], theme.bg), g.legend, g.meaning);
  }
  arrows(legend, theme, p);
  return legend;
}

/**
 * @param {HTMLElement} legend
 * @param {Theme} theme
 * @param {Payload} p
 */
function bars(legend, theme, p) {
  const kinds = new Set(p.objects.map((o) => o.kind));
  const frames = ["coroutine", "generator", "async_generator"];
  /** @type {Record<string, {name: string, legend: string}>} */
  const objects = THEME.objects;
  for (const kind of frames) {
    if (!kinds.has(kind) && !(kind === "coroutine" && kinds.has("task"))) continue;
    item(legend, (ctx) => {
      ctx.fillStyle = theme.object[kind];
      ctx.fillRect(1, 2, 20, 10);
    }, objects[kind].legend);
  }
  const first = frames.find((k) => kinds.has(k)) || "coroutine";
  const words = THEME.legend;
  item(legend, (ctx) => {
    ctx.globalAlpha = 0.55;
    ctx.fillStyle = theme.object[first];
    ctx.fillRect(1, 6, 20, 2);
  }, words.suspended.text, words.suspended.meaning);
  if (p.idle.length) {
    item(legend, (ctx) => {
      ctx.fillStyle = theme.object.idle;
      ctx.fillRect(1, 2, 20, 10);
    }, words.idle.text, words.idle.meaning);
  }
}

/**
 * @param {HTMLElement} legend
 * @param {Theme} theme
 * @param {Payload} p
 */
function arrows(legend, theme, p) {
  const counts = p.header.relation_counts || {};
  const looks = { spawn: [theme.object.task, [4, 3]], await: [theme.marker.await, []], wake: [theme.marker.resume, [2, 2]] };
  for (const type of /** @type {(keyof typeof looks)[]} */ (["spawn", "await", "wake"])) {
    if (!counts[type]) continue;
    const [colour, dash] = /** @type {[string, number[]]} */ (looks[type]);
    item(legend, (ctx) => {
      ctx.strokeStyle = colour;
      ctx.fillStyle = colour;
      ctx.lineWidth = 1.6;
      ctx.setLineDash(dash);
      ctx.beginPath();
      ctx.moveTo(1, 7);
      ctx.lineTo(16, 7);
      ctx.stroke();
      ctx.setLineDash([]);
      ctx.beginPath();
      ctx.moveTo(21, 7);
      ctx.lineTo(15, 3.5);
      ctx.lineTo(15, 10.5);
      ctx.fill();
    }, THEME.legend[type].text, THEME.legend[type].meaning);
  }
}

/**
 * The truncation notice (Trace.truncation), or null when the trace is complete.
 * @param {Payload} p
 */
export function makeNotice(p) {
  const text = p.header.truncation;
  if (!text) return null;
  const n = el("div", "avz-notice", text);
  n.dataset.testid = "truncated";
  n.setAttribute("role", "status");
  return n;
}
