// The payload (asyncviz/render/payload.py, version 3): typed-array views on the buffer
// and the display indexes built from it in O(n) — per object and per row event lists,
// per row running slices and suspended spans with a running maximum of their ends, so
// that the visible part of a row is two binary searches away, and per row its alarm
// events (raise, throw, cancel: drawn at every zoom).  Rows are the lanes' rows, then one
// row per fold group holding every event of its lanes (what a folded group shows).
// Nothing here decides what ran when: lanes, rows, groups, partners, states, links and
// relations all come from Python.

import { arrays, known, rows } from "../shared/decode.js";
import { lowerBound } from "../shared/search.js";

const PAYLOAD_VERSION = 3;
const ALARMS = ["raise", "throw", "cancel"];
const NO_STATE = 255;
const NONE = 0xffffffff;

/**
 * @typedef {object} LaneInfo
 * @property {number} id
 * @property {string} label
 * @property {"task"|"free"|"idle"} kind
 * @property {number} rows
 * @property {number|null} object
 * @property {number} group  its fold group (-1: none)
 *
 * @typedef {object} GroupInfo  lanes first .. first + count - 1, folded into one row
 * @property {number} id
 * @property {string} label
 * @property {number} first
 * @property {number} count
 *
 * @typedef {object} Diagnostic  Trace.diagnostics(): times in ns since the start
 * @property {string} kind
 * @property {number[]} objects
 * @property {number} t0
 * @property {number} t1
 * @property {number|null} line
 * @property {string} message
 *
 * @typedef {object} ObjectInfo
 * @property {number} id
 * @property {string} label
 * @property {string} kind
 * @property {number|null} lane
 * @property {number} depth  its row in its lane
 * @property {number|null} parent
 * @property {string} state
 * @property {string|null} filename
 * @property {number|null} firstlineno
 * @property {number|null} link  a task's coroutine, that coroutine's task
 *
 * @typedef {object} Relation  an arrow from object fromObj's row at event from's x to
 *   object toObj's row at event to's x (the rows the display shows them in)
 * @property {string} type  spawn | await | wake | cancel
 * @property {number} from
 * @property {number} fromObj
 * @property {number} to
 * @property {number} toObj
 *
 * @typedef {object} EventDetails  what the tooltip and the strip say about an event
 * @property {number} index
 * @property {string} kind
 * @property {string} object
 * @property {string|null} value
 * @property {number|null} line
 * @property {string|null} text
 * @property {string|null} target
 */

export class Payload {
  /**
   * @param {any} header  the `header` trait
   * @param {Uint8Array} bytes  the `buffers` trait
   */
  constructor(header, bytes) {
    if (!header || header.version !== PAYLOAD_VERSION) {
      throw new Error(`asyncviz: this front-end reads payload version ${PAYLOAD_VERSION}, `
        + `got ${header ? header.version : "nothing"}; reinstall jupyter-asyncviz`);
    }
    this.header = header;
    /** @type {LaneInfo[]} */
    this.lanes = rows(header.lanes, (c, i) => ({
      id: i, label: c.label[i], kind: c.kind[i], rows: c.rows[i], object: c.object[i],
      group: c.group && known(c.group[i]) ? c.group[i] : -1,
    }));
    /** @type {GroupInfo[]} */
    this.groups = rows(header.groups, (c, i) => ({
      id: i, label: c.label[i], first: c.first[i], count: c.count[i],
    }));
    /** @type {Diagnostic[]} */
    this.diagnostics = Array.isArray(header.diagnostics) ? header.diagnostics : [];
    /** @type {string} */
    this.title = header.title || "asyncviz timeline";
    /** @type {ObjectInfo[]} */
    this.objects = rows(header.objects, (c, i) => objectInfo(header, c, i));
    /** @type {string[]} */
    this.kinds = header.kinds || [];
    this.n = header.n_events | 0;
    this.tickNs = header.tick_ns || 1;
    /** @type {string[]} */
    this.stateNames = header.state_names || [];
    /** the end of the trace (Trace.end), in ticks */
    this.endTicks = Math.max((header.end_ns || 0) / this.tickNs, 1);

    const view = arrays(header.arrays, bytes);
    this.t = view("t");
    this.obj = view("obj");
    this.kind = view("kind");
    this.state = view("state");
    this.partner = view("partner");
    this.targetEvent = view("target_event");
    this.targetObj = view("target_obj");
    this.rel = {
      kind: view("rel_kind"), tail: view("rel_tail"), head: view("rel_head"),
      tailObj: view("rel_tail_obj"), headObj: view("rel_head_obj"),
    };
    this.idle = view("idle");
    this.implicitEnd = view("implicit_end");
    this.inline = header.details === "inline";
    this.value = this.inline ? view("value") : null;
    this.site = this.inline ? view("site") : null;

    // kind codes → roles, as the payload names them (events.ROLE)
    const roles = header.roles || [];
    /** @param {string} name */
    const role = (name) => Uint8Array.from({ length: 256 }, (_, k) => (roles[k] === name ? 1 : 0));
    this.isBegin = role("begin");
    this.isSuspend = role("suspend");
    this.isEnd = role("end");
    this.AWAIT = this.kinds.indexOf("await");
    this.isAlarm = Uint8Array.from({ length: 256 }, (_, k) => (ALARMS.includes(this.kinds[k]) ? 1 : 0));
    const rowInfo = layoutRows(this.lanes, this.groups, this.objects);
    this.laneRow0 = rowInfo.laneRow0;
    this.nRows = rowInfo.nRows;
    this.rowLane = rowInfo.rowLane;
    this.rowDepth = rowInfo.rowDepth;
    this.rowOfObj = rowInfo.rowOfObj;
    /** per object: its fold group's row (-1: its lane is in no group) */
    this.groupRowOfObj = rowInfo.groupRowOfObj;
    /** the first group row (rows laneRows .. nRows - 1 are the groups') */
    this.laneRows = rowInfo.laneRows;
    /** objects per row, for row labels */
    this.rowObjects = rowInfo.rowObjects;
    /** a task's own coroutine, and that coroutine's task (objects.link) */
    this.coroOfTask = rowInfo.coroOfTask;
    this.taskOfCoro = rowInfo.taskOfCoro;
    this.idleLane = this.lanes.findIndex((l) => l.kind === "idle");

    const byObj = eventsByObject(this.obj, this.n, this.objects.length);
    /** per object o: its events in time order, objEv[objStart[o]] .. objEv[objStart[o + 1] - 1] */
    this.objStart = byObj.start;
    this.objEv = byObj.events;
    this.kindCount = new Uint32Array(256);
    for (let i = 0; i < this.n; i++) this.kindCount[this.kind[i]]++;
    const byRow = eventsByRow(this);
    /** per row r: its events, rowEv[rowStart[r]] .. rowEv[rowStart[r + 1] - 1] */
    this.rowStart = byRow.start;
    this.rowEv = byRow.events;
    /** running slices per row: [start[r], start[r + 1]) index beg (event), end (event
     * or n) and max (running maximum of the ends: monotone, so binary-searchable) */
    this.slices = byRow.slices;
    /** suspended spans per row, the same way */
    this.susps = byRow.susps;
    /** per row r: its raise, throw and cancel events, alarmEv[alarmStart[r]] .. */
    this.alarmStart = byRow.alarmStart;
    this.alarmEv = byRow.alarmEv;
    /** @type {Float64Array|null} */
    this._idleStep = null;
  }

  /** The object event i names (what an await waits on, who asked for a cancel), or -1.
   * @param {number} i */
  targetOf(i) {
    const a = this.targetEvent;
    const k = lowerBound(a, 0, a.length, i);
    return k < a.length && a[k] === i ? this.targetObj[k] : -1;
  }

  /**
   * What the tooltip and the strip show about event i when it travelled inline (null:
   * ask the kernel).
   * @param {number} i
   * @returns {EventDetails|null}
   */
  inlineDetails(i) {
    if (!this.inline || !this.value || !this.site || !(i >= 0 && i < this.n)) return null;
    const h = this.header;
    const v = this.value[i];
    const s = this.site[i];
    const target = this.targetOf(i);
    return {
      index: i, kind: this.kinds[this.kind[i]], object: this.label(this.obj[i]),
      value: v === NONE ? null : h.values[v],
      line: s === NONE ? null : h.sites.line[s],
      text: s === NONE ? null : h.sites.text[s],
      target: target >= 0 ? this.label(target) : null,
    };
  }

  /** Is event i a function falling off its end (a view says "end of function")?
   * @param {number} i */
  implicitEndAt(i) {
    const a = this.implicitEnd;
    const k = lowerBound(a, 0, a.length, i);
    return k < a.length && a[k] === i;
  }

  /** @param {number} o */
  label(o) {
    return this.objects[o] ? this.objects[o].label : `#${o}`;
  }

  /** Idle spans in step coordinates: [from, to] event boundaries. */
  idleStep() {
    if (!this._idleStep) {
      const m = this.idle.length;
      const out = new Float64Array(m);
      for (let j = 0; j < m; j++) out[j] = lowerBound(this.t, 0, this.n, this.idle[j]);
      this._idleStep = out;
    }
    return this._idleStep;
  }

  /** Index of the first event at or after tick time `x` (wall clock). @param {number} x */
  eventAtTime(x) {
    return lowerBound(this.t, 0, this.n, x);
  }

  /** The last event of object `o` at or before event `i` (-1: none).
   * @param {number} o @param {number} i */
  lastEventOf(o, i) {
    const a = this.objEv;
    const k = lowerBound(a, this.objStart[o], this.objStart[o + 1], i + 1) - 1;
    return k >= this.objStart[o] ? a[k] : -1;
  }

  /** The state of object `o` just after event `i` ("—": not seen yet): the state its
   * latest event left it in — for a task, the later of its own and its coroutine's.
   * @param {number} o @param {number} i */
  stateAt(o, i) {
    let k = this.lastEventOf(o, i);
    const c = this.coroOfTask[o];
    if (c >= 0) k = Math.max(k, this.lastEventOf(c, i));
    const s = k >= 0 ? this.state[k] : NO_STATE;
    return s === NO_STATE ? "—" : this.stateNames[s];
  }

  /**
   * Relations of the objects in `sel` (all of them when `sel` is null), capped.
   * @param {Set<number>|null} sel
   * @param {number} cap
   * @returns {Relation[]}
   */
  relations(sel, cap) {
    const out = [];
    const { kind, tail, head, tailObj, headObj } = this.rel;
    const types = this.header.relation_kinds || [];
    for (let k = 0; k < kind.length && out.length < cap; k++) {
      const a = tailObj[k];
      const b = headObj[k];
      if (sel !== null && !sel.has(a) && !sel.has(b)) continue;
      out.push({ type: types[kind[k]], from: tail[k], to: head[k], fromObj: a, toObj: b });
    }
    return out;
  }

  /** How many relations there are in all (spawns, awaits, wakes and cancels). */
  get relationCount() {
    return this.rel.kind.length;
  }
}

/**
 * Rows: each lane's rows one after the other, then one row per fold group; each placed
 * object's row, and its group's row.
 * @param {LaneInfo[]} lanes
 * @param {GroupInfo[]} groups
 * @param {ObjectInfo[]} objects
 */
function layoutRows(lanes, groups, objects) {
  const nl = lanes.length;
  const laneRow0 = new Int32Array(nl + 1);
  for (let l = 0; l < nl; l++) laneRow0[l + 1] = laneRow0[l] + Math.max(1, lanes[l].rows | 0);
  const laneRows = laneRow0[nl];
  const nRows = laneRows + groups.length;
  const rowLane = new Int32Array(nRows).fill(-1);
  const rowDepth = new Int32Array(nRows);
  for (let l = 0; l < nl; l++) {
    for (let r = laneRow0[l]; r < laneRow0[l + 1]; r++) {
      rowLane[r] = l;
      rowDepth[r] = r - laneRow0[l];
    }
  }
  const no = objects.length;
  const rowOfObj = new Int32Array(no).fill(-1);
  const groupRowOfObj = new Int32Array(no).fill(-1);
  /** @type {number[][]} */
  const rowObjects = Array.from({ length: nRows }, () => []);
  const coroOfTask = new Int32Array(no).fill(-1);
  const taskOfCoro = new Int32Array(no).fill(-1);
  for (const o of objects) {
    if (o.link !== null && o.link !== undefined) (o.kind === "task" ? coroOfTask : taskOfCoro)[o.id] = o.link;
    const lane = o.lane;
    if (lane === null || lane === undefined || lane < 0 || lane >= nl) continue;
    const r = laneRow0[lane] + Math.min(o.depth | 0, Math.max(1, lanes[lane].rows | 0) - 1);
    rowOfObj[o.id] = r;
    rowObjects[r].push(o.id);
    const g = lanes[lane].group;
    if (g >= 0 && g < groups.length) groupRowOfObj[o.id] = laneRows + g;
  }
  return { laneRow0, laneRows, nRows, rowLane, rowDepth, rowOfObj, groupRowOfObj, rowObjects, coroOfTask, taskOfCoro };
}

/**
 * Per object, its event indices (a counting sort: stable, so in time order).
 * @param {ArrayLike<number>} obj
 * @param {number} n
 * @param {number} no  objects
 */
function eventsByObject(obj, n, no) {
  const start = new Uint32Array(no + 1);
  for (let i = 0; i < n; i++) start[obj[i] + 1]++;
  for (let o = 0; o < no; o++) start[o + 1] += start[o];
  const events = new Uint32Array(n);
  const fill = start.slice(0, no);
  for (let i = 0; i < n; i++) events[fill[obj[i]]++] = i;
  return { start, events };
}

/**
 * Per row: its events, its running slices, its suspended spans and its alarms.  Two
 * passes over the events, counting then filling; an object in a fold group counts in
 * its own row and again in its group's (a second pass of each, only when there are
 * groups: the plain one is the million-event hot path).
 * @param {Payload} p  (its rows laid out)
 */
function eventsByRow(p) {
  const R = p.nRows;
  const placements = [p.rowOfObj];
  if (p.groups.length) placements.push(p.groupRowOfObj);
  const start = new Uint32Array(R + 1);
  const sStart = new Uint32Array(R + 1);
  const uStart = new Uint32Array(R + 1);
  const aStart = new Uint32Array(R + 1);
  for (const rowOf of placements) countPerRow(p, rowOf, start, sStart, uStart, aStart);
  for (let r = 0; r < R; r++) {
    start[r + 1] += start[r];
    sStart[r + 1] += sStart[r];
    uStart[r + 1] += uStart[r];
    aStart[r + 1] += aStart[r];
  }
  const out = {
    start, events: new Uint32Array(start[R]), slices: spans(sStart, R), susps: spans(uStart, R),
    alarmStart: aStart, alarmEv: new Uint32Array(aStart[R]),
  };
  const fill = start.slice(0, R);
  const aFill = aStart.slice(0, R);
  // a group's row after its lanes' rows: within each row, events stay in time order
  for (const rowOf of placements) fillPerRow(p, rowOf, out, fill, aFill);
  out.slices.finish();
  out.susps.finish();
  return out;
}

/**
 * Count, per row (shifted by one: prefix sums follow), the events `rowOf` puts there.
 * @param {Payload} p
 * @param {Int32Array} rowOf  per object, its row (-1: none)
 * @param {Uint32Array} start  events
 * @param {Uint32Array} sStart  running slices
 * @param {Uint32Array} uStart  suspensions
 * @param {Uint32Array} aStart  alarms
 */
function countPerRow(p, rowOf, start, sStart, uStart, aStart) {
  const { n, obj, kind, isBegin, isSuspend, isAlarm } = p;
  for (let i = 0; i < n; i++) {
    const r = rowOf[obj[i]];
    if (r < 0) continue;
    const k = kind[i];
    start[r + 1]++;
    if (isBegin[k]) sStart[r + 1]++;
    else if (isSuspend[k]) uStart[r + 1]++;
    if (isAlarm[k]) aStart[r + 1]++;
  }
}

/**
 * Put the events `rowOf` places into their rows' lists.
 * @param {Payload} p
 * @param {Int32Array} rowOf
 * @param {{events: Uint32Array, slices: ReturnType<typeof spans>, susps: ReturnType<typeof spans>, alarmEv: Uint32Array}} out
 * @param {Uint32Array} fill  per row, the next free index in out.events
 * @param {Uint32Array} aFill  … in out.alarmEv
 */
function fillPerRow(p, rowOf, out, fill, aFill) {
  const { n, obj, kind, partner, isBegin, isSuspend, isAlarm } = p;
  const { events, slices, susps, alarmEv } = out;
  for (let i = 0; i < n; i++) {
    const r = rowOf[obj[i]];
    if (r < 0) continue;
    const k = kind[i];
    events[fill[r]++] = i;
    if (isBegin[k]) slices.push(r, i, partner[i] < 0 ? n : partner[i]);
    else if (isSuspend[k]) susps.push(r, i, partner[i] < 0 ? n : partner[i]);
    if (isAlarm[k]) alarmEv[aFill[r]++] = i;
  }
}

/**
 * @param {any} header
 * @param {Record<string, any[]>} c  the objects' columns
 * @param {number} i
 * @returns {ObjectInfo}
 */
function objectInfo(header, c, i) {
  const files = header.files || [];
  return {
    id: i, label: c.label[i], kind: (header.object_kinds || [])[c.kind[i]], lane: c.lane[i],
    depth: c.depth[i], parent: c.parent[i], state: (header.state_names || [])[c.state[i]],
    filename: known(c.file[i]) ? files[c.file[i]] : null,
    firstlineno: c.line[i], link: c.link ? c.link[i] : null,
  };
}

/**
 * Spans (begin event, end event) grouped by row, filled in event order.
 * @param {Uint32Array} start  per row, the first index of its spans (and the total)
 * @param {number} R  rows
 */
function spans(start, R) {
  const total = start[R];
  const beg = new Uint32Array(total);
  const end = new Uint32Array(total);
  const max = new Uint32Array(total);
  const next = start.slice(0, R);
  return {
    start, beg, end, max,
    /** @param {number} r @param {number} b @param {number} e */
    push(r, b, e) {
      const j = next[r]++;
      beg[j] = b;
      end[j] = e;
    },
    /** The running maximum of the ends within each row. */
    finish() {
      for (let r = 0; r < R; r++) {
        let m = 0;
        for (let j = start[r]; j < start[r + 1]; j++) max[j] = m = Math.max(m, end[j]);
      }
    },
  };
}
