// Values and source lines of events: from the payload when they travelled inline (the
// page needs no kernel), else asked of the kernel (`describe`) and kept once answered.

export class Details {
  /** @param {import("./payload.js").Payload} p */
  constructor(p) {
    this.p = p;
    /** @type {Map<number, any>} answers from the kernel, by event index */
    this.answers = new Map();
  }

  /** What is known about event i (null: not yet — ask). */
  get(i) {
    return this.p.inlineDetails(i) || this.answers.get(i) || null;
  }

  has(i) {
    return this.p.inline || this.answers.has(i);
  }

  /** Keep a kernel's answer ({type: "event", index, …}). */
  put(d) {
    if (d && Number.isInteger(d.index)) this.answers.set(d.index, d);
  }
}
