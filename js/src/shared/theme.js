// The look: asyncviz/theme.json (the palette, glyphs and legend words the static images
// use too; esbuild inlines it) in its light or dark variant, with the notebook's own
// background, text, grid and fonts where it has them (JupyterLab, Notebook 7 and VS Code
// variables, in that order), else the OS preference.

import theme from "../../../asyncviz/theme.json";

export const THEME = theme;

/**
 * @typedef {object} Theme  one variant of theme.json, with the notebook's colours
 * @property {boolean} dark
 * @property {string} bg       canvas background
 * @property {string} bandA    lane background (even lanes)
 * @property {string} bandB    lane background (odd lanes)
 * @property {string} fg       primary text
 * @property {string} muted    secondary text
 * @property {string} grid     grid and separators
 * @property {string} accent   the cursor
 * @property {string} select   selected lane band
 * @property {string} font     UI font family
 * @property {string} mono     code font family
 * @property {Record<string, string>} object      bar colour per object kind (and idle)
 * @property {Record<string, string>} objectText  text colour on those bars
 * @property {Record<string, string>} marker      marker colour per event kind
 * @property {Record<string, string>} state       chip colour per state
 */

/**
 * A colour of the theme with transparency.
 * @param {string} hex  "#rrggbb"
 * @param {number} alpha
 */
export function rgba(hex, alpha) {
  const v = parseInt(hex.slice(1), 16);
  return `rgba(${(v >> 16) & 255}, ${(v >> 8) & 255}, ${v & 255}, ${alpha})`;
}

/**
 * @param {CSSStyleDeclaration} style
 * @param {string[]} names
 * @param {string} fallback
 */
function cssVar(style, names, fallback) {
  for (const name of names) {
    const v = style.getPropertyValue(name).trim();
    if (v) return v;
  }
  return fallback;
}

/**
 * Relative luminance of a CSS colour the browser understands (0 dark … 1 light).
 * @param {string} colour
 * @param {HTMLElement} probe
 */
function luminance(colour, probe) {
  probe.style.color = "";
  probe.style.color = colour;
  const m = /rgba?\(([\d.]+)[, ]+([\d.]+)[, ]+([\d.]+)/.exec(getComputedStyle(probe).color);
  if (!m) return 1;
  const [r, g, b] = m.slice(1, 4).map((x) => {
    const c = Number(x) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

/**
 * Is the notebook around `el` dark?  Its background's luminance; with no notebook
 * variables, the OS preference.
 * @param {HTMLElement} el
 * @param {CSSStyleDeclaration} style
 */
function isDark(el, style) {
  const bg = cssVar(style, ["--jp-layout-color0", "--vscode-editor-background"], "");
  if (!bg) return typeof matchMedia === "function" && matchMedia("(prefers-color-scheme: dark)").matches;
  const probe = document.createElement("span");
  probe.style.display = "none";
  el.appendChild(probe);
  const dark = luminance(bg, probe) < 0.3;
  probe.remove();
  return dark;
}

/**
 * Read the theme for element `el` from its computed style.
 * @param {HTMLElement} el
 * @returns {Theme}
 */
export function readTheme(el) {
  const style = getComputedStyle(el);
  const dark = isDark(el, style);
  const base = dark ? theme.dark : theme.light;
  const bg = cssVar(style, ["--jp-layout-color0", "--vscode-editor-background"], base.bg);
  const bandA = cssVar(style, ["--jp-layout-color0"], bg);
  const bandB = cssVar(style, ["--jp-layout-color1"], base.bandB);
  return {
    dark,
    bg,
    bandA,
    bandB: bandB === bandA ? base.bandB : bandB,
    fg: cssVar(style, ["--jp-ui-font-color1", "--vscode-editor-foreground"], base.fg),
    muted: cssVar(style, ["--jp-ui-font-color2", "--vscode-descriptionForeground"], base.muted),
    grid: cssVar(style, ["--jp-border-color2", "--vscode-editorWidget-border"], base.grid),
    accent: base.accent,
    select: base.select,
    font: cssVar(style, ["--jp-ui-font-family", "--vscode-font-family"], theme.fonts.ui),
    mono: cssVar(style, ["--jp-code-font-family", "--vscode-editor-font-family"], theme.fonts.mono),
    object: base.object,
    objectText: base.objectText,
    marker: base.marker,
    state: base.state,
  };
}
