// The diagram box: a message in place of a drawing (with the machine's moves as text, all
// a page without a kernel or a drawing can show), a drawing made ready from SVG text,
// and what in it is under the pointer.

import { el } from "../shared/dom.js";
import { indexGraph, naturalSize, parseSvg } from "./svg.js";
import { nodeLabel } from "./text.js";

/**
 * @typedef {import("./text.js").Meta} Meta
 * @typedef {import("./text.js").GraphHit} GraphHit
 */

/**
 * @param {HTMLElement} diagram
 * @param {string} text
 * @param {boolean} error
 * @param {Meta|null} meta
 */
export function showMessage(diagram, text, error, meta) {
  diagram.replaceChildren(el("div", `avz-message${error ? " avz-error" : ""}`, text));
  const edges = meta ? meta.edges || [] : [];
  if (!meta || !edges.length) return;
  const list = el("ul", "avz-moves");
  list.dataset.testid = "states-moves";
  for (const e of edges) {
    list.appendChild(el("li", "", `${nodeLabel(meta, e.source)} → ${nodeLabel(meta, e.target)}: ${e.label}`));
  }
  diagram.appendChild(list);
}

/**
 * SVG text as a sanitised <svg> (svg.js) at its natural size, its nodes and edges
 * indexed and those the machine's meta knows marked live (hover, click).
 * @param {string} text
 * @param {Meta} meta
 */
export function prepareSvg(text, meta) {
  const svg = parseSvg(text);
  svg.style.width = `${Math.round(naturalSize(svg).w)}px`;
  svg.removeAttribute("width");
  svg.removeAttribute("height");
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", `state machine: ${meta.title || ""}`);
  const { nodes, edges } = indexGraph(svg);
  for (const [id, g] of nodes) if (meta.nodes && meta.nodes[id]) g.setAttribute("data-avz-live", "");
  for (const [i, g] of edges) if (meta.edges && meta.edges[i]) g.setAttribute("data-avz-live", "");
  return { svg, nodes, edges };
}

/**
 * The node or edge of `svg` at `target`, if any.
 * @param {SVGSVGElement} svg
 * @param {Meta} meta
 * @param {EventTarget|null} target
 * @returns {GraphHit|null}
 */
export function graphHit(svg, meta, target) {
  if (!(target instanceof Element)) return null;
  const g = target.closest("g.node, g.edge");
  if (!g || !svg.contains(g)) return null;
  if (g.classList.contains("node")) {
    const id = g.id.startsWith("node-") ? g.id.slice(5) : null;
    return { type: "node", id, g, live: id !== null && !!(meta.nodes || {})[id] };
  }
  const m = /^edge-(\d+)$/.exec(g.id);
  const index = m ? Number(m[1]) : null;
  return { type: "edge", index, g, live: index !== null && !!(meta.edges || [])[index] };
}
