// Values and source lines of events: from the payload when they travelled inline (the
// page needs no kernel), else asked of the kernel (`describe` messages) and kept once
// answered.

const BATCH = 300; // events asked for in one message
const FORGET_MS = 5000; // an unanswered question may be asked again after this

/** @typedef {import("./payload.js").EventDetails} EventDetails */

export class Details {
  /**
   * @param {import("./payload.js").Payload} p
   * @param {(msg: object) => void} send  a custom message to the kernel
   */
  constructor(p, send) {
    this.p = p;
    this.send = send;
    /** @type {Map<number, EventDetails>} answers from the kernel, by event index */
    this.answers = new Map();
    /** @type {Set<number>} asked, not answered yet */
    this.pending = new Set();
  }

  /**
   * What is known about event i (null: not yet).
   * @param {number} i
   * @returns {EventDetails|null}
   */
  get(i) {
    return this.p.inlineDetails(i) || this.answers.get(i) || null;
  }

  /** @param {number} i */
  has(i) {
    return this.p.inline || this.answers.has(i);
  }

  /**
   * Ask the kernel about the events not known yet (at most BATCH at a time).
   * @param {number[]} indices
   */
  ask(indices) {
    const want = indices.filter((i) => !this.has(i) && !this.pending.has(i)).slice(0, BATCH);
    if (!want.length) return;
    for (const i of want) this.pending.add(i);
    if (want.length === 1) this.send({ type: "describe", index: want[0] });
    else this.send({ type: "describe", indices: want });
    // no answer (no kernel): forget the question, so that it can be asked again later
    setTimeout(() => want.forEach((i) => this.pending.delete(i)), FORGET_MS);
  }

  /**
   * Keep the kernel's answer in `msg` ({type: "event", …} or {type: "events", events});
   * false when the message is not one.
   * @param {any} msg
   */
  receive(msg) {
    if (!msg) return false;
    /** @param {any} d */
    const put = (d) => {
      if (d && Number.isInteger(d.index)) {
        this.answers.set(d.index, d);
        this.pending.delete(d.index);
      }
    };
    if (msg.type === "event") put(msg);
    else if (msg.type === "events" && Array.isArray(msg.events)) msg.events.forEach(put);
    else return false;
    return true;
  }
}

export const DESCRIBE_BATCH = BATCH;
