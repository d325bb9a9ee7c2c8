// Building elements.  Every string that comes from a trace goes in with textContent: a
// value like <script>alert(1)</script> shows as text.

import { icon } from "./icons.js";

/**
 * @param {string} tag
 * @param {string} [cls]
 * @param {string} [text]
 * @returns {any}  the element (any: callers use the tag's own properties)
 */
export function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

/**
 * A toolbar button.
 * @param {string} testid
 * @param {string|null} iconName  an icon from icons.js, or null for a text button
 * @param {string} text  visible text (besides the icon)
 * @param {string} title
 * @returns {HTMLButtonElement}
 */
export function button(testid, iconName, text, title) {
  const b = el("button", "avz-btn");
  b.type = "button";
  b.dataset.testid = testid;
  b.title = title;
  b.setAttribute("aria-label", title);
  if (iconName) b.appendChild(icon(iconName, "#888"));
  if (text) b.appendChild(el("span", "avz-btn-text", text));
  return b;
}

/**
 * A toolbar group: the items side by side, appended to `bar`.
 * @param {HTMLElement} bar
 * @param {...HTMLElement} items
 */
export function group(bar, ...items) {
  const g = el("div", "avz-group");
  g.append(...items);
  bar.appendChild(g);
  return g;
}

/**
 * Redraw every icon in `root` in `colour` (a theme change; play ↔ pause with `swap`).
 * @param {ParentNode} root
 * @param {string} colour
 * @param {(name: string) => string} [swap]
 */
export function recolourIcons(root, colour, swap = (name) => name) {
  for (const c of root.querySelectorAll("canvas.avz-icon")) {
    const canvas = /** @type {HTMLCanvasElement} */ (c);
    icon(swap(canvas.dataset.icon || ""), colour, canvas);
  }
}
