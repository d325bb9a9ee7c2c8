// What the tooltip says about a hit: an event, a running slice, a suspension, idle time,
// a row's label, a fold group's.

import { formatCount, formatNs } from "../shared/format.js";
import { groupText, rowLabel } from "./chrome.js";
import { END_OF_FUNCTION } from "./marks.js";

/**
 * @typedef {import("./frame.js").FrameState} FrameState
 * @typedef {import("./hit.js").Hit} Hit
 * @typedef {import("../shared/tooltip.js").TipContent} TipContent
 * @typedef {[string, string, string?]} Row
 */

/**
 * @param {FrameState} s
 * @param {Hit} hit
 * @returns {TipContent|null}
 */
export function contentFor(s, hit) {
  switch (hit.type) {
    case "event": return eventTip(s, hit.i);
    case "slice":
    case "susp": return spanTip(s, hit.type, hit.i, hit.end, hit.o);
    case "idle": return idleTip(s, hit.a, hit.b);
    case "gutter": return gutterTip(s, hit.entry, hit.row);
    default: return null;
  }
}

/**
 * @param {FrameState} s
 * @param {number} ticks
 */
function at(s, ticks) {
  return formatNs(ticks * s.p.tickNs);
}

/**
 * @param {FrameState} s
 * @param {number} o
 */
function objectRow(s, o) {
  const obj = s.p.objects[o];
  return `${s.p.label(o)} (${obj ? obj.kind : "?"})`;
}

/**
 * The value, the target and the source line of event i (when known: else a "…" row
 * while the kernel is asked).
 * @param {FrameState} s
 * @param {number} i
 * @param {Row[]} rows
 * @param {boolean} targetShown
 */
function details(s, i, rows, targetShown) {
  const d = s.details.get(i);
  if (!d) {
    rows.push(["value", "…", "avz-muted"]);
    return;
  }
  const ended = d.kind === "return" && s.p.implicitEndAt(i);
  if (d.value !== null && d.value !== undefined && !ended) rows.push(["value", d.value, "avz-mono"]);
  if (d.target && !targetShown) rows.push([d.kind === "await" ? "awaits" : "asked by", d.target]);
  if (ended) rows.push(["ends", END_OF_FUNCTION]);
  else if (d.line) rows.push([`line ${d.line}`, d.text || "", "avz-mono"]);
}

/**
 * @param {FrameState} s
 * @param {number} i
 * @returns {TipContent}
 */
function eventTip(s, i) {
  const { p, theme } = s;
  const o = p.obj[i];
  const kind = p.kinds[p.kind[i]];
  /** @type {Row[]} */
  const rows = [
    ["object", objectRow(s, o)],
    ["time", `${at(s, p.t[i])}  ·  event #${formatCount(i)} of ${formatCount(p.n)}`],
  ];
  const t = kind === "await" || kind === "cancel" ? p.targetOf(i) : -1;
  if (t >= 0) rows.push([kind === "await" ? "awaits" : "asked by", p.label(t)]);
  details(s, i, rows, t >= 0);
  const title = kind === "return" && p.implicitEndAt(i) ? `${END_OF_FUNCTION}  ${p.label(o)}` : `${kind}  ${p.label(o)}`;
  return { title, kind, colour: theme.marker[kind], rows, describe: i };
}

/**
 * @param {FrameState} s
 * @param {"slice"|"susp"} type
 * @param {number} i  the event that began it
 * @param {number} end  the event that ended it (n: still going at the end)
 * @param {number} o
 * @returns {TipContent}
 */
function spanTip(s, type, i, end, o) {
  const { p, theme } = s;
  const t0 = p.t[i];
  const open = end >= p.n;
  const t1 = open ? p.endTicks : p.t[end];
  /** @type {Row[]} */
  const rows = [
    ["object", objectRow(s, o)],
    ["from", `${at(s, t0)} to ${open ? "the end" : at(s, t1)}`],
    ["lasted", `${formatNs((t1 - t0) * p.tickNs)}${open ? "+" : ""}`],
    ["events", `#${formatCount(i)} → ${open ? "…" : `#${formatCount(end)}`}`],
  ];
  const kind = p.kinds[p.kind[i]];
  if (type === "slice") {
    rows.push(["began by", kind]);
    details(s, i, rows, false);
    const obj = p.objects[o];
    return { title: `running  ${p.label(o)}`, colour: obj ? theme.object[obj.kind] : undefined, rows, describe: i };
  }
  const t = kind === "await" ? p.targetOf(i) : -1;
  rows.push(t >= 0 ? ["waiting on", p.label(t)] : ["after", kind]);
  details(s, i, rows, t >= 0);
  return { title: `suspended  ${p.label(o)}`, rows, describe: i };
}

/**
 * @param {FrameState} s
 * @param {number} a  ticks
 * @param {number} b
 * @returns {TipContent}
 */
function idleTip(s, a, b) {
  return {
    title: "loop idle",
    rows: [
      ["from", `${at(s, a)} to ${at(s, b)}`],
      ["lasted", formatNs((b - a) * s.p.tickNs)],
      ["meaning", "the event loop waited in select(): nothing was ready to run"],
    ],
  };
}

/**
 * A label in the gutter: a fold group's, or a row's (what runs there).
 * @param {FrameState} s
 * @param {number} e  the display entry
 * @param {number} r  the row
 * @returns {TipContent}
 */
function gutterTip(s, e, r) {
  const { p, v } = s;
  const entry = v.display.entries[e];
  if (entry.kind === "group") {
    const g = p.groups[entry.id];
    const folded = v.display.folded(g.id);
    return {
      title: groupText(s, g.id),
      rows: [
        ["lanes", `${formatCount(g.count)} lanes of one function, drawn ${folded ? "together in this row" : "below"}`],
        ["events", formatCount(p.rowStart[entry.row0 + 1] - p.rowStart[entry.row0])],
        ["", folded ? "click to unfold" : "click to fold", "avz-muted"],
      ],
    };
  }
  const lane = p.lanes[entry.id];
  if (lane.kind === "idle") return { title: lane.label, rows: [["lane", "event loop"]] };
  const objs = p.rowObjects[r] || [];
  const head = p.rowDepth[r] === 0 && lane.object !== null ? lane.object : objs.length ? objs[0] : -1;
  /** @type {Row[]} */
  const rows = [["lane", `${lane.label} (${lane.kind}, ${formatCount(lane.rows)} row${lane.rows === 1 ? "" : "s"})`]];
  if (objs.length > 1) rows.push(["row", rowLabel(p, objs)]);
  const obj = head >= 0 ? p.objects[head] : null;
  if (obj) objectRows(s, obj, r, rows);
  return { title: obj ? obj.label : lane.label, rows };
}

/**
 * What the tooltip says about the object a row's label selects.
 * @param {FrameState} s
 * @param {import("./payload.js").ObjectInfo} obj
 * @param {number} r
 * @param {Row[]} rows
 */
function objectRows(s, obj, r, rows) {
  const { p } = s;
  rows.push(["object", `${obj.label} (${obj.kind})`], ["final state", obj.state]);
  if (obj.parent !== null && obj.parent !== undefined) rows.push(["parent", p.label(obj.parent)]);
  if (obj.filename) rows.push(["defined", `${obj.filename}:${obj.firstlineno ?? "?"}`, "avz-mono"]);
  rows.push(["events", formatCount(p.rowStart[r + 1] - p.rowStart[r])], ["", "click to select and show its relations", "avz-muted"]);
}
