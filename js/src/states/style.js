// Styles of the states widget, on top of shared/style.js (.avz-root, toolbar, buttons,
// tooltip, status strip).  Highlights are CSS rules on classes the widget puts on
// Graphviz's <g class="node|edge"> groups: they override the SVG's presentation
// attributes without touching them.

import { rgba, THEME } from "../shared/theme.js";

const L = THEME.light;

export const STATES_CSS = `
.avz-states { --avz-current: ${L.current}; --avz-selected: var(--jp-brand-color1, ${L.selected}); }
.avz-states .avz-select {
  font: inherit; color: var(--avz-fg); background: var(--avz-bg);
  border: 1px solid var(--avz-border); border-radius: 3px; height: 24px;
  max-width: 34ch; padding: 0 4px; cursor: pointer;
}
.avz-states .avz-select:focus-visible { outline: 2px solid var(--avz-focus); outline-offset: 1px; }
.avz-states .avz-seg .avz-btn { border-radius: 0; }
.avz-states .avz-seg .avz-btn:first-child { border-radius: 3px 0 0 3px; }
.avz-states .avz-seg .avz-btn:last-child { border-radius: 0 3px 3px 0; margin-left: -1px; }
.avz-states .avz-seg .avz-btn[aria-pressed="true"] {
  background: var(--avz-bg2); box-shadow: inset 0 -2px 0 var(--avz-focus);
}
.avz-states-wrap { position: relative; }
.avz-states-diagram {
  max-height: 620px; overflow: auto; padding: 6px 8px; text-align: center;
  min-height: 60px;
}
.avz-states-diagram svg { display: inline-block; height: auto; max-width: 100%; vertical-align: top; }
.avz-states-diagram .avz-message { padding: 18px 8px; color: var(--avz-muted); text-align: center; }
.avz-states-diagram .avz-message.avz-error { color: var(--avz-alert); }
.avz-states-diagram .avz-moves { text-align: left; margin: 0 auto 12px; max-width: 60ch; color: var(--avz-fg); }
.avz-states svg .avz-bg { fill: transparent; stroke: none; }
.avz-states svg g.node[data-avz-live], .avz-states svg g.edge[data-avz-live] { cursor: pointer; }
.avz-states svg .avz-hit { stroke: transparent; stroke-width: 12px; fill: none; pointer-events: stroke; }
.avz-states svg g.node.avz-hover :is(ellipse, polygon, path) { stroke-width: 2.6px; }
.avz-states svg g.edge.avz-hover path:not(.avz-hit) { stroke-width: 2.6px; }
.avz-states svg g.node.avz-current :is(ellipse, polygon, path) {
  stroke: var(--avz-current); stroke-width: 3.5px;
}
.avz-states svg g.node.avz-current { filter: drop-shadow(0 0 3px ${rgba(L.current, 0.55)}); }
.avz-states svg g.edge.avz-taken path:not(.avz-hit) { stroke: var(--avz-current); stroke-width: 3.2px; }
.avz-states svg g.edge.avz-taken polygon { stroke: var(--avz-current); fill: var(--avz-current); }
.avz-states svg g.edge.avz-taken text { fill: var(--avz-current); font-weight: 700; }
.avz-states svg g.avz-selected :is(ellipse, polygon, path):not(.avz-hit) {
  stroke-dasharray: 5 3;
}
.avz-states svg g.node.avz-selected :is(ellipse, polygon, path) { stroke: var(--avz-selected); stroke-width: 3px; }
.avz-states svg g.edge.avz-selected path:not(.avz-hit) { stroke: var(--avz-selected); stroke-width: 3px; }
.avz-states svg g.edge.avz-selected polygon { stroke: var(--avz-selected); fill: var(--avz-selected); }
.avz-states svg g.node.avz-current.avz-selected :is(ellipse, polygon, path) { stroke: var(--avz-current); }
.avz-states .avz-now-where { font-weight: 600; }
.avz-states .avz-key { display: inline-block; width: 18px; height: 0; vertical-align: middle; margin-right: 4px; }
.avz-states .avz-key-current { border-top: 3px solid var(--avz-current); }
.avz-states .avz-key-selected { border-top: 3px dashed var(--avz-selected); }
`;
