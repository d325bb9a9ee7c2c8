// The frame state: what one frame is drawn from.  Drawing, hit testing, the tooltip and
// playback read it; the widget (widget.js) owns it and changes it between frames.

/**
 * @typedef {import("./payload.js").Payload} Payload
 * @typedef {import("./payload.js").Relation} Relation
 * @typedef {import("./view.js").View} View
 * @typedef {import("./details.js").Details} Details
 * @typedef {import("./hit.js").Hit} Hit
 * @typedef {import("../shared/theme.js").Theme} Theme
 *
 * @typedef {object} FrameState
 * @property {Payload} p           the decoded payload and its display indexes
 * @property {View} v              geometry: clock, zoom, scroll, size
 * @property {Theme} theme
 * @property {Details} details     values and source lines of events
 * @property {number} selection    the selected object (-1: none)
 * @property {Set<number>} selSet  it, and the task or coroutine linked to it
 * @property {Set<number>} selRows  the rows they are drawn in (their lanes' rows)
 * @property {Relation[]} relations  the arrows to draw
 * @property {boolean} relationsFaint  drawn faintly (nothing is selected)
 * @property {Hit|null} hover      the marker, slice or suspension under the pointer
 * @property {number} hoverEntry   the display entry whose label is under the pointer (-1: none)
 * @property {number} cursor       the playback cursor: an event index (-1: none)
 * @property {CanvasPattern|null} hatch  the fill of loop idle time
 * @property {number} diagnostic   the diagnostic shown (index into p.diagnostics; -1: none)
 *
 * @typedef {object} Frame  what a frame drew (for hit hints, value requests, tests)
 * @property {number} lanes      lanes drawn
 * @property {number[]} markers  flat [event, x, y, room, …] of drawn markers
 * @property {number[]} missing  events on screen whose value is not known yet
 * @property {string[]} texts    the words written on bars and spans
 * @property {number[]} alarms   raise, throw and cancel events whose markers were drawn
 * @property {number} cut        labels in the gutter cut to fit
 *
 * @typedef {[type: "slice"|"await", a: number, b: number, y: number, o: number, i: number, r: number]} Label
 *   text to write on a bar (the object running) or a span (→ what it awaits), in row r
 */

/**
 * @param {Payload} p
 * @param {View} v
 * @param {Theme} theme
 * @param {Details} details
 * @returns {FrameState}
 */
export function frameState(p, v, theme, details) {
  return {
    p, v, theme, details,
    selection: -1,
    selSet: new Set(),
    selRows: new Set(),
    relations: [],
    relationsFaint: false,
    hover: null,
    hoverEntry: -1,
    cursor: -1,
    hatch: null,
    diagnostic: -1,
  };
}

/**
 * The colour of object o's bars.
 * @param {FrameState} s
 * @param {number} o
 */
export function colourOf(s, o) {
  const obj = s.p.objects[o];
  return (obj && s.theme.object[obj.kind]) || s.theme.object.coroutine;
}
