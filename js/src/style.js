// Scoped styles (every class starts with avz-), following JupyterLab's variables.

export const CSS = `
.avz-root {
  --avz-fg: var(--jp-ui-font-color1, var(--vscode-editor-foreground, #1a1a1a));
  --avz-muted: var(--jp-ui-font-color2, var(--vscode-descriptionForeground, #616161));
  --avz-bg: var(--jp-layout-color0, var(--vscode-editor-background, #ffffff));
  --avz-bg2: var(--jp-layout-color2, #eeeeee);
  --avz-border: var(--jp-border-color2, #d0d0d0);
  --avz-accent: #D55E00;
  --avz-focus: var(--jp-brand-color1, #0072B2);
  font-family: var(--jp-ui-font-family, system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif);
  font-size: 12px;
  color: var(--avz-fg);
  background: var(--avz-bg);
  border: 1px solid var(--avz-border);
  border-radius: 4px;
  outline: none;
  position: relative;
  user-select: none;
  -webkit-user-select: none;
  max-width: 100%;
  box-sizing: border-box;
}
.avz-root:focus-visible { box-shadow: 0 0 0 2px var(--avz-focus); }
.avz-root * { box-sizing: border-box; }
.avz-toolbar {
  display: flex; flex-wrap: wrap; align-items: center; gap: 6px 10px;
  padding: 5px 8px; border-bottom: 1px solid var(--avz-border);
}
.avz-group { display: inline-flex; gap: 2px; align-items: center; }
.avz-btn, .avz-speed {
  font: inherit; color: var(--avz-fg); background: var(--avz-bg);
  border: 1px solid var(--avz-border); border-radius: 3px;
  min-width: 26px; height: 24px; padding: 0 7px; cursor: pointer; line-height: 22px;
}
.avz-btn:hover, .avz-speed:hover { background: var(--avz-bg2); }
.avz-btn:focus-visible, .avz-speed:focus-visible { outline: 2px solid var(--avz-focus); outline-offset: 1px; }
.avz-btn[aria-pressed="true"] { background: var(--avz-bg2); font-weight: 600; }
.avz-toggle { min-width: 86px; }
.avz-info { margin-left: auto; color: var(--avz-muted); white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.avz-notice {
  padding: 4px 10px; background: rgba(230, 159, 0, 0.18); color: var(--avz-fg);
  border-bottom: 1px solid rgba(230, 159, 0, 0.6); font-weight: 600;
}
.avz-notice::before { content: "⚠ "; }
.avz-canvas-wrap { position: relative; width: 100%; overflow: hidden; }
.avz-canvas { display: block; width: 100%; touch-action: none; cursor: default; }
.avz-canvas.avz-grab { cursor: grabbing; }
.avz-canvas.avz-pointer { cursor: pointer; }
.avz-tooltip {
  position: absolute; z-index: 10; pointer-events: none;
  max-width: min(520px, 90%); padding: 6px 9px;
  background: var(--jp-layout-color1, var(--avz-bg)); color: var(--avz-fg);
  border: 1px solid var(--avz-border); border-radius: 4px;
  box-shadow: 0 2px 8px rgba(0, 0, 0, 0.22); font-size: 12px; line-height: 1.45;
}
.avz-tooltip[hidden] { display: none; }
.avz-tt-head { display: flex; gap: 6px; align-items: baseline; margin-bottom: 3px; }
.avz-tt-title { font-weight: 600; overflow-wrap: anywhere; }
.avz-tt-glyph { font-size: 13px; }
.avz-tt-rows { display: grid; grid-template-columns: auto 1fr; gap: 1px 10px; }
.avz-tt-key { color: var(--avz-muted); white-space: nowrap; }
.avz-tt-val { overflow-wrap: anywhere; white-space: pre-wrap; }
.avz-mono, .avz-root code {
  font-family: var(--jp-code-font-family, ui-monospace, SFMono-Regular, Menlo, Consolas, monospace);
  font-size: 11.5px;
}
.avz-muted { color: var(--avz-muted); }
.avz-status { border-top: 1px solid var(--avz-border); padding: 5px 8px; }
.avz-now { display: flex; flex-wrap: wrap; gap: 4px 8px; align-items: baseline; min-height: 20px; }
.avz-now-index { font-variant-numeric: tabular-nums; color: var(--avz-muted); }
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
  background: var(--avz-state); color: #111;
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
.avz-error { padding: 10px; color: #D55E00; font-weight: 600; }
`;
