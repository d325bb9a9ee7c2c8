// The hover tooltip.  Every string that comes from the trace (labels, values, source
// text) is set with textContent: a value like <script>alert(1)</script> shows as text.

import { formatNs, formatCount } from "./format.js";
import { SYMBOL } from "./glyphs.js";

/** @param {string} tag @param {string} [cls] @param {string} [text] */
export function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

export class Tooltip {
  /** @param {HTMLElement} parent */
  constructor(parent) {
    this.node = el("div", "avz-tooltip");
    this.node.dataset.testid = "timeline-tooltip";
    this.node.setAttribute("role", "tooltip");
    this.node.hidden = true;
    parent.appendChild(this.node);
    this.key = "";
  }

  hide() {
    this.node.hidden = true;
    this.key = "";
  }

  /**
   * @param {number} x  position inside the parent (CSS px)
   * @param {number} y
   * @param {{title: string, kind?: string, colour?: string, rows: [string, string, string?][]}} content
   * @param {number} parentW
   * @param {number} parentH
   */
  show(x, y, content, parentW, parentH) {
    const n = this.node;
    n.replaceChildren();
    const head = el("div", "avz-tt-head");
    if (content.kind) {
      const g = el("span", "avz-tt-glyph", SYMBOL[content.kind] || "•");
      if (content.colour) g.style.color = content.colour;
      head.appendChild(g);
    }
    head.appendChild(el("span", "avz-tt-title", content.title));
    n.appendChild(head);
    const table = el("div", "avz-tt-rows");
    for (const [k, v, cls] of content.rows) {
      table.appendChild(el("span", "avz-tt-key", k));
      table.appendChild(el("span", `avz-tt-val${cls ? ` ${cls}` : ""}`, v));
    }
    n.appendChild(table);
    n.hidden = false;
    const w = n.offsetWidth;
    const h = n.offsetHeight;
    let left = x + 14;
    let top = y + 14;
    if (left + w > parentW - 4) left = Math.max(4, x - w - 14);
    if (top + h > parentH - 4) top = Math.max(4, y - h - 10);
    n.style.left = `${left}px`;
    n.style.top = `${top}px`;
  }
}

/** Time of tick value x as text, relative to the start of the trace. */
function at(p, ticks) {
  return formatNs(ticks * p.tickNs);
}

/**
 * What the tooltip says about a hit.
 * @param {any} s renderer state
 * @param {import("./hit.js").Hit} hit
 * @returns {{title: string, kind?: string, colour?: string, rows: [string, string, string?][], describe?: number} | null}
 */
export function contentFor(s, hit) {
  const { p, theme } = s;
  const label = (o) => (p.objects[o] ? p.objects[o].label : `#${o}`);
  const details = (i, rows, targetShown = false) => {
    const d = s.details.get(i);
    if (!d) {
      rows.push(["value", "…", "avz-muted"]);
      return;
    }
    if (d.value !== null && d.value !== undefined) rows.push(["value", d.value, "avz-mono"]);
    if (d.target && !targetShown) rows.push(["awaits", d.target]);
    if (d.line) rows.push([`line ${d.line}`, d.text || "", "avz-mono"]);
  };
  if (hit.type === "event") {
    const i = hit.i;
    const o = p.obj[i];
    const kind = p.kinds[p.kind[i]];
    const rows = [
      ["object", `${label(o)} (${p.objects[o] ? p.objects[o].kind : "?"})`],
      ["time", `${at(p, p.t[i])}  ·  event #${formatCount(i)} of ${formatCount(p.n)}`],
    ];
    const t = kind === "await" ? p.targetOf(i) : -1;
    if (t >= 0) rows.push(["awaits", label(t)]);
    details(i, rows, t >= 0);
    return { title: `${kind}  ${label(o)}`, kind, colour: theme.marker[kind], rows, describe: i };
  }
  if (hit.type === "slice" || hit.type === "susp") {
    const { i, end, o } = hit;
    const t0 = p.t[i];
    const t1 = end < p.n ? p.t[end] : p.endTicks;
    const open = end >= p.n;
    const rows = [
      ["object", `${label(o)} (${p.objects[o] ? p.objects[o].kind : "?"})`],
      ["from", `${at(p, t0)} to ${open ? "the end" : at(p, t1)}`],
      ["lasted", `${formatNs((t1 - t0) * p.tickNs)}${open ? "+" : ""}`],
      ["events", `#${formatCount(i)} → ${open ? "…" : `#${formatCount(end)}`}`],
    ];
    const kind = p.kinds[p.kind[i]];
    if (hit.type === "slice") {
      rows.push(["began by", kind]);
      details(i, rows);
      return { title: `running  ${label(o)}`, colour: theme.object[(p.objects[o] || {}).kind], rows, describe: i };
    }
    const t = kind === "await" ? p.targetOf(i) : -1;
    if (t >= 0) rows.push(["waiting on", label(t)]);
    else rows.push(["after", kind]);
    details(i, rows, t >= 0);
    return { title: `suspended  ${label(o)}`, rows, describe: i };
  }
  if (hit.type === "idle") {
    return {
      title: "loop idle",
      rows: [
        ["from", `${at(p, hit.a)} to ${at(p, hit.b)}`],
        ["lasted", formatNs((hit.b - hit.a) * p.tickNs)],
        ["meaning", "the event loop waited in select(): nothing was ready to run"],
      ],
    };
  }
  if (hit.type === "gutter") {
    const lane = p.lanes[hit.lane];
    const rows = [["lane", lane.kind === "idle" ? "event loop" : lane.kind]];
    const o = lane.object;
    if (o !== null && o !== undefined && p.objects[o]) {
      const obj = p.objects[o];
      rows.push(["object", `${obj.label} (${obj.kind})`]);
      rows.push(["final state", obj.state]);
      if (obj.parent !== null && obj.parent !== undefined) rows.push(["parent", label(obj.parent)]);
      if (obj.filename) rows.push(["defined", `${obj.filename}:${obj.firstlineno ?? "?"}`, "avz-mono"]);
      const r0 = p.laneRow0[hit.lane];
      const r1 = p.laneRow0[hit.lane + 1];
      rows.push(["events", formatCount(p.rowStart[r1] - p.rowStart[r0])]);
      rows.push(["", "click to select and show its relations", "avz-muted"]);
    }
    return { title: lane.label, rows };
  }
  return null;
}
