// The timeline's toolbar (zoom and the first view, clock, playback, the lane search, the
// presentation size, export), its legend (words from theme.json; the exported image
// draws the same items) and the truncation notice (the sentence the trace itself gives).

import { button, el, group, recolourIcons } from "../shared/dom.js";
import { formatCount, formatNs } from "../shared/format.js";
import { drawGlyph, glyph } from "../shared/glyphs.js";
import { THEME } from "../shared/theme.js";
import { relationColours } from "./overlay.js";
import { SPEEDS } from "./playback.js";

/**
 * @typedef {import("./payload.js").Payload} Payload
 * @typedef {import("../shared/theme.js").Theme} Theme
 * @typedef {{zoomOut: () => void, zoomIn: () => void, reset: () => void,
 *   clock: () => void, back: () => void, play: () => void, forward: () => void,
 *   present: () => void, export: () => void, speed: (n: number) => void,
 *   search: (query: string) => void}} ToolbarHandlers
 * @typedef {{draw: (ctx: CanvasRenderingContext2D) => void, text: string, title?: string}} LegendItem
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
    reset: button("reset", "home", "", "Back to the first view (Home)"),
    clock: button("clock-toggle", null, "wall clock", "Switch between wall-clock time and step time, where every event gets the same width"),
    back: button("step-back", "back", "", "Step back one event (←)"),
    play: button("play", "play", "", "Play / pause (space)"),
    forward: button("step-forward", "forward", "", "Step forward one event (→)"),
    present: button("presentation", "present", "", "Presentation size: larger type, markers and bars, for a projector or a slide"),
    export: button("export", "export", "PNG", "Download the view as a PNG image (1,920 px wide or more, with a title, the legend and the time range)"),
  };
  b.clock.classList.add("avz-toggle");
  b.present.setAttribute("aria-pressed", "false");
  const speed = speedSelect();
  const search = searchBox(p, on);
  group(bar, b.zoomOut, b.zoomIn, b.reset);
  group(bar, b.clock);
  group(bar, b.back, b.play, b.forward, speed);
  if (search) bar.appendChild(search.box);
  group(bar, b.present, b.export);
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
  return { bar, buttons: b, speed, search, recolour, setPlaying };
}

/**
 * The lane search: a box that filters the lanes by label as one types (Escape clears
 * it) and says how many lanes it found.  None for a trace of one lane.
 * @param {Payload} p
 * @param {ToolbarHandlers} on
 */
function searchBox(p, on) {
  if (p.lanes.length < 2) return null;
  const box = el("label", "avz-search");
  const input = el("input", "avz-search-input");
  input.type = "search";
  input.placeholder = "find lane";
  input.dataset.testid = "lane-search";
  input.title = "Show only the lanes whose label contains this (Escape clears)";
  input.setAttribute("aria-label", "Find lanes by label");
  input.spellcheck = false;
  const count = el("span", "avz-search-count");
  count.dataset.testid = "lane-search-count";
  count.setAttribute("aria-live", "polite");
  box.append(input, count);
  input.addEventListener("input", () => on.search(input.value));
  input.addEventListener("keydown", (/** @type {KeyboardEvent} */ e) => {
    // typing here is not a notebook shortcut, and Escape clears rather than leaves
    e.stopPropagation();
    if (e.key === "Escape" && input.value) {
      e.preventDefault();
      input.value = "";
      on.search("");
    }
  });
  return {
    box, input,
    /** @param {number} found @param {number} total @param {boolean} active */
    show(found, total, active) {
      count.textContent = active ? `${formatCount(found)} of ${formatCount(total)}` : "";
      box.classList.toggle("avz-search-none", active && !found);
    },
  };
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
 * A legend entry in the page: a small drawing and its words.
 * @param {HTMLElement} legend
 * @param {LegendItem} entry
 */
function item(legend, { draw, text, title }) {
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
  for (const entry of legendItems(theme, p)) item(legend, entry);
  return legend;
}

/**
 * What the legend shows, each a drawing 22×14 px and its words.
 * @param {Theme} theme
 * @param {Payload} p
 * @returns {LegendItem[]}
 */
export function legendItems(theme, p) {
  /** @type {LegendItem[]} */
  const out = bars(theme, p);
  for (let k = 0; k < p.kinds.length; k++) {
    const kind = p.kinds[k];
    const g = glyph(kind);
    if (!g.legend || (p.n && !p.kindCount[k])) continue;
    out.push({ draw: (ctx) => drawGlyph(ctx, kind, 11, 7, 4.5, theme.marker[kind], theme.bg), text: g.legend, title: g.meaning });
  }
  return out.concat(arrows(theme, p));
}

/**
 * @param {Theme} theme
 * @param {Payload} p
 * @returns {LegendItem[]}
 */
function bars(theme, p) {
  const kinds = new Set(p.objects.map((o) => o.kind));
  const frames = ["coroutine", "generator", "async_generator"];
  /** @type {Record<string, {name: string, legend: string}>} */
  const objects = THEME.objects;
  /** @type {LegendItem[]} */
  const out = [];
  /** @param {string} colour @param {number} y @param {number} h @param {number} [alpha] */
  const swatch = (colour, y, h, alpha = 1) => (/** @type {CanvasRenderingContext2D} */ ctx) => {
    ctx.globalAlpha = alpha;
    ctx.fillStyle = colour;
    ctx.fillRect(1, y, 20, h);
    ctx.globalAlpha = 1;
  };
  for (const kind of frames) {
    if (!kinds.has(kind) && !(kind === "coroutine" && kinds.has("task"))) continue;
    out.push({ draw: swatch(theme.object[kind], 2, 10), text: objects[kind].legend });
  }
  const first = frames.find((k) => kinds.has(k)) || "coroutine";
  const words = THEME.legend;
  out.push({ draw: swatch(theme.object[first], 6, 2, 0.55), text: words.suspended.text, title: words.suspended.meaning });
  if (p.idle.length) out.push({ draw: swatch(theme.object.idle, 2, 10), text: words.idle.text, title: words.idle.meaning });
  return out;
}

/**
 * @param {Theme} theme
 * @param {Payload} p
 * @returns {LegendItem[]}
 */
function arrows(theme, p) {
  const counts = p.header.relation_counts || {};
  const colour = relationColours(theme);
  /** @type {Record<string, number[]>} */
  const dash = { spawn: [4, 3], await: [], wake: [2, 2], cancel: [6, 2, 2, 2] };
  /** @type {LegendItem[]} */
  const out = [];
  /** @type {Record<string, {text: string, meaning: string}>} */
  const legend = THEME.legend;
  for (const type of ["spawn", "await", "wake", "cancel"]) {
    const words = legend[type];
    if (!counts[type] || !words) continue;
    out.push({
      draw: (ctx) => {
        ctx.strokeStyle = colour[type];
        ctx.fillStyle = colour[type];
        ctx.lineWidth = 1.6;
        ctx.setLineDash(dash[type]);
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
      },
      text: words.text,
      title: words.meaning,
    });
  }
  return out;
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
