// asyncviz states widget: the anywidget entry point (bundled as asyncviz/static/
// states.js; see asyncviz/widgets/states.py).
//
// Traits: choices ([{key, label, kind, type}]), choice (key), machine ("lifecycle" |
// "points"), dot, svg ("" → laid out here with @hpcc-js/wasm-graphviz), meta ({nodes,
// edges, events, event_nodes, event_edges, objects, labels, title, kind}), cursor (event
// index, -1: none), selection (object id, -1: none), selected_events ([event index]),
// link_id (widgets with the same id follow each other: shared/link.js), machines
// (inline: every machine's dot and meta by "<choice>|<machine>", and per object the
// choice that stands for it — the page switches machines and follows a selection with
// no kernel).  The machine shown is the inline one for (choice, machine) until the
// kernel's dot trait matches it; then the kernel's svg (drawn by `dot`) is used when
// there is one.  Custom messages: {type: "layout-engine"} → {type: "layout-engine"} +
// the engine's ESM as a buffer (engine.js).
//
// Hooks for tests, on the root element (data-testid=asyncviz-states): data-ready (the
// diagram is drawn), data-rendered-by ("python" | "wasm"), data-layout-ms and
// data-engine-ms (wasm only: the layout, and waiting for the engine; 0 once loaded),
// data-current-node (Node.id, "" none), data-current-edge (edge index, "" none),
// data-selected (what was clicked: "node:<id>" | "edge:<i>" | ""), data-machine,
// data-choice; children states-choice, machine-lifecycle, machine-points, states-diagram,
// states-tooltip, states-status, states-step-back, states-step-forward; graph elements
// keep their DOT ids (node-<id>, edge-<i>); el.__asyncviz: hooks.js.

import { el } from "../shared/dom.js";
import { joinLink } from "../shared/link.js";
import { onChanges, watchTheme } from "../shared/observe.js";
import { CSS } from "../shared/style.js";
import { STATES_CSS } from "./style.js";
import { States } from "./widget.js";

const TRAITS = ["choices", "choice", "machine", "dot", "svg", "meta", "machines", "cursor",
  "selection", "selected_events"];

/** @param {{model: any, el: HTMLElement}} props */
function render({ model, el: host }) {
  const root = el("div", "avz-root avz-states");
  root.dataset.testid = "asyncviz-states";
  root.tabIndex = 0;
  root.setAttribute("role", "figure");
  root.setAttribute("aria-label", "asyncviz state machine");
  const style = el("style");
  style.textContent = CSS + STATES_CSS;
  root.appendChild(style);
  host.appendChild(root);
  const view = new States(model, root);
  const off = onChanges(model, TRAITS, (name) => view.onModelChange(name));
  const leaveLink = joinLink(model);
  const unwatch = watchTheme(root, () => view.onThemeChange());
  // a detached element has no theme variables: look again once it is in the page
  const ro = new ResizeObserver(() => view.onThemeChange());
  ro.observe(root);
  return () => {
    off();
    leaveLink();
    unwatch();
    ro.disconnect();
    view.destroy();
  };
}

export default { render };
