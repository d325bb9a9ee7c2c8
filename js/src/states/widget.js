// The state-machine widget's view: keeps the drawing in step with the model's traits,
// lays a machine out (the kernel's SVG, else Graphviz in the browser: engine.js), puts
// the cursor on the node and edge the machine's meta names for it, and handles hover,
// click and keyboard.  index.js says which traits and hooks there are.

import { el, recolourIcons } from "../shared/dom.js";
import { lastAtOrBefore } from "../shared/search.js";
import { readTheme } from "../shared/theme.js";
import { Tooltip } from "../shared/tooltip.js";
import { loadEngine } from "./engine.js";
import { exposeHooks } from "./hooks.js";
import { graphHit, prepareSvg, showMessage } from "./diagram.js";
import { applyTheme, fitTexts, metricFonts } from "./svg.js";
import { cursorLine, eventsOf, infoText, selectionLine, tipFor } from "./text.js";
import { fillChoices, makeStatesToolbar } from "./toolbar.js";

const KERNEL_WAIT_MS = 1500; // an inline machine: time the kernel has to send its drawing

/**
 * @typedef {import("./text.js").Meta} Meta
 * @typedef {import("./text.js").GraphHit} GraphHit
 * @typedef {import("./text.js").Current} Current
 * @typedef {import("./text.js").Selected} Selected
 */

/** @param {unknown} err */
function why(err) {
  return err instanceof Error ? err.message : String(err);
}

export class States {
  /**
   * @param {any} model
   * @param {HTMLElement} root  the widget's element (data-testid=asyncviz-states)
   */
  constructor(model, root) {
    this.model = model;
    this.root = root;
    this.gen = 0; // each render's number: a layout that finishes late is dropped
    /** @type {SVGSVGElement|null} */
    this.svg = null;
    /** @type {Map<string, SVGGElement>} */
    this.nodes = new Map();
    /** @type {Map<number, SVGGElement>} */
    this.edges = new Map();
    /** @type {Selected|null} */
    this.selected = null;
    /** @type {Element|null} */
    this.hovered = null;
    this.cursorKey = "";
    /** @type {Current} */
    this.current = { cursor: -1, k: -1, node: null, edge: null };
    /** @type {boolean|null} */
    this.dark = null;
    this.renderQueued = false;
    this.drawnDot = "";
    this.drawnSvg = "";
    this.pythonDraws = !!model.get("svg"); // the kernel has Graphviz's dot
    /** @type {Set<string>} inline machines the kernel had its chance to draw */
    this.waited = new Set();

    this.toolbar = makeStatesToolbar({
      choose: (key) => this.setTraits({ choice: key }),
      machine: (name) => this.setTraits({ machine: name }),
      step: (d) => this.step(d),
    });
    root.appendChild(this.toolbar.bar);
    /** @type {HTMLElement} */
    this.wrap = el("div", "avz-states-wrap");
    /** @type {HTMLElement} */
    this.diagram = el("div", "avz-states-diagram");
    this.diagram.dataset.testid = "states-diagram";
    this.wrap.appendChild(this.diagram);
    this.tooltip = new Tooltip(this.wrap, "states-tooltip");
    root.appendChild(this.wrap);
    const status = el("div", "avz-status");
    status.dataset.testid = "states-status";
    status.setAttribute("aria-live", "polite");
    this.nowLine = el("div", "avz-now");
    this.selLine = el("div", "avz-now avz-muted");
    status.append(this.nowLine, this.selLine);
    root.appendChild(status);
    this.listen();
    this.choicesKey = "";
    this.updateControls();
    this.render();
    exposeHooks(this);
  }

  listen() {
    this.diagram.addEventListener("pointermove", (e) => this.onHover(e));
    this.diagram.addEventListener("pointerleave", () => this.onLeave());
    this.diagram.addEventListener("click", (e) => this.onClick(e));
    this.root.addEventListener("keydown", (e) => {
      if (e.target !== this.root) return;
      if (e.key === "ArrowRight" || e.key === "ArrowLeft") {
        this.step(e.key === "ArrowRight" ? 1 : -1);
        e.preventDefault();
        e.stopPropagation();
      } else if (e.key === "Escape") {
        this.clearSelection(true);
      }
    });
  }

  // ---- traits ----------------------------------------------------------------------

  /** @returns {Meta} */
  get meta() {
    return this.shown().meta;
  }

  /**
   * What to draw: the inline machine for (choice, machine) when there is one, with the
   * kernel's svg once its dot is that machine's; else the dot, svg and meta traits.
   * @returns {{dot: string, svg: string, meta: Meta}}
   */
  shown() {
    const inline = this.model.get("machines") || {};
    const key = `${this.model.get("choice") || ""}|${this.model.get("machine") || ""}`;
    const entry = inline.table && inline.keys ? inline.table[inline.keys[key]] : undefined;
    const dot = this.model.get("dot") || "";
    const svg = this.model.get("svg") || "";
    const meta = this.model.get("meta");
    if (!entry) return { dot, svg, meta: meta && typeof meta === "object" ? meta : {} };
    return { dot: entry.dot, svg: entry.dot === dot ? svg : "", meta: entry.meta || {} };
  }

  /** An object selected elsewhere that the machine shown does not cover: show the
   * machine that stands for it (inline; without inline machines the kernel does it). */
  follow() {
    const inline = this.model.get("machines") || {};
    const key = inline.follow ? inline.follow[String(this.model.get("selection"))] : undefined;
    if (!key || key === this.model.get("choice")) return;
    if ((this.meta.objects || []).includes(Number(key.slice(2)))) return;
    this.setTraits({ choice: key });
  }

  /** @param {Record<string, unknown>} values */
  setTraits(values) {
    for (const [k, v] of Object.entries(values)) this.model.set(k, v);
    this.model.save_changes();
  }

  /** @param {string} name */
  onModelChange(name) {
    switch (name) {
      case "choices":
        this.updateControls();
        break;
      case "choice":
      case "machine":
        this.updateControls();
        this.queueRender();
        break;
      case "dot":
      case "svg":
      case "meta":
      case "machines":
        this.queueRender();
        break;
      case "cursor":
        this.applyCursor();
        break;
      case "selected_events":
        if (!(this.model.get("selected_events") || []).length && this.selected) this.clearSelection(false);
        break;
      case "selection":
        this.follow();
        this.updateStatus();
        break;
      default:
    }
  }

  /** Draw once for traits set together (Python sends dot, svg and meta in one message;
   * a new choice changes the inline machine at once), and only when the drawing changes. */
  queueRender() {
    if (this.renderQueued) return;
    this.renderQueued = true;
    queueMicrotask(() => {
      this.renderQueued = false;
      const { dot, svg } = this.shown();
      if (dot !== this.drawnDot || svg !== this.drawnSvg) this.render();
    });
  }

  updateControls() {
    const choices = this.model.get("choices") || [];
    const choice = this.model.get("choice") || "";
    const { select, machines } = this.toolbar;
    const key = JSON.stringify(choices);
    if (key !== this.choicesKey) {
      this.choicesKey = key;
      fillChoices(select, choices);
    }
    if (select.value !== choice) select.value = choice;
    const machine = this.model.get("machine");
    for (const [name, b] of Object.entries(machines)) {
      b.setAttribute("aria-pressed", name === machine ? "true" : "false");
      b.disabled = !choices.length;
    }
    this.root.dataset.machine = machine || "";
    this.root.dataset.choice = choice;
  }

  // ---- drawing -------------------------------------------------------------------------

  /**
   * A message in place of the diagram (with `meta`, the machine's moves as text).
   * @param {string} text
   * @param {boolean} [error]
   * @param {Meta|null} [meta]
   */
  message(text, error = false, meta = null) {
    showMessage(this.diagram, text, error, meta);
  }

  /** Draw the machine shown: the kernel's SVG, else a layout in the browser. */
  render() {
    const gen = ++this.gen;
    const data = this.root.dataset;
    delete data.ready;
    this.svg = null;
    this.nodes = new Map();
    this.edges = new Map();
    this.selected = null;
    this.hovered = null;
    this.tooltip.hide();
    const { dot, svg: fromPython } = this.shown();
    this.drawnDot = dot;
    this.drawnSvg = fromPython;
    this.setInfo("");
    this.cursorKey = ""; // the cursor in this machine (the status reads it before a drawing)
    this.applyCursor();
    if (!dot) {
      this.message("no generator, coroutine or async generator ran in scope");
      data.renderedBy = "";
      data.ready = "1";
    } else if (fromPython) {
      this.pythonDraws = true;
      this.install(fromPython, "python");
    } else if (this.pythonDraws && !this.waited.has(dot)) {
      // the kernel has `dot`: its drawing of an inline machine is on its way
      this.message("laying the machine out…", false, this.meta);
      setTimeout(() => {
        this.waited.add(dot);
        if (gen === this.gen) this.render();
      }, KERNEL_WAIT_MS);
    } else {
      this.message("laying the machine out…", false, this.meta);
      this.layOut(gen, dot);
    }
  }

  /**
   * Lay `dot` out with the Graphviz engine (asked of the kernel once per page).
   * @param {number} gen
   * @param {string} dot
   */
  async layOut(gen, dot) {
    const data = this.root.dataset;
    let gv;
    const asked = performance.now();
    try {
      gv = await loadEngine(this.model);
      data.engineMs = (performance.now() - asked).toFixed(1);
    } catch (err) {
      if (gen !== this.gen) return;
      this.message(`cannot lay the machine out: ${why(err)}`, true, this.meta);
      data.renderedBy = "";
      data.ready = "error";
      return;
    }
    if (gen !== this.gen) return;
    const fonts = metricFonts(dot);
    const t0 = performance.now();
    let text;
    try {
      text = gv.layout(fonts.dot, "svg", "dot");
    } catch (err) {
      this.message(`Graphviz could not lay the machine out: ${why(err)}`, true);
      data.ready = "error";
      return;
    }
    data.layoutMs = (performance.now() - t0).toFixed(1);
    this.install(text, "wasm", fonts.restore);
  }

  /**
   * Put SVG text in the page (sanitised: svg.js), its nodes and edges indexed.
   * @param {string} text
   * @param {"python"|"wasm"} by
   * @param {((svg: SVGSVGElement) => void) | null} [restoreFonts]
   */
  install(text, by, restoreFonts = null) {
    const data = this.root.dataset;
    const meta = this.meta;
    let drawn;
    try {
      drawn = prepareSvg(text, meta);
    } catch (err) {
      this.message(why(err), true);
      data.ready = "error";
      return;
    }
    ({ svg: this.svg, nodes: this.nodes, edges: this.edges } = drawn);
    if (restoreFonts) restoreFonts(drawn.svg);
    this.diagram.replaceChildren(drawn.svg);
    if (by === "wasm") data.squeezed = String(fitTexts(drawn.svg));
    this.dark = null;
    this.onThemeChange();
    data.renderedBy = by;
    this.setInfo(by);
    this.cursorKey = "";
    this.applyCursor();
    data.ready = "1";
  }

  /** @param {string} by  who laid the machine out ("": nobody yet) */
  setInfo(by) {
    const info = this.toolbar.info;
    info.textContent = infoText(this.meta, by);
    info.title = info.textContent;
  }

  onThemeChange() {
    const theme = readTheme(this.root);
    if (this.svg && theme.dark !== this.dark) {
      this.dark = theme.dark;
      applyTheme(this.svg, theme.dark);
      this.root.dataset.theme = theme.dark ? "dark" : "light";
    }
    recolourIcons(this.toolbar.bar, getComputedStyle(this.toolbar.bar).color || "#444");
  }

  // ---- cursor ------------------------------------------------------------------------------

  /**
   * The node and edge after event `cursor`: machine.at(cursor), read from the meta.
   * @param {number} cursor
   * @returns {Current}
   */
  at(cursor) {
    const meta = this.meta;
    const events = meta.events || [];
    const k = cursor < 0 ? -1 : lastAtOrBefore(events, cursor);
    if (k < 0) return { cursor, k, node: null, edge: null };
    const edge = (meta.event_edges || [])[k];
    return { cursor, k, node: (meta.event_nodes || [])[k], edge: edge >= 0 ? edge : null };
  }

  applyCursor() {
    const cursor = this.model.get("cursor") ?? -1;
    const cur = this.at(cursor);
    const key = `${cursor}|${cur.node}|${cur.edge}|${this.svg ? 1 : 0}`;
    if (key === this.cursorKey) return;
    this.cursorKey = key;
    for (const g of this.diagram.querySelectorAll(".avz-current, .avz-taken")) {
      g.classList.remove("avz-current", "avz-taken");
    }
    const ng = cur.node !== null ? this.nodes.get(cur.node) : undefined;
    const eg = cur.edge !== null ? this.edges.get(cur.edge) : undefined;
    if (ng) ng.classList.add("avz-current");
    if (eg) eg.classList.add("avz-taken");
    const data = this.root.dataset;
    data.cursor = String(cursor);
    data.currentNode = cur.node ?? "";
    data.currentEdge = cur.edge === null ? "" : String(cur.edge);
    if (ng) this.reveal(ng);
    this.current = cur;
    this.updateStatus();
  }

  /** Scroll the diagram box (only it, never the notebook) so that `g` is visible.
   * @param {Element} g */
  reveal(g) {
    const box = this.diagram;
    if (box.scrollHeight <= box.clientHeight + 1) return;
    const b = box.getBoundingClientRect();
    const r = g.getBoundingClientRect();
    if (r.top < b.top) box.scrollTop -= b.top - r.top + 16;
    else if (r.bottom > b.bottom) box.scrollTop += r.bottom - b.bottom + 16;
  }

  /** The cursor to this machine's next (d > 0) or previous event. @param {number} d */
  step(d) {
    const events = this.meta.events || [];
    if (!events.length) return;
    const cursor = this.model.get("cursor") ?? -1;
    const k = lastAtOrBefore(events, d > 0 ? cursor : cursor - 1);
    const next = d > 0 ? events[Math.min(events.length - 1, k + 1)] : events[Math.max(0, k)];
    if (next !== cursor) this.setTraits({ cursor: next });
  }

  updateStatus() {
    cursorLine(this.nowLine, this.meta, this.current);
    selectionLine(this.selLine, this.meta, this.selected,
      (this.model.get("selected_events") || []).length, this.model.get("selection"));
  }

  // ---- hover and click ---------------------------------------------------------------------

  /**
   * The node or edge of the drawing at `target`, if any.
   * @param {EventTarget|null} target
   * @returns {GraphHit|null}
   */
  hit(target) {
    return this.svg ? graphHit(this.svg, this.meta, target) : null;
  }

  /** @param {PointerEvent} e */
  onHover(e) {
    const h = this.hit(e.target);
    const g = h ? h.g : null;
    if (this.hovered !== g) {
      if (this.hovered) this.hovered.classList.remove("avz-hover");
      this.hovered = g;
      if (g && h && h.live) g.classList.add("avz-hover");
    }
    const content = h ? tipFor(this.meta, h) : null;
    if (!content) {
      this.tooltip.hide();
      return;
    }
    const b = this.wrap.getBoundingClientRect();
    this.tooltip.show(e.clientX - b.left, e.clientY - b.top, content, b.width, Math.max(b.height, 200));
  }

  onLeave() {
    if (this.hovered) this.hovered.classList.remove("avz-hover");
    this.hovered = null;
    this.tooltip.hide();
  }

  /** Select a node's or an edge's events (and the object, when the machine is one's).
   * @param {MouseEvent} e */
  onClick(e) {
    const h = this.hit(e.target);
    if (!h || !h.live) {
      this.clearSelection(true);
      return;
    }
    for (const g of this.diagram.querySelectorAll(".avz-selected")) g.classList.remove("avz-selected");
    h.g.classList.add("avz-selected");
    this.selected = h.type === "node" ? { type: "node", id: String(h.id) } : { type: "edge", index: Number(h.index) };
    this.root.dataset.selected = h.type === "node" ? `node:${h.id}` : `edge:${h.index}`;
    /** @type {Record<string, unknown>} */
    const values = { selected_events: eventsOf(this.meta, h) };
    const objects = this.meta.objects || [];
    if (objects.length === 1) values.selection = objects[0];
    this.setTraits(values);
    this.updateStatus();
  }

  /** @param {boolean} sync  tell the kernel (selected_events = []) */
  clearSelection(sync) {
    for (const g of this.diagram.querySelectorAll(".avz-selected")) g.classList.remove("avz-selected");
    const had = this.selected !== null;
    this.selected = null;
    this.root.dataset.selected = "";
    if (sync && had) this.setTraits({ selected_events: [] });
    this.updateStatus();
  }

  destroy() {
    this.gen++;
    this.root.remove();
  }
}

