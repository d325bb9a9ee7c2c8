// The timeline's own styles, on top of shared/style.js.

import { rgba, THEME } from "../shared/theme.js";

const WARN = THEME.okabeIto.orange;

export const TIMELINE_CSS = `
.avz-toggle { min-width: 86px; }
.avz-notice {
  padding: 4px 10px; background: ${rgba(WARN, 0.18)}; color: var(--avz-fg);
  border-bottom: 1px solid ${rgba(WARN, 0.6)}; font-weight: 600;
}
.avz-notice::before { content: "⚠ "; }
.avz-canvas-wrap { position: relative; width: 100%; overflow: hidden; }
.avz-canvas { display: block; width: 100%; touch-action: none; cursor: default; }
.avz-canvas.avz-grab { cursor: grabbing; }
.avz-canvas.avz-pointer { cursor: pointer; }
.avz-now-glyph { font-size: 13px; }
.avz-now-object { font-weight: 600; }
.avz-now-value, .avz-now-src {
  background: var(--avz-bg2); padding: 0 4px; border-radius: 3px;
  max-width: 48ch; overflow: hidden; text-overflow: ellipsis; white-space: pre;
}
.avz-chips { display: flex; flex-wrap: wrap; gap: 4px; margin-top: 5px; max-height: 84px; overflow-y: auto; }
.avz-chip {
  --avz-state: transparent;
  font: inherit; font-size: 11px; color: var(--avz-fg); cursor: pointer;
  display: inline-flex; gap: 5px; align-items: center;
  border: 1px solid var(--avz-border); border-radius: 10px; padding: 1px 7px 1px 3px;
  background: var(--avz-bg);
}
.avz-chip-state {
  border-radius: 8px; padding: 0 5px; font-size: 10px; font-weight: 600; letter-spacing: 0.02em;
  background: var(--avz-state); color: ${THEME.light.ink};
}
.avz-chip[data-state="—"] .avz-chip-state { color: var(--avz-muted); }
.avz-chip[data-state="CLOSED"] .avz-chip-state { color: var(--avz-fg); }
.avz-chip[data-state="RUNNING"] .avz-chip-state { color: #fff; }
.avz-chip[data-state="—"] .avz-chip-name { color: var(--avz-muted); }
.avz-chip-current { border-color: var(--avz-accent); box-shadow: 0 0 0 1px var(--avz-accent); }
.avz-chip-selected { border-color: var(--avz-focus); font-weight: 600; }
.avz-legend {
  display: flex; flex-wrap: wrap; gap: 3px 12px; padding: 4px 8px 6px;
  border-top: 1px solid var(--avz-border); color: var(--avz-muted); font-size: 11px;
}
.avz-legend-item { display: inline-flex; gap: 3px; align-items: center; white-space: nowrap; }
.avz-legend-item canvas { flex: none; }
.avz-search { display: inline-flex; gap: 5px; align-items: center; }
.avz-search-input {
  font: inherit; color: var(--avz-fg); background: var(--avz-bg);
  border: 1px solid var(--avz-border); border-radius: 3px; height: 24px; width: 7.5em; padding: 0 6px;
}
.avz-search-input:focus-visible { outline: 2px solid var(--avz-focus); outline-offset: 1px; }
.avz-search-count { color: var(--avz-muted); white-space: nowrap; font-variant-numeric: tabular-nums; }
.avz-search-none .avz-search-count { color: var(--avz-alert); }
.avz-diags {
  display: flex; flex-direction: column; gap: 2px; padding: 4px 8px; max-height: 9.5em; overflow-y: auto;
  border-bottom: 1px solid var(--avz-border); background: ${rgba(WARN, 0.07)};
}
.avz-diag {
  font: inherit; color: var(--avz-fg); text-align: left; cursor: pointer; background: transparent;
  border: 1px solid transparent; border-radius: 3px; padding: 1px 4px;
  display: flex; gap: 8px; align-items: baseline; min-width: 0;
}
.avz-diag:hover, .avz-diag[aria-current="true"] { border-color: var(--avz-alert); background: var(--avz-bg); }
.avz-diag-kind { font-weight: 600; color: var(--avz-alert); white-space: nowrap; }
.avz-diag-kind::before { content: "⚠ "; }
.avz-diag-when { color: var(--avz-muted); white-space: nowrap; font-variant-numeric: tabular-nums; }
.avz-diag-msg { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; min-width: 0; flex: 1; }
.avz-diag-about { color: var(--avz-muted); white-space: nowrap; }
.avz-root .avz-info { white-space: normal; text-align: right; }
.avz-root.avz-present .avz-status, .avz-root.avz-present .avz-legend,
.avz-root.avz-present .avz-diags { font-size: 14px; }
.avz-root.avz-present .avz-chip { font-size: 13px; }
`;
