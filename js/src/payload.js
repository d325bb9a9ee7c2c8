// The payload (asyncviz/render/payload.py, version 1): typed-array views on the buffer
// and the display indexes built from it in O(n) — per object and per row event lists,
// per row running slices and suspended spans with a running maximum of their ends, so
// that the visible part of a row is two binary searches away.  Nothing here decides
// what ran when: lanes, rows, partners and relations all come from Python.

export const PAYLOAD_VERSION = 1;

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
      firstlineno: c.line[i],
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
    this.partner = view("partner");
    this.awaitEvent = view("await_event");
    this.awaitTarget = view("await_target");
    this.idle = view("idle");

    const n = this.n;
    const lastT = n ? this.t[n - 1] : 0;
    const lastIdle = this.idle.length ? this.idle[this.idle.length - 1] : 0;
    /** the end of the trace, in ticks */
    this.endTicks = Math.max(lastT, lastIdle, (header.duration_ns || 0) / this.tickNs, 1);

    // kind codes → roles, by name (the payload carries the names)
    const code = (name) => this.kinds.indexOf(name);
    this.code = Object.fromEntries(this.kinds.map((k, i) => [k, i]));
    const role = (names) => {
      const a = new Uint8Array(256);
      for (const nm of names) if (code(nm) >= 0) a[code(nm)] = 1;
      return a;
    };
    this.isBegin = role(["start", "resume", "throw"]);
    this.isSuspend = role(["yield", "await"]);
    this.isEnd = role(["return", "raise", "close"]);
    this.AWAIT = code("await");
    /** state after each kind code (null: leaves the state alone) */
    this.stateAfter = this.kinds.map((k) => (header.states && header.states[k]) || null);

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
      if (o.kind === "task" || o.parent === null || o.parent === undefined) continue;
      const p = this.objects[o.parent];
      if (p && p.kind === "task" && o.lane === p.lane && (o.depth | 0) === 0
          && this.coroOfTask[p.id] < 0) {
        this.coroOfTask[p.id] = o.id;
        this.taskOfCoro[o.id] = p.id;
      }
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

  /** The object an `await` event waits on, or -1. */
  awaitTargetOf(i) {
    const a = this.awaitEvent;
    const k = lowerBound(a, 0, a.length, i);
    return k < a.length && a[k] === i ? this.awaitTarget[k] : -1;
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

  /** The state of object `o` just after event `i` ("—": not seen yet). */
  stateAt(o, i) {
    const obj = this.objects[o];
    if (obj && obj.kind === "task") {
      let own = "—";
      // the task's own events: create, cancel, return/raise
      const a = this.objEv;
      for (let k = lowerBound(a, this.objStart[o], this.objStart[o + 1], i + 1) - 1;
        k >= this.objStart[o]; k--) {
        const s = this.stateAfter[this.kind[a[k]]];
        if (s) { own = s; break; }
      }
      if (own === "CLOSED") return own;
      const c = this.coroOfTask[o];
      if (c >= 0) {
        const s = this.stateAt(c, i);
        if (s !== "—") return s;
      }
      return own;
    }
    const a = this.objEv;
    for (let k = lowerBound(a, this.objStart[o], this.objStart[o + 1], i + 1) - 1;
      k >= this.objStart[o]; k--) {
      const s = this.stateAfter[this.kind[a[k]]];
      if (s) return s;
    }
    return "—";
  }

  /** Relations of the objects in `sel` (all of them when `sel` is null), capped. */
  relations(sel, cap) {
    const out = [];
    const has = (o) => sel === null || sel.has(o);
    for (const [parent, child, at] of this.header.spawns || []) {
      if (out.length >= cap) break;
      if (!(has(parent) || has(child))) continue;
      const r1 = this.rowOfObj[parent];
      const r2 = this.rowOfObj[child];
      if (r1 < 0 || r2 < 0 || at < 0 || at >= this.n) continue;
      out.push({ type: "spawn", from: at, fromRow: r1, to: at, toRow: r2 });
    }
    const ae = this.awaitEvent;
    const at = this.awaitTarget;
    for (let k = 0; k < ae.length && out.length < cap; k++) {
      const i = ae[k];
      const waiter = this.obj[i];
      const target = at[k];
      if (!(has(waiter) || has(target))) continue;
      const r1 = this.rowOfObj[waiter];
      const r2 = target < this.objects.length ? this.rowOfObj[target] : -1;
      if (r1 < 0 || r2 < 0 || waiter === target) continue;
      // to where the target stands: its own suspension just before (a delegated
      // await), else its next event (a task or coroutine that has not run yet)
      const before = this.lastEventOf(target, i);
      const to = before >= 0 && this.isSuspend[this.kind[before]] ? before : this.nextEventOf(target, i);
      out.push({ type: "await", from: i, fromRow: r1, to: to >= 0 ? to : i, toRow: r2 });
      const resume = this.partner[i];
      const hiT = this.objStart[target + 1];
      const last = hiT > this.objStart[target] ? this.objEv[hiT - 1] : -1;
      if (resume >= 0 && last > i && last <= resume && this.isEnd[this.kind[last]]) {
        out.push({ type: "wake", from: last, fromRow: r2, to: resume, toRow: r1 });
      }
    }
    return out;
  }

  /** How many relations there are in all (spawns + awaits on known objects). */
  get relationCount() {
    return (this.header.spawns || []).length + this.awaitEvent.length;
  }
}
