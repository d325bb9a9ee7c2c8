// What the tooltip says about a hit: an event, a running slice, a suspension, idle time,
// a lane label.

import { formatCount, formatNs } from "../shared/format.js";

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
    case "gutter": return laneTip(s, hit.lane);
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
  if (d.value !== null && d.value !== undefined) rows.push(["value", d.value, "avz-mono"]);
  if (d.target && !targetShown) rows.push([d.kind === "await" ? "awaits" : "by", d.target]);
  if (d.line) rows.push([`line ${d.line}`, d.text || "", "avz-mono"]);
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
  const t = kind === "await" ? p.targetOf(i) : -1;
  if (t >= 0) rows.push(["awaits", p.label(t)]);
  details(s, i, rows, t >= 0);
  return { title: `${kind}  ${p.label(o)}`, kind, colour: theme.marker[kind], rows, describe: i };
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
 * @param {FrameState} s
 * @param {number} l
 * @returns {TipContent}
 */
function laneTip(s, l) {
  const { p } = s;
  const lane = p.lanes[l];
  /** @type {Row[]} */
  const rows = [["lane", lane.kind === "idle" ? "event loop" : lane.kind]];
  const obj = lane.object !== null && lane.object !== undefined ? p.objects[lane.object] : null;
  if (obj) {
    rows.push(["object", `${obj.label} (${obj.kind})`], ["final state", obj.state]);
    if (obj.parent !== null && obj.parent !== undefined) rows.push(["parent", p.label(obj.parent)]);
    if (obj.filename) rows.push(["defined", `${obj.filename}:${obj.firstlineno ?? "?"}`, "avz-mono"]);
    const events = p.rowStart[p.laneRow0[l + 1]] - p.rowStart[p.laneRow0[l]];
    rows.push(["events", formatCount(events)], ["", "click to select and show its relations", "avz-muted"]);
  }
  return { title: lane.label, rows };
}
