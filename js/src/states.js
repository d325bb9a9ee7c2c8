// asyncviz states widget: the anywidget entry point (see asyncviz/widgets/states.py).
//
// Traits: choices ([{key, label, kind, type}]), choice (key), machine ("lifecycle" |
// "points"), dot, svg ("" → laid out here with @hpcc-js/wasm-graphviz), meta ({nodes,
// edges, events, event_nodes, event_edges, objects, labels, title, kind}), cursor (event
// index, -1: none), selection (object id, -1: none), selected_events ([event index]),
// link_id (widgets with the same id follow each other: link.js), machines (inline: every
// machine's dot and meta by "<choice>|<machine>", and per object the choice that stands
// for it — the page can switch machines and follow a selection with no kernel).
// The machine shown is the inline one for (choice, machine) until the kernel's dot
// trait matches it; then the kernel's svg (drawn by `dot`) is used when there is one.
// Custom messages: {type: "layout-engine"} → {type: "layout-engine"} + the engine's ESM
// as a buffer (states-engine.js).
//
// Hooks for tests, on the root element (data-testid=asyncviz-states): data-ready (the
// diagram is drawn), data-rendered-by ("python" | "wasm"), data-layout-ms and
// data-engine-ms (wasm only: the layout, and waiting for the engine; 0 once loaded),
// data-current-node (Node.id, "" none), data-current-edge (edge index, "" none),
// data-selected (what was clicked: "node:<id>" | "edge:<i>" | ""), data-machine,
// data-choice; children states-choice, machine-lifecycle, machine-points, states-diagram,
// states-tooltip, states-status, states-step-back, states-step-forward; graph elements
// keep their DOT ids (node-<id>, edge-<i>); el.__asyncviz = {nodePosition(id),
// edgePosition(i), state()}.

import { readTheme } from "./colours.js";
import { icon } from "./icons.js";
import { CSS } from "./style.js";
import { joinLink } from "./link.js";
import { loadEngine } from "./states-engine.js";
import {
  applyTheme, fitTexts, graphvizTip, indexGraph, metricFonts, naturalSize, parseSvg,
} from "./states-svg.js";
import { STATES_CSS } from "./states-style.js";
import { button } from "./toolbar.js";
import { el, Tooltip } from "./tooltip.js";

const KIND_TEXT = {
  state: "state (as inspect.getgeneratorstate names it)",
  start: "the function's first line: where every object starts",
  site: "suspension point: the object waits here",
  exit: "a way out: the object is finished",
};
const MAX_SAMPLES_SHOWN = 5;
const KERNEL_WAIT_MS = 1500;

/** Largest k with a[k] <= x, or -1. */
function lastAtOrBefore(a, x) {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid] <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}

class States {
  constructor(model, host) {
    this.model = model;
    this.host = host;
    this.gen = 0;
    this.svg = null;
    this.nodes = new Map();
    this.edges = new Map();
    this.selected = null; // {type: "node", id} | {type: "edge", index}
    this.hovered = null;
    this.cursorKey = "";
    this.pythonDraws = !!model.get("svg");
    /** @type {Set<string>} inline machines the kernel had its chance to draw */
    this.waited = new Set();

    const root = el("div", "avz-root avz-states");
    root.dataset.testid = "asyncviz-states";
    root.tabIndex = 0;
    root.setAttribute("role", "figure");
    root.setAttribute("aria-label", "asyncviz state machine");
    const style = document.createElement("style");
    style.textContent = CSS + STATES_CSS;
    root.appendChild(style);
    this.root = root;

    // toolbar: what to show, which machine, stepping through the machine's events
    const bar = el("div", "avz-toolbar");
    bar.setAttribute("role", "toolbar");
    const select = el("select", "avz-select");
    select.dataset.testid = "states-choice";
    select.title = "The function or object whose machine is shown";
    select.setAttribute("aria-label", "function or object");
    select.addEventListener("change", () => this.setTraits({ choice: select.value }));
    this.select = select;
    const lifecycle = button("machine-lifecycle", null, "lifecycle",
      "Lifecycle: CREATED, RUNNING, SUSPENDED, CLOSED and the transitions between them");
    const points = button("machine-points", null, "suspension points",
      "Suspension points: the start, every yield/await reached, the ways out");
    lifecycle.addEventListener("click", () => this.setTraits({ machine: "lifecycle" }));
    points.addEventListener("click", () => this.setTraits({ machine: "points" }));
    this.machineButtons = { lifecycle, points };
    const back = button("states-step-back", "back", "", "Cursor to this machine's previous event (←)");
    const forward = button("states-step-forward", "forward", "", "Cursor to this machine's next event (→)");
    back.addEventListener("click", () => this.step(-1));
    forward.addEventListener("click", () => this.step(1));
    const group = (...items) => {
      const g = el("div", "avz-group");
      g.append(...items);
      bar.appendChild(g);
      return g;
    };
    group(select);
    group(lifecycle, points).classList.add("avz-seg");
    group(back, forward);
    this.info = el("div", "avz-info");
    bar.appendChild(this.info);
    this.bar = bar;
    root.appendChild(bar);

    const wrap = el("div", "avz-states-wrap");
    const diagram = el("div", "avz-states-diagram");
    diagram.dataset.testid = "states-diagram";
    wrap.appendChild(diagram);
    this.tooltip = new Tooltip(wrap);
    this.tooltip.node.dataset.testid = "states-tooltip";
    root.appendChild(wrap);
    this.wrap = wrap;
    this.diagram = diagram;

    const status = el("div", "avz-status");
    status.dataset.testid = "states-status";
    status.setAttribute("aria-live", "polite");
    this.nowLine = el("div", "avz-now");
    this.selLine = el("div", "avz-now avz-muted");
    status.append(this.nowLine, this.selLine);
    root.appendChild(status);

    diagram.addEventListener("pointermove", (e) => this.onHover(e));
    diagram.addEventListener("pointerleave", () => this.onLeave());
    diagram.addEventListener("click", (e) => this.onClick(e));
    root.addEventListener("keydown", (e) => {
      if (e.target !== root) return;
      if (e.key === "ArrowRight" || e.key === "ArrowLeft") {
        this.step(e.key === "ArrowRight" ? 1 : -1);
        e.preventDefault();
        e.stopPropagation();
      } else if (e.key === "Escape") {
        this.clearSelection(true);
      }
    });

    host.appendChild(root);
    this.dark = null;
    this.updateControls();
    this.render();
    this.exposeHooks();
  }

  // ---- traits ----------------------------------------------------------------------

  get meta() {
    return this.shown().meta;
  }

  /** What to draw: {dot, svg, meta} (see the header comment). */
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

  setTraits(values) {
    for (const [k, v] of Object.entries(values)) this.model.set(k, v);
    this.model.save_changes();
  }

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
   * a new choice changes the inline machine at once): only when the drawing changes. */
  queueRender() {
        if (!this.renderQueued) {
          this.renderQueued = true;
          queueMicrotask(() => {
            this.renderQueued = false;
            const { dot, svg } = this.shown();
            if (dot !== this.drawnDot || svg !== this.drawnSvg) this.render();
          });
        }
  }

  updateControls() {
    const choices = this.model.get("choices") || [];
    const choice = this.model.get("choice") || "";
    const sel = this.select;
    const key = JSON.stringify(choices);
    if (key !== this.choicesKey) {
      this.choicesKey = key;
      sel.replaceChildren();
      const groups = [["function", "functions"], ["object", "objects"]];
      for (const [kind, title] of groups) {
        const items = choices.filter((c) => c.kind === kind);
        if (!items.length) continue;
        const og = document.createElement("optgroup");
        og.label = title;
        for (const c of items) {
          const opt = document.createElement("option");
          opt.value = String(c.key);
          opt.textContent = kind === "object" && c.type ? `${c.label}  (${c.type.replace("_", " ")})` : String(c.label);
          og.appendChild(opt);
        }
        sel.appendChild(og);
      }
      sel.disabled = !choices.length;
    }
    if (sel.value !== choice) sel.value = choice;
    const machine = this.model.get("machine");
    for (const [name, b] of Object.entries(this.machineButtons)) {
      b.setAttribute("aria-pressed", name === machine ? "true" : "false");
      b.disabled = !choices.length;
    }
    this.root.dataset.machine = machine || "";
    this.root.dataset.choice = choice;
  }

  // ---- drawing -------------------------------------------------------------------------

  /** A message in place of the diagram; with `meta`, the machine's moves as text below
   * it (what a page with no kernel and no drawing can still show). */
  message(text, error = false, meta = null) {
    const m = el("div", `avz-message${error ? " avz-error" : ""}`, text);
    this.diagram.replaceChildren(m);
    if (!meta || !(meta.edges || []).length) return;
    const list = el("ul", "avz-moves");
    list.dataset.testid = "states-moves";
    for (const e of meta.edges) {
      list.appendChild(el("li", "", `${this.nodeLabel(e.source)} → ${this.nodeLabel(e.target)}: ${e.label}`));
    }
    this.diagram.appendChild(list);
  }

  async render() {
    const gen = ++this.gen;
    const root = this.root;
    delete root.dataset.ready;
    this.svg = null;
    this.nodes = new Map();
    this.edges = new Map();
    this.selected = null;
    this.hovered = null;
    this.tooltip.hide();
    const { dot, svg: fromPython } = this.shown();
    this.drawnDot = dot;
    this.drawnSvg = fromPython;
    this.updateInfo("");
    if (!dot) {
      this.message("no generator, coroutine or async generator ran in scope");
      root.dataset.renderedBy = "";
      this.applyCursor();
      root.dataset.ready = "1";
      return;
    }
    if (fromPython) {
      this.pythonDraws = true;
      this.install(fromPython, "python");
      return;
    }
    this.message("laying the machine out…", false, this.meta);
    if (this.pythonDraws && !this.waited.has(dot)) {
      // the kernel has `dot`: its drawing of an inline machine is on its way
      setTimeout(() => {
        this.waited.add(dot);
        if (gen === this.gen) this.render();
      }, KERNEL_WAIT_MS);
      return;
    }
    let gv;
    const asked = performance.now();
    try {
      gv = await loadEngine(this.model);
      root.dataset.engineMs = (performance.now() - asked).toFixed(1);
    } catch (err) {
      if (gen !== this.gen) return;
      this.message(`cannot lay the machine out: ${err && err.message ? err.message : err}`, true,
        this.meta);
      root.dataset.renderedBy = "";
      root.dataset.ready = "error";
      return;
    }
    if (gen !== this.gen) return;
    let text;
    const fonts = metricFonts(dot);
    const t0 = performance.now();
    try {
      text = gv.layout(fonts.dot, "svg", "dot");
    } catch (err) {
      this.message(`Graphviz could not lay the machine out: ${err && err.message ? err.message : err}`, true);
      root.dataset.ready = "error";
      return;
    }
    root.dataset.layoutMs = (performance.now() - t0).toFixed(1);
    this.install(text, "wasm", fonts.restore);
  }

  install(text, by, restoreFonts = null) {
    const root = this.root;
    let svg;
    try {
      svg = parseSvg(text);
    } catch (err) {
      this.message(String(err && err.message ? err.message : err), true);
      root.dataset.ready = "error";
      return;
    }
    const { w } = naturalSize(svg);
    svg.removeAttribute("width");
    svg.removeAttribute("height");
    svg.style.width = `${Math.round(w)}px`;
    svg.setAttribute("role", "img");
    svg.setAttribute("aria-label", `state machine: ${this.meta.title || ""}`);
    const { nodes, edges } = indexGraph(svg);
    const meta = this.meta;
    for (const [id, g] of nodes) if (meta.nodes && meta.nodes[id]) g.setAttribute("data-avz-live", "");
    for (const [i, g] of edges) if (meta.edges && meta.edges[i]) g.setAttribute("data-avz-live", "");
    this.svg = svg;
    this.nodes = nodes;
    this.edges = edges;
    if (restoreFonts) restoreFonts(svg);
    this.diagram.replaceChildren(svg);
    if (by === "wasm") root.dataset.squeezed = String(fitTexts(svg));
    this.dark = null;
    this.onThemeChange();
    root.dataset.renderedBy = by;
    this.updateInfo(by);
    this.cursorKey = "";
    this.applyCursor();
    root.dataset.ready = "1";
  }

  updateInfo(by) {
    const meta = this.meta;
    const n = (meta.objects || []).length;
    const what = meta.kind === "lifecycle" ? "lifecycle" : "suspension points";
    const parts = [];
    if (meta.title) parts.push(`${what} of ${meta.title}`);
    if (n) parts.push(`${n} object${n === 1 ? "" : "s"}`);
    if (meta.events) parts.push(`${meta.events.length} events`);
    if (by) parts.push(by === "wasm" ? "laid out in the browser" : "laid out by dot");
    this.info.textContent = parts.join(" · ");
    this.info.title = this.info.textContent;
  }

  onThemeChange() {
    const theme = readTheme(this.root);
    if (this.svg && theme.dark !== this.dark) {
      this.dark = theme.dark;
      applyTheme(this.svg, theme.dark);
      this.root.dataset.theme = theme.dark ? "dark" : "light";
    }
    for (const c of this.bar.querySelectorAll("canvas.avz-icon")) {
      icon(c.dataset.icon, getComputedStyle(this.bar).color || "#444", c);
    }
  }

  // ---- cursor ------------------------------------------------------------------------------

  /** (node id, edge index) after event `cursor`: machine.at(cursor), from the meta. */
  at(cursor) {
    const meta = this.meta;
    const events = meta.events || [];
    if (cursor < 0 || !events.length) return { k: -1, node: null, edge: null };
    const k = lastAtOrBefore(events, cursor);
    if (k < 0) return { k, node: null, edge: null };
    const edge = meta.event_edges[k];
    return { k, node: meta.event_nodes[k], edge: edge >= 0 ? edge : null };
  }

  applyCursor() {
    const cursor = this.model.get("cursor") ?? -1;
    const { k, node, edge } = this.at(cursor);
    const key = `${cursor}|${node}|${edge}|${this.svg ? 1 : 0}`;
    if (key === this.cursorKey) return;
    this.cursorKey = key;
    for (const g of this.diagram.querySelectorAll(".avz-current, .avz-taken")) {
      g.classList.remove("avz-current", "avz-taken");
    }
    const ng = node !== null ? this.nodes.get(node) : null;
    const eg = edge !== null ? this.edges.get(edge) : null;
    if (ng) ng.classList.add("avz-current");
    if (eg) eg.classList.add("avz-taken");
    this.root.dataset.cursor = String(cursor);
    this.root.dataset.currentNode = node ?? "";
    this.root.dataset.currentEdge = edge === null ? "" : String(edge);
    if (ng) this.reveal(ng);
    this.current = { cursor, k, node, edge };
    this.updateStatus();
  }

  /** Scroll the diagram box (only it, never the notebook) so that `g` is visible. */
  reveal(g) {
    const box = this.diagram;
    if (box.scrollHeight <= box.clientHeight + 1) return;
    const b = box.getBoundingClientRect();
    const r = g.getBoundingClientRect();
    if (r.top < b.top) box.scrollTop -= b.top - r.top + 16;
    else if (r.bottom > b.bottom) box.scrollTop += r.bottom - b.bottom + 16;
  }

  step(d) {
    const events = this.meta.events || [];
    if (!events.length) return;
    const cursor = this.model.get("cursor") ?? -1;
    let next;
    if (d > 0) {
      const k = lastAtOrBefore(events, cursor);
      next = events[Math.min(events.length - 1, k + 1)];
    } else {
      const k = lastAtOrBefore(events, cursor - 1);
      next = k >= 0 ? events[k] : events[0];
    }
    if (next !== cursor) this.setTraits({ cursor: next });
  }

  nodeLabel(id) {
    const n = (this.meta.nodes || {})[id];
    return n ? n.label : String(id);
  }

  updateStatus() {
    const meta = this.meta;
    const line = this.nowLine;
    line.replaceChildren();
    const cur = this.current || { cursor: -1, node: null };
    if (!(meta.events || []).length) {
      line.appendChild(el("span", "avz-muted", "no events"));
    } else if (cur.cursor < 0) {
      line.appendChild(el("span", "avz-muted",
        "step with ◀ ▶ (or the timeline's cursor) to follow the machine: the current state is outlined"));
    } else if (cur.node === null) {
      line.append(el("span", "avz-now-index", `event #${cur.cursor}`),
        el("span", "avz-muted", "before this machine's first event"));
    } else {
      const objects = meta.objects || [];
      const event = meta.events[cur.k];
      line.append(el("span", "avz-now-index", `event #${cur.cursor}`),
        el("span", "avz-key avz-key-current"),
        el("span", "avz-now-where", this.nodeLabel(cur.node)));
      if (cur.edge !== null && meta.edges && meta.edges[cur.edge]) {
        const e = meta.edges[cur.edge];
        line.appendChild(el("span", "avz-muted", `via ${this.nodeLabel(e.source)} → ${this.nodeLabel(e.target)}`));
      }
      if (event !== cur.cursor) line.appendChild(el("span", "avz-muted", `(since event #${event})`));
      if (objects.length > 1) line.appendChild(el("span", "avz-muted", `· latest of ${objects.length} objects`));
    }
    const sl = this.selLine;
    sl.replaceChildren();
    const selected = this.model.get("selected_events") || [];
    if (this.selected) {
      const what = this.selected.type === "node" ? this.nodeLabel(this.selected.id)
        : this.edgeTitle(this.selected.index);
      sl.append(el("span", "avz-key avz-key-selected"),
        el("span", "", `selected: ${what} — ${selected.length} event${selected.length === 1 ? "" : "s"}`));
      const sel = this.model.get("selection");
      const labels = meta.labels || {};
      if (sel >= 0 && labels[String(sel)]) sl.appendChild(el("span", "", ` · object ${labels[String(sel)]}`));
    } else {
      sl.textContent = "click a state or transition to select its events";
    }
  }

  edgeTitle(i) {
    const e = (this.meta.edges || [])[i];
    return e ? `${this.nodeLabel(e.source)} → ${this.nodeLabel(e.target)}` : `edge ${i}`;
  }

  // ---- hover and click ---------------------------------------------------------------------

  hit(target) {
    if (!this.svg || !(target instanceof Element)) return null;
    const g = target.closest("g.node, g.edge");
    if (!g || !this.svg.contains(g)) return null;
    if (g.classList.contains("node")) {
      const id = g.id.startsWith("node-") ? g.id.slice(5) : null;
      return { type: "node", id, g, live: id !== null && !!(this.meta.nodes || {})[id] };
    }
    const m = /^edge-(\d+)$/.exec(g.id);
    const index = m ? Number(m[1]) : null;
    return { type: "edge", index, g, live: index !== null && !!(this.meta.edges || [])[index] };
  }

  onHover(e) {
    const h = this.hit(e.target);
    const g = h ? h.g : null;
    if (this.hovered !== g) {
      if (this.hovered) this.hovered.classList.remove("avz-hover");
      this.hovered = g;
      if (g && h.live) g.classList.add("avz-hover");
    }
    if (!h) {
      this.tooltip.hide();
      return;
    }
    const content = this.tooltipContent(h);
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

  tooltipContent(h) {
    const meta = this.meta;
    if (h.type === "node" && h.live) {
      const n = meta.nodes[h.id];
      const rows = [["kind", KIND_TEXT[n.kind] || n.kind]];
      if (n.line !== null && n.line !== undefined) rows.push([`line ${n.line}`, n.text || "", "avz-mono"]);
      if (n.kind !== "start") rows.push(["entered", `${n.count} time${n.count === 1 ? "" : "s"}`]);
      const events = this.eventsOf(h);
      if (events.length) rows.push(["", `click to select its ${events.length} event${events.length === 1 ? "" : "s"}`, "avz-muted"]);
      return { title: n.label, rows };
    }
    if (h.type === "edge" && h.live) {
      const e = meta.edges[h.index];
      const rows = [["transitions", e.label], ["taken", `${e.count} time${e.count === 1 ? "" : "s"}`]];
      (e.samples || []).slice(0, MAX_SAMPLES_SHOWN).forEach((s, i) => {
        rows.push([i === 0 ? "samples" : "", String(s), "avz-mono"]);
      });
      rows.push(["", `click to select its ${e.count} event${e.count === 1 ? "" : "s"}`, "avz-muted"]);
      return { title: this.edgeTitle(h.index), rows };
    }
    const tip = graphvizTip(h.g);
    if (!tip) return null;
    const [title, ...rest] = tip.split("\n");
    return { title, rows: rest.map((r) => ["", r]) };
  }

  eventsOf(h) {
    const meta = this.meta;
    const events = meta.events || [];
    const out = [];
    if (h.type === "node") {
      const nodes = meta.event_nodes || [];
      for (let k = 0; k < events.length; k++) if (nodes[k] === h.id) out.push(events[k]);
    } else {
      const edges = meta.event_edges || [];
      for (let k = 0; k < events.length; k++) if (edges[k] === h.index) out.push(events[k]);
    }
    return out;
  }

  onClick(e) {
    const h = this.hit(e.target);
    if (!h || !h.live) {
      this.clearSelection(true);
      return;
    }
    for (const g of this.diagram.querySelectorAll(".avz-selected")) g.classList.remove("avz-selected");
    h.g.classList.add("avz-selected");
    this.selected = h.type === "node" ? { type: "node", id: h.id } : { type: "edge", index: h.index };
    this.root.dataset.selected = h.type === "node" ? `node:${h.id}` : `edge:${h.index}`;
    const values = { selected_events: this.eventsOf(h) };
    const objects = this.meta.objects || [];
    if (objects.length === 1) values.selection = objects[0];
    this.setTraits(values);
    this.updateStatus();
  }

  clearSelection(sync) {
    for (const g of this.diagram.querySelectorAll(".avz-selected")) g.classList.remove("avz-selected");
    const had = this.selected !== null;
    this.selected = null;
    this.root.dataset.selected = "";
    if (sync && had) this.setTraits({ selected_events: [] });
    this.updateStatus();
  }

  // ---- test hooks ----------------------------------------------------------------------------

  exposeHooks() {
    const self = this;
    const centre = (g) => {
      if (!g) return null;
      const r = g.getBoundingClientRect();
      return { x: r.left + r.width / 2, y: r.top + r.height / 2, width: r.width, height: r.height };
    };
    this.root.__asyncviz = {
      /** Client centre of node `id` (a Node.id), or null. */
      nodePosition(id) { return centre(self.nodes.get(String(id))); },
      /** A client point on edge i's line (its middle), or null. */
      edgePosition(i) {
        const g = self.edges.get(Number(i));
        const path = g && g.querySelector("path:not(.avz-hit)");
        if (!path) return null;
        const p = path.getPointAtLength(path.getTotalLength() / 2);
        const m = path.getScreenCTM();
        return m ? { x: m.a * p.x + m.c * p.y + m.e, y: m.b * p.x + m.d * p.y + m.f } : null;
      },
      state() {
        const r = self.root.dataset;
        return {
          ready: r.ready || "", renderedBy: r.renderedBy || "", layoutMs: r.layoutMs || "",
          currentNode: r.currentNode || "", currentEdge: r.currentEdge || "",
          choice: self.model.get("choice"), machine: self.model.get("machine"),
          nodes: [...self.nodes.keys()], edges: [...self.edges.keys()],
          selected: r.selected || "",
        };
      },
    };
  }

  destroy() {
    this.gen++;
    this.root.remove();
  }
}

function render({ model, el: host }) {
  const view = new States(model, host);
  const names = ["choices", "choice", "machine", "dot", "svg", "meta", "machines", "cursor",
    "selection", "selected_events"];
  const handlers = names.map((name) => {
    const h = () => view.onModelChange(name);
    model.on(`change:${name}`, h);
    return [name, h];
  });
  const leaveLink = joinLink(model);
  const mo = new MutationObserver(() => view.onThemeChange());
  mo.observe(document.body, { attributes: true, attributeFilter: ["data-jp-theme-light", "data-jp-theme-name", "class", "style"] });
  mo.observe(document.documentElement, { attributes: true, attributeFilter: ["class", "style", "data-theme"] });
  const mq = typeof matchMedia === "function" ? matchMedia("(prefers-color-scheme: dark)") : null;
  const onMq = () => view.onThemeChange();
  if (mq && mq.addEventListener) mq.addEventListener("change", onMq);
  // a detached element has no theme variables: look again once it is in the page
  const ro = new ResizeObserver(() => view.onThemeChange());
  ro.observe(view.root);
  return () => {
    for (const [name, h] of handlers) model.off(`change:${name}`, h);
    leaveLink();
    mo.disconnect();
    ro.disconnect();
    if (mq && mq.removeEventListener) mq.removeEventListener("change", onMq);
    view.destroy();
  };
}

export default { render };
