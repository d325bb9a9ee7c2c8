// The hover tooltip both widgets show.  Every string goes in with textContent.

import { el } from "./dom.js";
import { symbol } from "./glyphs.js";

/**
 * @typedef {object} TipContent
 * @property {string} title
 * @property {string} [kind]    an event kind: its glyph's symbol heads the title
 * @property {string} [colour]  the symbol's colour
 * @property {[string, string, string?][]} rows  key, value, class of the value
 * @property {number} [describe]  the event whose details the content waits for
 */

export class Tooltip {
  /**
   * @param {HTMLElement} parent
   * @param {string} testid
   */
  constructor(parent, testid) {
    this.node = el("div", "avz-tooltip");
    this.node.dataset.testid = testid;
    this.node.setAttribute("role", "tooltip");
    this.node.hidden = true;
    parent.appendChild(this.node);
  }

  hide() {
    this.node.hidden = true;
  }

  /**
   * @param {number} x  position inside the parent (CSS px)
   * @param {number} y
   * @param {TipContent} content
   * @param {number} parentW
   * @param {number} parentH
   */
  show(x, y, content, parentW, parentH) {
    const n = this.node;
    n.replaceChildren();
    const head = el("div", "avz-tt-head");
    if (content.kind) {
      const g = el("span", "avz-tt-glyph", symbol(content.kind));
      if (content.colour) g.style.color = content.colour;
      head.appendChild(g);
    }
    head.appendChild(el("span", "avz-tt-title", content.title));
    n.appendChild(head);
    const table = el("div", "avz-tt-rows");
    for (const [k, v, cls] of content.rows) {
      table.appendChild(el("span", "avz-tt-key", k));
      table.appendChild(el("span", `avz-tt-val${cls ? ` ${cls}` : ""}`, v));
    }
    n.appendChild(table);
    n.hidden = false;
    const w = n.offsetWidth;
    const h = n.offsetHeight;
    let left = x + 14;
    let top = y + 14;
    if (left + w > parentW - 4) left = Math.max(4, x - w - 14);
    if (top + h > parentH - 4) top = Math.max(4, y - h - 10);
    n.style.left = `${left}px`;
    n.style.top = `${top}px`;
  }
}
