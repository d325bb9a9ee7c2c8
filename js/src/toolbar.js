// The toolbar (zoom, clock, playback, export), the legend and the truncation notice.

import { drawGlyph, MEANING } from "./glyphs.js";
import { formatCount, formatNs } from "./format.js";
import { SPEEDS } from "./playback.js";
import { el } from "./tooltip.js";
import { icon } from "./icons.js";

/**
 * @param {string} testid
 * @param {string|null} iconName  an icon from icons.js, or null for a text button
 * @param {string} text  visible text (besides the icon)
 * @param {string} title
 */
export function button(testid, iconName, text, title) {
  const b = el("button", "avz-btn");
  b.type = "button";
  b.dataset.testid = testid;
  b.title = title;
  b.setAttribute("aria-label", title);
  if (iconName) b.appendChild(icon(iconName, "#888"));
  if (text) b.appendChild(el("span", "avz-btn-text", text));
  return b;
}

/**
 * Build the toolbar.
 * @param {any} p  the payload
 * @param {Record<string, () => void>} on  handlers by button test id, and speed(n)
 */
export function makeToolbar(p, on) {
  const bar = el("div", "avz-toolbar");
  bar.setAttribute("role", "toolbar");
  const group = (...items) => {
    const g = el("div", "avz-group");
    g.append(...items);
    bar.appendChild(g);
    return g;
  };
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
  group(b.zoomOut, b.zoomIn, b.reset);
  group(b.clock);
  group(b.back, b.play, b.forward, speed);
  group(b.export);
  const info = el("div", "avz-info");
  const h = p.header;
  const nObj = p.objects.filter((o) => o.kind !== "future").length;
  info.textContent = `${formatCount(p.n)} events · ${formatCount(nObj)} objects · `
    + `${formatNs(h.end_ns || 0)}${h.backend ? ` · ${h.backend}` : ""}`;
  info.title = `Python ${h.python || "?"}, recorded with ${h.backend || "?"}`;
  bar.appendChild(info);

  b.zoomOut.addEventListener("click", on.zoomOut);
  b.zoomIn.addEventListener("click", on.zoomIn);
  b.reset.addEventListener("click", on.reset);
  b.clock.addEventListener("click", on.clock);
  b.back.addEventListener("click", on.back);
  b.play.addEventListener("click", on.play);
  b.forward.addEventListener("click", on.forward);
  b.export.addEventListener("click", on.export);
  speed.addEventListener("change", () => on.speed(Number(speed.value)));
  let playing = false;
  /** Draw the icons in the buttons' text colour (after a theme change too). */
  const recolour = () => {
    const colour = getComputedStyle(b.play).color || "#444";
    for (const c of bar.querySelectorAll("canvas.avz-icon")) {
      const name = c.dataset.icon === "play" || c.dataset.icon === "pause"
        ? (playing ? "pause" : "play") : c.dataset.icon;
      icon(name, colour, c);
    }
  };
  const setPlaying = (on) => {
    playing = on;
    b.play.setAttribute("aria-pressed", on ? "true" : "false");
    recolour();
  };
  return { bar, buttons: b, speed, recolour, setPlaying };
}

/**
 * The legend: marker glyphs by kind, bar colours by object kind, arrows.
 * @param {any} theme
 * @param {any} p
 */
export function makeLegend(theme, p) {
  const legend = el("div", "avz-legend");
  legend.dataset.testid = "legend";
  const item = (draw, text, title) => {
    const it = el("span", "avz-legend-item");
    const c = document.createElement("canvas");
    const dpr = window.devicePixelRatio || 1;
    c.width = 22 * dpr;
    c.height = 14 * dpr;
    c.style.width = "22px";
    c.style.height = "14px";
    const ctx = c.getContext("2d");
    ctx.scale(dpr, dpr);
    draw(ctx);
    it.append(c, el("span", "", text));
    if (title) it.title = title;
    legend.appendChild(it);
  };
  const objKinds = new Set(p.objects.map((o) => o.kind));
  for (const kind of ["coroutine", "generator", "async_generator"]) {
    if (!objKinds.has(kind) && !(kind === "coroutine" && objKinds.has("task"))) continue;
    item((ctx) => {
      ctx.fillStyle = theme.object[kind];
      ctx.fillRect(1, 2, 20, 10);
    }, `${kind.replace("_", " ")} running`);
  }
  const firstKind = ["coroutine", "generator", "async_generator"].find((k) => objKinds.has(k)) || "coroutine";
  item((ctx) => {
    ctx.globalAlpha = 0.55;
    ctx.fillStyle = theme.object[firstKind];
    ctx.fillRect(1, 6, 20, 2);
  }, "suspended", "the object is suspended: it yielded, or awaits what the label after → names");
  if (p.idle.length) {
    item((ctx) => {
      ctx.fillStyle = theme.object.idle;
      ctx.fillRect(1, 2, 20, 10);
    }, "loop idle");
  }
  for (let k = 0; k < p.kinds.length; k++) {
    const kind = p.kinds[k];
    if (!MEANING[kind] || (p.n && !p.kindCount[k])) continue;
    item((ctx) => drawGlyph(ctx, kind, 11, 7, 4.5, theme.marker[kind], theme.bg), kind, MEANING[kind]);
  }
  const arrow = (colour, dash, text, title) => item((ctx) => {
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
  }, text, title);
  const counts = p.header.relation_counts || {};
  if (counts.spawn) arrow(theme.object.task, [4, 3], "spawn", "a task created another (parent → child)");
  if (counts.await) arrow(theme.marker.await, [], "await", "an await → what it waits on");
  if (counts.wake) {
    arrow(theme.marker.resume, [2, 2], "wake", "what it waited on finished → the waiter resumes");
  }
  return legend;
}

/** The truncation notice, or null when the trace is complete. */
export function makeNotice(p) {
  const text = p.header.truncation;
  if (!text) return null;
  const n = el("div", "avz-notice", text);
  n.dataset.testid = "truncated";
  n.setAttribute("role", "status");
  return n;
}
