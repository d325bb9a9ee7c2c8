// Hooks for tests, on the root element (data-testid=asyncviz-states): the data-*
// attributes widget.js sets, and el.__asyncviz = {nodePosition(id), edgePosition(i),
// state()} (client coordinates).

/** @typedef {import("./widget.js").States} States */

/** @param {Element|undefined} g */
function centre(g) {
  if (!g) return null;
  const r = g.getBoundingClientRect();
  return { x: r.left + r.width / 2, y: r.top + r.height / 2, width: r.width, height: r.height };
}

/** @param {States} view */
export function exposeHooks(view) {
  /** @type {any} */ (view.root).__asyncviz = {
    /** Client centre of node `id` (a Node.id), or null. @param {string} id */
    nodePosition(id) { return centre(view.nodes.get(String(id))); },
    /** A client point on edge i's line (its middle), or null. @param {number} i */
    edgePosition(i) {
      const g = view.edges.get(Number(i));
      const path = /** @type {SVGPathElement|null} */ (g ? g.querySelector("path:not(.avz-hit)") : null);
      if (!path) return null;
      const p = path.getPointAtLength(path.getTotalLength() / 2);
      const m = path.getScreenCTM();
      return m ? { x: m.a * p.x + m.c * p.y + m.e, y: m.b * p.x + m.d * p.y + m.f } : null;
    },
    state() {
      const r = view.root.dataset;
      return {
        ready: r.ready || "", renderedBy: r.renderedBy || "", layoutMs: r.layoutMs || "",
        currentNode: r.currentNode || "", currentEdge: r.currentEdge || "",
        choice: view.model.get("choice"), machine: view.model.get("machine"),
        nodes: [...view.nodes.keys()], edges: [...view.edges.keys()],
        selected: r.selected || "",
      };
    },
  };
}
