// The payload (asyncviz/render/payload.py, version 2): typed-array views on the buffer
// and the display indexes built from it in O(n) — per object and per row event lists,
// per row running slices and suspended spans with a running maximum of their ends, so
// that the visible part of a row is two binary searches away.  Nothing here decides
// what ran when: lanes, rows, partners, states, links and relations all come from Python.

export const PAYLOAD_VERSION = 2;
const NO_STATE = 255;
const NONE = 0xffffffff;

const CTORS = { u8: Uint8Array, u16: Uint16Array, u32: Uint32Array, i32: Int32Array };

/**
 * @typedef {object} LaneInfo
 * @property {number} id
 * @property {string} label
 * @property {"task"|"free"|"idle"} kind
 * @property {number} rows
 * @property {number|null} object
 *
 * @typedef {object} ObjectInfo
 * @property {number} id
 * @property {string} label
 * @property {string} kind
 * @property {number|null} lane
 * @property {number} depth
 * @property {number|null} parent
 * @property {string} state
 * @property {string|null} filename
 * @property {number|null} firstlineno
 * @property {number|null} link  a task's coroutine, that coroutine's task
 */

/**
 * Bytes of the `buffers` trait as a Uint8Array (anywidget hands over a DataView).
 * @param {DataView|ArrayBuffer|Uint8Array|null|undefined} b
 * @returns {Uint8Array}
 */
export function asBytes(b) {
  if (!b) return new Uint8Array(0);
  if (b instanceof Uint8Array) return b;
  if (b instanceof ArrayBuffer) return new Uint8Array(b);
  if (ArrayBuffer.isView(b)) return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  return new Uint8Array(0);
}

/** Index of the first k in [lo, hi) with a[k] >= x (a sorted ascending). */
export function lowerBound(a, lo, hi, x) {
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The decoded payload plus its display indexes. */
/**
 * The header sends tables as columns (one array per field; a JSON object per row would
 * cost more than the events for ten thousand tasks): rebuild the rows once.
 * @template T
 * @param {Record<string, any[]> | undefined} columns
 * @param {(c: Record<string, any[]>, i: number) => T} row
 * @returns {T[]}
 */
function rows(columns, row) {
  if (!columns || !columns.label) return [];
  const out = new Array(columns.label.length);
  for (let i = 0; i < out.length; i++) out[i] = row(columns, i);
  return out;
}

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
    }));
    const kindNames = header.object_kinds || [];
    const stateNames = header.state_names || [];
    const files = header.files || [];
    /** @type {ObjectInfo[]} */
    this.objects = rows(header.objects, (c, i) => ({
      id: i, label: c.label[i], kind: kindNames[c.kind[i]], lane: c.lane[i],
      depth: c.depth[i], parent: c.parent[i], state: stateNames[c.state[i]],
      filename: c.file[i] === null || c.file[i] === undefined ? null : files[c.file[i]],
      firstlineno: c.line[i], link: c.link ? c.link[i] : null,
    }));
    this.kinds = header.kinds || [];
    this.n = header.n_events | 0;
    this.tickNs = header.tick_ns || 1;

    // typed-array views need aligned offsets: copy only when the buffer is misaligned
    if (bytes.byteOffset % 4) bytes = bytes.slice();
    const view = (name) => {
      const spec = header.arrays && header.arrays[name];
      if (!spec) return new Uint32Array(0);
      const [offset, count, type] = spec;
      const Ctor = CTORS[type];
      if (!Ctor || offset + count * Ctor.BYTES_PER_ELEMENT > bytes.byteLength) {
        throw new Error(`asyncviz: payload array ${name} does not fit the buffer`);
      }
      return new Ctor(bytes.buffer, bytes.byteOffset + offset, count);
    };
    this.t = view("t");
    this.obj = view("obj");
    this.kind = view("kind");
    this.state = view("state");
    this.partner = view("partner");
    this.targetEvent = view("target_event");
    this.targetObj = view("target_obj");
    this.relKind = view("rel_kind");
    this.relTail = view("rel_tail");
    this.relHead = view("rel_head");
    this.relTailObj = view("rel_tail_obj");
    this.relHeadObj = view("rel_head_obj");
    this.idle = view("idle");
    this.inline = header.details === "inline";
    this.value = this.inline ? view("value") : null;
    this.site = this.inline ? view("site") : null;
    this.stateNames = header.state_names || [];
    this.relationKinds = header.relation_kinds || [];

    /** the end of the trace, in ticks */
    this.endTicks = Math.max((header.end_ns || 0) / this.tickNs, 1);

    // kind codes → roles, as the payload names them (events.ROLE)
    const roles = header.roles || [];
    const role = (name) => Uint8Array.from({ length: 256 }, (_, k) => (roles[k] === name ? 1 : 0));
    this.isBegin = role("begin");
    this.isSuspend = role("suspend");
    this.isEnd = role("end");
    this.AWAIT = this.kinds.indexOf("await");

    this._buildRows();
    this._buildIndexes();
    this._idleStep = null;
  }

  _buildRows() {
    const lanes = this.lanes;
    const nl = lanes.length;
    this.laneRow0 = new Int32Array(nl + 1);
    for (let l = 0; l < nl; l++) this.laneRow0[l + 1] = this.laneRow0[l] + Math.max(1, lanes[l].rows | 0);
    const R = this.laneRow0[nl];
    this.nRows = R;
    this.rowLane = new Int32Array(R);
    this.rowDepth = new Int32Array(R);
    for (let l = 0; l < nl; l++) {
      for (let r = this.laneRow0[l]; r < this.laneRow0[l + 1]; r++) {
        this.rowLane[r] = l;
        this.rowDepth[r] = r - this.laneRow0[l];
      }
    }
    this.idleLane = lanes.findIndex((l) => l.kind === "idle");
    const no = this.objects.length;
    this.rowOfObj = new Int32Array(no).fill(-1);
    /** objects per row, for row labels */
    this.rowObjects = Array.from({ length: R }, () => []);
    /** a task's own coroutine (same lane, depth 0), for states and selection */
    this.coroOfTask = new Int32Array(no).fill(-1);
    this.taskOfCoro = new Int32Array(no).fill(-1);
    for (const o of this.objects) {
      if (o.lane === null || o.lane === undefined || o.lane < 0 || o.lane >= nl) continue;
      const depth = Math.min(o.depth | 0, Math.max(1, lanes[o.lane].rows | 0) - 1);
      const r = this.laneRow0[o.lane] + depth;
      this.rowOfObj[o.id] = r;
      this.rowObjects[r].push(o.id);
    }
    for (const o of this.objects) {
      if (o.link === null || o.link === undefined) continue;
      if (o.kind === "task") this.coroOfTask[o.id] = o.link;
      else this.taskOfCoro[o.id] = o.link;
    }
  }

  _buildIndexes() {
    const { n, obj, kind, partner, rowOfObj, isBegin, isSuspend } = this;
    const no = this.objects.length;
    const R = this.nRows;

    // per object: event indices (counting sort, stable: time order)
    const objStart = new Uint32Array(no + 1);
    for (let i = 0; i < n; i++) objStart[obj[i] + 1]++;
    for (let o = 0; o < no; o++) objStart[o + 1] += objStart[o];
    const objEv = new Uint32Array(n);
    const fill = objStart.slice(0, no);
    for (let i = 0; i < n; i++) objEv[fill[obj[i]]++] = i;
    this.objStart = objStart;
    this.objEv = objEv;

    // per row: events, running slices, suspended spans
    const rowStart = new Uint32Array(R + 1);
    const sStart = new Uint32Array(R + 1);
    const uStart = new Uint32Array(R + 1);
    const kindCount = new Uint32Array(256);
    for (let i = 0; i < n; i++) {
      kindCount[kind[i]]++;
      const r = rowOfObj[obj[i]];
      if (r < 0) continue;
      rowStart[r + 1]++;
      const k = kind[i];
      if (isBegin[k]) sStart[r + 1]++;
      else if (isSuspend[k]) uStart[r + 1]++;
    }
    for (let r = 0; r < R; r++) {
      rowStart[r + 1] += rowStart[r];
      sStart[r + 1] += sStart[r];
      uStart[r + 1] += uStart[r];
    }
    const rowEv = new Uint32Array(rowStart[R]);
    const sBeg = new Uint32Array(sStart[R]);
    const sEnd = new Uint32Array(sStart[R]);
    const uBeg = new Uint32Array(uStart[R]);
    const uEnd = new Uint32Array(uStart[R]);
    const fr = rowStart.slice(0, R);
    const fs = sStart.slice(0, R);
    const fu = uStart.slice(0, R);
    for (let i = 0; i < n; i++) {
      const r = rowOfObj[obj[i]];
      if (r < 0) continue;
      rowEv[fr[r]++] = i;
      const k = kind[i];
      if (isBegin[k]) {
        const j = fs[r]++;
        sBeg[j] = i;
        sEnd[j] = partner[i] < 0 ? n : partner[i];
      } else if (isSuspend[k]) {
        const j = fu[r]++;
        uBeg[j] = i;
        uEnd[j] = partner[i] < 0 ? n : partner[i];
      }
    }
    // running maximum of the ends within each row: monotone, so binary-searchable
    const sMax = new Uint32Array(sEnd.length);
    const uMax = new Uint32Array(uEnd.length);
    for (let r = 0; r < R; r++) {
      let m = 0;
      for (let j = sStart[r]; j < sStart[r + 1]; j++) sMax[j] = m = Math.max(m, sEnd[j]);
      m = 0;
      for (let j = uStart[r]; j < uStart[r + 1]; j++) uMax[j] = m = Math.max(m, uEnd[j]);
    }
    Object.assign(this, { kindCount, rowStart, rowEv, sStart, sBeg, sEnd, sMax, uStart, uBeg, uEnd, uMax });
  }

  /** The object event i names (what an await waits on, who asked for a cancel), or -1. */
  targetOf(i) {
    const a = this.targetEvent;
    const k = lowerBound(a, 0, a.length, i);
    return k < a.length && a[k] === i ? this.targetObj[k] : -1;
  }

  /** What the tooltip and the strip show about event i when it travelled inline (null:
   * ask the kernel). */
  inlineDetails(i) {
    if (!this.inline || !(i >= 0 && i < this.n)) return null;
    const h = this.header;
    const v = this.value[i];
    const s = this.site[i];
    const target = this.targetOf(i);
    const o = this.objects[this.obj[i]];
    return {
      type: "event", index: i, t_ns: this.t[i] * this.tickNs, kind: this.kinds[this.kind[i]],
      object: o ? o.label : String(this.obj[i]),
      value: v === NONE ? null : h.values[v],
      line: s === NONE ? null : h.sites.line[s],
      text: s === NONE ? null : h.sites.text[s],
      target: target >= 0 && this.objects[target] ? this.objects[target].label : null,
    };
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

  /** Index of the first event at or after tick time `x` (wall clock). */
  eventAtTime(x) {
    return lowerBound(this.t, 0, this.n, x);
  }

  /** The last event of object `o` at or before event `i` (-1: none). */
  lastEventOf(o, i) {
    const a = this.objEv;
    const k = lowerBound(a, this.objStart[o], this.objStart[o + 1], i + 1) - 1;
    return k >= this.objStart[o] ? a[k] : -1;
  }

  /** The first event of object `o` after event `i` (-1: none). */
  nextEventOf(o, i) {
    const a = this.objEv;
    const hi = this.objStart[o + 1];
    const k = lowerBound(a, this.objStart[o], hi, i + 1);
    return k < hi ? a[k] : -1;
  }

  /** The state of object `o` just after event `i` ("—": not seen yet): the state its
   * latest event left it in — for a task, the later of its own and its coroutine's. */
  stateAt(o, i) {
    let k = this.lastEventOf(o, i);
    const c = this.coroOfTask[o];
    if (c >= 0) k = Math.max(k, this.lastEventOf(c, i));
    const s = k >= 0 ? this.state[k] : NO_STATE;
    return s === NO_STATE ? "—" : this.stateNames[s];
  }

  /** Relations of the objects in `sel` (all of them when `sel` is null), capped. */
  relations(sel, cap) {
    const out = [];
    const m = this.relKind.length;
    for (let k = 0; k < m && out.length < cap; k++) {
      const a = this.relTailObj[k];
      const b = this.relHeadObj[k];
      if (sel !== null && !sel.has(a) && !sel.has(b)) continue;
      out.push({
        type: this.relationKinds[this.relKind[k]], from: this.relTail[k], to: this.relHead[k],
        fromRow: this.rowOfObj[a], toRow: this.rowOfObj[b],
      });
    }
    return out;
  }

  /** How many relations there are in all (spawns, awaits and wakes). */
  get relationCount() {
    return this.relKind.length;
  }
}
