// Styles both widgets share (every class starts with avz-), following JupyterLab's
// variables, with theme.json's light variant where the notebook has none.

import { THEME } from "./theme.js";

const L = THEME.light;

export const CSS = `
.avz-root {
  --avz-fg: var(--jp-ui-font-color1, var(--vscode-editor-foreground, ${L.fg}));
  --avz-muted: var(--jp-ui-font-color2, var(--vscode-descriptionForeground, ${L.muted}));
  --avz-bg: var(--jp-layout-color0, var(--vscode-editor-background, ${L.bg}));
  --avz-bg2: var(--jp-layout-color2, ${L.bg2});
  --avz-border: var(--jp-border-color2, ${L.border});
  --avz-accent: ${L.accent};
  --avz-alert: ${L.alert};
  --avz-focus: var(--jp-brand-color1, ${L.focus});
  font-family: var(--jp-ui-font-family, ${THEME.fonts.ui});
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
.avz-info { margin-left: auto; color: var(--avz-muted); white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
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
  font-family: var(--jp-code-font-family, ${THEME.fonts.mono});
  font-size: 11.5px;
}
.avz-muted { color: var(--avz-muted); }
.avz-status { border-top: 1px solid var(--avz-border); padding: 5px 8px; }
.avz-now { display: flex; flex-wrap: wrap; gap: 4px 8px; align-items: baseline; min-height: 20px; }
.avz-now-index { font-variant-numeric: tabular-nums; color: var(--avz-muted); }
.avz-error { padding: 10px; color: var(--avz-alert); font-weight: 600; }
`;
