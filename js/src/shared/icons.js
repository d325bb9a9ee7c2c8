// Toolbar icons: SVG path data (16×16) drawn on small canvases in the button's text
// colour — no icon font, nothing fetched, redrawn when the theme changes.

/** @type {Record<string, string>} */
const PATHS = {
  zoomIn: "M7 3h2v4h4v2H9v4H7V9H3V7h4z",
  zoomOut: "M3 7h10v2H3z",
  reset: "M2 2h5v2H4v3H2zM14 2H9v2h3v3h2zM2 14h5v-2H4V9H2zM14 14H9v-2h3V9h2z",
  back: "M13 3 6 8l7 5zM3 3h2v10H3z",
  forward: "M3 3l7 5-7 5zM11 3h2v10h-2z",
  play: "M4 2.5 13.5 8 4 13.5z",
  pause: "M4 3h3v10H4zM9 3h3v10H9z",
  export: "M7 1.5h2v6.5h3l-4 4.5-4-4.5h3zM2 13h12v2H2z",
  home: "M8 1.5 1 8h2v6.5h4v-4h2v4h4V8h2z",
  present: "M1 2h14v2H1zM2 4h1.5v8H2zM12.5 4H14v8h-1.5zM2 10.5h12V12H2zM7.25 12h1.5v3h-1.5z",
};

/**
 * Draw icon `name` into `canvas` (created when missing) in `colour`.
 * @param {string} name
 * @param {string} colour
 * @param {HTMLCanvasElement} [canvas]
 */
export function icon(name, colour, canvas) {
  const c = canvas || document.createElement("canvas");
  const dpr = window.devicePixelRatio || 1;
  c.width = Math.round(14 * dpr);
  c.height = Math.round(14 * dpr);
  c.style.width = "14px";
  c.style.height = "14px";
  c.className = "avz-icon";
  c.dataset.icon = name;
  c.setAttribute("aria-hidden", "true");
  const ctx = /** @type {CanvasRenderingContext2D} */ (c.getContext("2d"));
  ctx.setTransform((14 / 16) * dpr, 0, 0, (14 / 16) * dpr, 0, 0);
  ctx.clearRect(0, 0, 16, 16);
  ctx.fillStyle = colour;
  ctx.fill(new Path2D(PATHS[name]));
  return c;
}
