// What the states widget writes: node and edge names, the status lines under the
// diagram, the tooltip of a node or an edge — all read from the machine's meta (Python's
// widgets/states.py machine_meta), never worked out here.

import { el } from "../shared/dom.js";
import { graphvizTip } from "./svg.js";

const KIND_TEXT = {
  state: "state (as inspect.getgeneratorstate names it)",
  start: "the function's first line: where every object starts",
  site: "suspension point: the object waits here",
  exit: "a way out: the object is finished",
};
const MAX_SAMPLES_SHOWN = 5;
const MAX_WAITS_SHOWN = 6;

/**
 * @typedef {{label: string, kind: string, count: number, line: number|null, text: string|null,
 *   waits?: [string, number][]}} MetaNode  waits: what an await site waited on, most first
 * @typedef {{source: string, target: string, label: string, count: number, samples: string[]}} MetaEdge
 * @typedef {object} Meta
 * @property {string} [kind]  lifecycle | points
 * @property {string} [title]
 * @property {number[]} [objects]
 * @property {Record<string, string>} [labels]
 * @property {Record<string, MetaNode>} [nodes]
 * @property {MetaEdge[]} [edges]
 * @property {number[]} [events]       sorted: the events that move the machine
 * @property {string[]} [event_nodes]  per event, the node entered
 * @property {number[]} [event_edges]  per event, the edge taken (-1: none)
 *
 * @typedef {{type: "node", id: string|null, g: Element, live: boolean}
 *   | {type: "edge", index: number|null, g: Element, live: boolean}} GraphHit
 * @typedef {{cursor: number, k: number, node: string|null, edge: number|null}} Current
 * @typedef {{type: "node", id: string} | {type: "edge", index: number}} Selected
 */

/** @param {number} n @param {string} word */
function times(n, word) {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

/** @param {Meta} meta @param {string|null} id */
export function nodeLabel(meta, id) {
  const n = (meta.nodes || {})[String(id)];
  return n ? n.label : String(id);
}

/** @param {Meta} meta @param {number} i */
function edgeTitle(meta, i) {
  const e = (meta.edges || [])[i];
  return e ? `${nodeLabel(meta, e.source)} → ${nodeLabel(meta, e.target)}` : `edge ${i}`;
}

/**
 * The events that entered a node or took an edge.
 * @param {Meta} meta
 * @param {GraphHit} h
 */
export function eventsOf(meta, h) {
  const events = meta.events || [];
  const by = h.type === "node" ? meta.event_nodes || [] : meta.event_edges || [];
  const key = h.type === "node" ? h.id : h.index;
  return events.filter((_e, k) => by[k] === key);
}

/**
 * The tooltip of a node or edge of the machine (or Graphviz's own for the rest).
 * @param {Meta} meta
 * @param {GraphHit} h
 * @returns {import("../shared/tooltip.js").TipContent|null}
 */
export function tipFor(meta, h) {
  if (h.type === "node" && h.live && h.id !== null) return nodeTip(meta, h, h.id);
  if (h.type === "edge" && h.live && h.index !== null) return edgeTip(meta, h.index);
  const tip = graphvizTip(h.g);
  if (!tip) return null;
  const [title, ...rest] = tip.split("\n");
  return { title, rows: rest.map((/** @type {string} */ r) => /** @type {[string, string]} */ (["", r])) };
}

/**
 * @param {Meta} meta
 * @param {GraphHit} h
 * @param {string} id
 */
function nodeTip(meta, h, id) {
  const n = (meta.nodes || {})[id];
  /** @type {[string, string, string?][]} */
  const rows = [["kind", KIND_TEXT[/** @type {keyof KIND_TEXT} */ (n.kind)] || n.kind]];
  if (n.line !== null && n.line !== undefined) rows.push([`line ${n.line}`, n.text || "", "avz-mono"]);
  if (n.kind !== "start") rows.push(["entered", times(n.count, "time")]);
  const waits = n.waits || [];
  waits.slice(0, MAX_WAITS_SHOWN).forEach(([label, k], i) => {
    rows.push([i === 0 ? "awaited" : "", `→ ${label}${k > 1 ? ` ×${k.toLocaleString("en-US")}` : ""}`, "avz-mono"]);
  });
  if (waits.length > MAX_WAITS_SHOWN) rows.push(["", `+${waits.length - MAX_WAITS_SHOWN} more`, "avz-muted"]);
  const events = eventsOf(meta, h);
  if (events.length) rows.push(["", `click to select its ${times(events.length, "event")}`, "avz-muted"]);
  return { title: n.label, rows };
}

/**
 * @param {Meta} meta
 * @param {number} index
 */
function edgeTip(meta, index) {
  const e = (meta.edges || [])[index];
  /** @type {[string, string, string?][]} */
  const rows = [["transitions", e.label], ["taken", times(e.count, "time")]];
  (e.samples || []).slice(0, MAX_SAMPLES_SHOWN).forEach((s, i) => {
    rows.push([i === 0 ? "samples" : "", String(s), "avz-mono"]);
  });
  rows.push(["", `click to select its ${times(e.count, "event")}`, "avz-muted"]);
  return { title: edgeTitle(meta, index), rows };
}

/**
 * The line about where the cursor has the machine.
 * @param {HTMLElement} line
 * @param {Meta} meta
 * @param {Current} cur
 */
export function cursorLine(line, meta, cur) {
  line.replaceChildren();
  const events = meta.events || [];
  if (!events.length) {
    line.appendChild(el("span", "avz-muted", "no events"));
  } else if (cur.cursor < 0) {
    line.appendChild(el("span", "avz-muted",
      "step with ◀ ▶ (or the timeline's cursor) to follow the machine: the current state is outlined"));
  } else if (cur.node === null) {
    line.append(el("span", "avz-now-index", `event #${cur.cursor}`),
      el("span", "avz-muted", "before this machine's first event"));
  } else {
    line.append(el("span", "avz-now-index", `event #${cur.cursor}`),
      el("span", "avz-key avz-key-current"),
      el("span", "avz-now-where", nodeLabel(meta, cur.node)));
    const e = cur.edge !== null ? (meta.edges || [])[cur.edge] : undefined;
    if (e) line.appendChild(el("span", "avz-muted", `via ${nodeLabel(meta, e.source)} → ${nodeLabel(meta, e.target)}`));
    if (events[cur.k] !== cur.cursor) line.appendChild(el("span", "avz-muted", `(since event #${events[cur.k]})`));
    const n = (meta.objects || []).length;
    if (n > 1) line.appendChild(el("span", "avz-muted", `· latest of ${n} objects`));
  }
}

/**
 * The line about what is selected.
 * @param {HTMLElement} line
 * @param {Meta} meta
 * @param {Selected|null} selected
 * @param {number} count  its events
 * @param {number} selection  the selected object
 */
export function selectionLine(line, meta, selected, count, selection) {
  line.replaceChildren();
  if (!selected) {
    line.textContent = "click a state or transition to select its events";
    return;
  }
  const what = selected.type === "node" ? nodeLabel(meta, selected.id) : edgeTitle(meta, selected.index);
  line.append(el("span", "avz-key avz-key-selected"),
    el("span", "", `selected: ${what} — ${times(count, "event")}`));
  const labels = meta.labels || {};
  if (selection >= 0 && labels[String(selection)]) line.appendChild(el("span", "", ` · object ${labels[String(selection)]}`));
}

/**
 * The toolbar's summary: "suspension points of f (…) · 2 objects · 9 events · laid out …".
 * @param {Meta} meta
 * @param {string} by  "python" | "wasm" | ""
 */
export function infoText(meta, by) {
  const n = (meta.objects || []).length;
  const parts = [];
  if (meta.title) parts.push(`${meta.kind === "lifecycle" ? "lifecycle" : "suspension points"} of ${meta.title}`);
  if (n) parts.push(times(n, "object"));
  if (meta.events) parts.push(`${meta.events.length} events`);
  if (by) parts.push(by === "wasm" ? "laid out in the browser" : "laid out by dot");
  return parts.join(" · ");
}
