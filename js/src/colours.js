// Colours: JupyterLab's theme variables (light or dark) plus the Okabe–Ito palette,
// which stays distinguishable for colour-blind readers.  Marker kinds also differ by
// shape (see glyphs.js), so colour is never the only cue.

/** Okabe & Ito (2008), "Color Universal Design". */
export const OKABE_ITO = {
  orange: "#E69F00",
  sky: "#56B4E9",
  green: "#009E73",
  yellow: "#F0E442",
  blue: "#0072B2",
  vermillion: "#D55E00",
  purple: "#CC79A7",
  black: "#000000",
};

/**
 * @typedef {object} Theme
 * @property {boolean} dark
 * @property {string} bg       canvas background
 * @property {string} bandA    lane background (even lanes)
 * @property {string} bandB    lane background (odd lanes)
 * @property {string} fg       primary text
 * @property {string} muted    secondary text
 * @property {string} grid     grid and separators
 * @property {string} accent   cursor and focus
 * @property {string} select   selected lane band
 * @property {string} font     UI font family
 * @property {string} mono     code font family
 * @property {Record<string, string>} object   bar colour per object kind
 * @property {Record<string, string>} objectText  text colour on those bars
 * @property {Record<string, string>} marker   marker colour per event kind
 * @property {Record<string, string>} state    chip colour per state
 */

function cssVar(style, names, fallback) {
  for (const name of names) {
    const v = style.getPropertyValue(name).trim();
    if (v) return v;
  }
  return fallback;
}

/** Relative luminance of a CSS colour the browser understands (0 dark … 1 light). */
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
 * Read the theme from the element's computed style (JupyterLab, Notebook 7 and VS Code
 * variables, in that order), falling back to the OS preference.
 * @param {HTMLElement} el
 * @returns {Theme}
 */
export function readTheme(el) {
  const style = getComputedStyle(el);
  const prefersDark = typeof matchMedia === "function"
    && matchMedia("(prefers-color-scheme: dark)").matches;
  const hasJp = !!style.getPropertyValue("--jp-layout-color0").trim()
    || !!style.getPropertyValue("--vscode-editor-background").trim();
  const defaultBg = !hasJp && prefersDark ? "#1e1e1e" : "#ffffff";
  const bg = cssVar(style, ["--jp-layout-color0", "--vscode-editor-background"], defaultBg);
  const probe = document.createElement("span");
  probe.style.display = "none";
  el.appendChild(probe);
  const dark = luminance(bg, probe) < 0.3;
  probe.remove();
  const fg = cssVar(style, ["--jp-ui-font-color1", "--vscode-editor-foreground"],
    dark ? "#e6e6e6" : "#1a1a1a");
  const muted = cssVar(style, ["--jp-ui-font-color2", "--vscode-descriptionForeground"],
    dark ? "#a0a0a0" : "#616161");
  const grid = cssVar(style, ["--jp-border-color2", "--vscode-editorWidget-border"],
    dark ? "#3a3a3a" : "#e0e0e0");
  const bandA = cssVar(style, ["--jp-layout-color0"], bg);
  const bandB = cssVar(style, ["--jp-layout-color1"], dark ? "#252526" : "#f7f7f7");
  const o = OKABE_ITO;
  const ink = dark ? "#f0f0f0" : "#111111";
  return {
    dark,
    bg,
    bandA,
    bandB: bandB === bandA ? (dark ? "#262626" : "#f6f6f6") : bandB,
    fg,
    muted,
    grid,
    accent: o.vermillion,
    select: dark ? "rgba(86,180,233,0.16)" : "rgba(0,114,178,0.09)",
    font: cssVar(style, ["--jp-ui-font-family", "--vscode-font-family"],
      "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif"),
    mono: cssVar(style, ["--jp-code-font-family", "--vscode-editor-font-family"],
      "ui-monospace, SFMono-Regular, Menlo, Consolas, 'DejaVu Sans Mono', monospace"),
    object: {
      coroutine: dark ? "#3b9ddb" : o.blue,
      generator: o.green,
      async_generator: o.purple,
      task: o.orange,
      future: o.yellow,
      idle: dark ? "#5a5a5a" : "#c4c4c4",
    },
    objectText: {
      coroutine: "#ffffff",
      generator: "#ffffff",
      async_generator: "#111111",
      task: "#111111",
      future: "#111111",
      idle: ink,
    },
    marker: {
      create: o.orange,
      start: o.green,
      resume: o.green,
      throw: o.vermillion,
      yield: o.sky,
      await: dark ? "#7cc4f0" : o.blue,
      return: ink,
      raise: o.vermillion,
      close: dark ? "#9a9a9a" : "#6b6b6b",
      cancel: o.purple,
    },
    state: {
      CREATED: dark ? "#8a8a8a" : "#8c8c8c",
      RUNNING: o.green,
      SUSPENDED: o.orange,
      CLOSED: dark ? "#5c5c5c" : "#bdbdbd",
      "—": "transparent",
    },
  };
}
