// What is on display, top to bottom: the lanes the search keeps, with each fold group
// either folded (one row of all its lanes' objects) or unfolded (that row as a header,
// then its lanes).  Where each row sits (px from the top of the content) and which row
// an object is drawn in follow from it.  Python decided the lanes, rows and groups; this
// only chooses which to show.

import { partition } from "../shared/search.js";

/**
 * @typedef {import("./payload.js").Payload} Payload
 *
 * @typedef {object} Entry  one displayed block: a lane, or a group's row
 * @property {"lane"|"group"} kind
 * @property {number} id      the lane id or the group id
 * @property {number} row0    its first row (payload row index)
 * @property {number} rows    how many rows
 */

export class Display {
  /** @param {Payload} p */
  constructor(p) {
    this.p = p;
    /** @type {Set<number>} groups shown unfolded */
    this.unfolded = new Set();
    this.query = "";
    /** lower-cased labels a lane is found by: its own and its objects' */
    this.laneText = p.lanes.map((lane, l) => {
      const names = [lane.label];
      for (let r = p.laneRow0[l]; r < p.laneRow0[l + 1]; r++) {
        for (const o of p.rowObjects[r]) names.push(p.objects[o].label);
      }
      return names.join("\n").toLowerCase();
    });
    /** @type {Entry[]} */
    this.entries = [];
    this.matches = p.lanes.length;
    this.rowH = 26;
    this.pad = 4;
    /** per entry, its top (and the bottom of the last), px from the content's top */
    this.entryY = new Float64Array(1);
    /** per payload row, its top (NaN: not on display) */
    this.rowY = new Float64Array(p.nRows).fill(NaN);
    this.contentH = 0;
  }

  /** Geometry: row height and the padding above and below each entry.
   * @param {number} rowH @param {number} pad */
  setGeometry(rowH, pad) {
    this.rowH = rowH;
    this.pad = pad;
    this.rebuild();
  }

  /** Show only lanes found by `query` (case-insensitive; "" shows all).
   * @param {string} query */
  setQuery(query) {
    this.query = query.trim().toLowerCase();
    this.rebuild();
  }

  /** Fold or unfold group g. @param {number} g @param {boolean} [open] */
  toggle(g, open = !this.unfolded.has(g)) {
    if (open) this.unfolded.add(g);
    else this.unfolded.delete(g);
    this.rebuild();
  }

  /** @param {number} l */
  found(l) {
    return !this.query || this.laneText[l].includes(this.query);
  }

  rebuild() {
    const p = this.p;
    /** @type {Entry[]} */
    const entries = [];
    let matches = 0;
    for (let l = 0; l < p.lanes.length; l++) {
      const g = p.lanes[l].group;
      if (g >= 0 && l === p.groups[g].first) matches += this.addGroup(entries, g);
      else if (g < 0 && this.found(l)) {
        matches++;
        entries.push({ kind: "lane", id: l, row0: p.laneRow0[l], rows: p.laneRow0[l + 1] - p.laneRow0[l] });
      }
    }
    this.entries = entries;
    this.matches = matches;
    this.place();
  }

  /**
   * Add group g's entries (when any of its lanes is found); returns how many were found.
   * @param {Entry[]} entries
   * @param {number} g
   */
  addGroup(entries, g) {
    const p = this.p;
    const { first, count } = p.groups[g];
    const found = [];
    for (let l = first; l < first + count; l++) if (this.found(l)) found.push(l);
    if (!found.length) return 0;
    entries.push({ kind: "group", id: g, row0: p.laneRows + g, rows: 1 });
    if (this.unfolded.has(g)) {
      for (const l of found) {
        entries.push({ kind: "lane", id: l, row0: p.laneRow0[l], rows: p.laneRow0[l + 1] - p.laneRow0[l] });
      }
    }
    return found.length;
  }

  place() {
    const { entries, rowH, pad } = this;
    this.rowY.fill(NaN);
    this.entryY = new Float64Array(entries.length + 1);
    let y = 0;
    for (let e = 0; e < entries.length; e++) {
      this.entryY[e] = y;
      const { row0, rows } = entries[e];
      for (let k = 0; k < rows; k++) this.rowY[row0 + k] = y + pad + k * rowH;
      y += rows * rowH + 2 * pad;
    }
    this.entryY[entries.length] = y;
    this.contentH = y;
  }

  /** The row object o is drawn in now: its own, its folded group's, or -1 (hidden).
   * @param {number} o */
  shownRow(o) {
    const p = this.p;
    const r = p.rowOfObj[o];
    if (r < 0) return -1;
    if (!Number.isNaN(this.rowY[r])) return r;
    const g = p.groupRowOfObj[o];
    return g >= 0 && !Number.isNaN(this.rowY[g]) ? g : -1;
  }

  /** The entry at content y, or -1. @param {number} y */
  entryAt(y) {
    if (y < 0 || y >= this.contentH) return -1;
    return partition(0, this.entries.length, (e) => this.entryY[e] <= y) - 1;
  }

  /** The entry showing payload row r, or -1. @param {number} r */
  entryOfRow(r) {
    const y = this.rowY[r];
    return Number.isNaN(y) ? -1 : this.entryAt(y);
  }

  /** Is group g folded? @param {number} g */
  folded(g) {
    return !this.unfolded.has(g);
  }
}
