// Playback: the cursor (an event index, the `cursor` trait), stepping, play/pause at a
// chosen speed, and the status strip with every object's state at the cursor — read
// from the payload's state column (the latest event of the object at or before the
// cursor, found by a binary search), so stepping and jumping cost the same.

import { el } from "../shared/dom.js";
import { formatCount, formatNs } from "../shared/format.js";
import { symbol } from "../shared/glyphs.js";
import { END_OF_FUNCTION } from "./marks.js";

export const SPEEDS = [1, 2, 5, 10, 25, 100, 500];
const MAX_CHIPS = 240;
// what to do, when there is no cursor: the long form, and the short one for a narrow
// widget (a projector at 1024×768 and 150 %): never more than one line
const HELP = [
  "→ steps through the events · space plays · click the timeline, then scroll to zoom · drag pans · Home: first view",
  "→ step · space play · scroll zoom · drag pan · Home",
  "→ step · space play · Home",
];

/**
 * @typedef {import("./frame.js").FrameState} FrameState
 * @typedef {{ setCursor: (i: number, opts?: {sync?: boolean}) => void,
 *   select: (o: number) => void, describe: (i: number[]) => void,
 *   onPlayChange: (playing: boolean) => void }} PlaybackHooks
 * @typedef {{chip: HTMLElement, state: HTMLElement, last: string}} Chip
 */

export class Playback {
  /**
   * @param {HTMLElement} strip  the status strip (data-testid=cursor-state)
   * @param {FrameState} s
   * @param {PlaybackHooks} hooks
   */
  constructor(strip, s, hooks) {
    this.strip = strip;
    this.s = s;
    this.hooks = hooks;
    this.speed = 5;
    this.timer = 0;
    this.last = 0;
    this.acc = 0;
    this.playing = false;
    this.short = 0; // which help is shown (HELP[0]: the longest)
    this.fittedAt = 0; // the strip's width when it was chosen
    this.line = el("div", "avz-now");
    this.line.dataset.testid = "cursor-event";
    this.chips = el("div", "avz-chips");
    strip.append(this.line, this.chips);
    /** @type {Map<number, Chip>} */
    this.chipFor = new Map();
    this.buildChips();
  }

  buildChips() {
    const { p } = this.s;
    this.chips.replaceChildren();
    this.chipFor.clear();
    // objects in lane order, then row; futures have no lane and no chip
    const order = p.objects
      .filter((o) => o.lane !== null && o.lane !== undefined)
      .sort((a, b) => Number(a.lane) - Number(b.lane) || a.depth - b.depth || a.id - b.id);
    for (const o of order.slice(0, MAX_CHIPS)) {
      const chip = el("button", "avz-chip");
      chip.type = "button";
      chip.dataset.object = String(o.id);
      chip.title = `${o.label} (${o.kind}) — click to select`;
      const state = el("span", "avz-chip-state", "—");
      chip.append(el("span", "avz-chip-name", o.label), state);
      chip.addEventListener("click", () => this.hooks.select(o.id));
      this.chips.appendChild(chip);
      this.chipFor.set(o.id, { chip, state, last: "" });
    }
    if (order.length > MAX_CHIPS) {
      this.chips.appendChild(el("span", "avz-muted", `+${formatCount(order.length - MAX_CHIPS)} more objects`));
    }
  }

  /** Refresh the strip for cursor `c` (-1: no cursor). @param {number} c */
  update(c) {
    this.strip.dataset.cursor = String(c);
    this.updateChips(c);
    this.updateLine(c);
  }

  /** @param {number} c */
  updateChips(c) {
    const { p, theme } = this.s;
    const sel = this.s.selection;
    for (const [o, rec] of this.chipFor) {
      const st = c >= 0 ? p.stateAt(o, c) : "—";
      if (st !== rec.last) {
        rec.last = st;
        rec.state.textContent = st;
        rec.chip.dataset.state = st;
        rec.chip.style.setProperty("--avz-state", theme.state[st] || "transparent");
      }
      rec.chip.classList.toggle("avz-chip-current", c >= 0 && c < p.n && p.obj[c] === o);
      rec.chip.classList.toggle("avz-chip-selected", o === sel);
    }
  }

  /** The line about the event at the cursor: kind, object, time, value, source line.
   * @param {number} c */
  updateLine(c) {
    const { p, theme } = this.s;
    const line = this.line;
    line.replaceChildren();
    if (c < 0 || c >= p.n) {
      const help = el("span", "avz-muted avz-help", p.n ? HELP[this.short] : "The trace has no events.");
      help.dataset.testid = "help";
      line.appendChild(help);
      return;
    }
    const kind = p.kinds[p.kind[c]];
    const glyph = el("span", "avz-now-glyph", symbol(kind));
    glyph.style.color = theme.marker[kind] || theme.fg;
    line.append(
      el("span", "avz-now-index", `#${formatCount(c)} / ${formatCount(p.n)}`),
      glyph,
      el("b", "avz-now-kind", kind),
      el("span", "avz-now-object", p.label(p.obj[c])),
      el("span", "avz-muted", `at ${formatNs(p.t[c] * p.tickNs)}`),
    );
    const d = this.s.details.get(c);
    if (d) this.details(c, kind, d);
    else this.hooks.describe([c]);
  }

  /**
   * The value, who it names and the source line of the event at the cursor.
   * @param {number} c
   * @param {string} kind
   * @param {import("./payload.js").EventDetails} d
   */
  details(c, kind, d) {
    const { p } = this.s;
    const line = this.line;
    const ended = kind === "return" && p.implicitEndAt(c);
    if (d.value !== null && d.value !== undefined && !ended) {
      line.append(el("span", "avz-muted", "value"), el("code", "avz-now-value", d.value));
    }
    if (d.target) line.append(el("span", "avz-muted", kind === "await" ? "awaits" : "asked by"), el("span", "", d.target));
    if (ended) line.append(el("span", "avz-muted", END_OF_FUNCTION));
    else if (d.line) {
      line.append(el("span", "avz-muted", `line ${d.line}`));
      if (d.text) line.append(el("code", "avz-now-src", d.text));
    }
  }

  /** The longest help that takes one line (tried again, longest first, when the
   * strip grows). */
  fitHelp() {
    const help = /** @type {HTMLElement|null} */ (this.line.querySelector(".avz-help"));
    if (!help || !this.line.isConnected || !this.s.p.n) return;
    const fits = () => help.getBoundingClientRect().height < parseFloat(getComputedStyle(help).fontSize) * 2;
    const width = this.line.clientWidth;
    if (width > this.fittedAt) this.short = 0;
    help.textContent = HELP[this.short];
    while (!fits() && this.short < HELP.length - 1) help.textContent = HELP[++this.short];
    this.fittedAt = width;
  }

  play() {
    const { p } = this.s;
    if (!p.n || this.playing) return;
    this.playing = true;
    const c = this.s.cursor;
    if (c < 0 || c >= p.n - 1) this.hooks.setCursor(0);
    this.last = performance.now();
    this.acc = 0;
    /** @param {number} now */
    const tick = (now) => {
      if (!this.playing) return;
      this.acc += ((now - this.last) / 1000) * this.speed;
      this.last = now;
      const steps = Math.floor(this.acc);
      if (steps > 0) {
        this.acc -= steps;
        const next = Math.min(p.n - 1, this.s.cursor + steps);
        this.hooks.setCursor(next, { sync: false });
        if (next >= p.n - 1) {
          this.pause();
          return;
        }
      }
      this.timer = requestAnimationFrame(tick);
    };
    this.timer = requestAnimationFrame(tick);
    this.hooks.onPlayChange(true);
  }

  pause() {
    if (!this.playing) return;
    this.playing = false;
    cancelAnimationFrame(this.timer);
    this.hooks.setCursor(this.s.cursor, { sync: true });
    this.hooks.onPlayChange(false);
  }

  toggle() {
    if (this.playing) this.pause();
    else this.play();
  }

  /** @param {number} delta */
  step(delta) {
    const { p } = this.s;
    if (!p.n) return;
    this.pause();
    const c = this.s.cursor;
    const next = c < 0 ? (delta > 0 ? 0 : p.n - 1) : Math.max(0, Math.min(p.n - 1, c + delta));
    this.hooks.setCursor(next);
  }

  destroy() {
    this.playing = false;
    cancelAnimationFrame(this.timer);
  }
}
