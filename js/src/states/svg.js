// The Graphviz SVG of a state machine, made safe and interactive.
//
// The SVG text (from `dot` in the kernel, or from the wasm layout here) is parsed with
// DOMParser as image/svg+xml — never assigned to innerHTML — and only then adopted into
// the page.  Graphviz escapes labels in SVG text, so a label `<img src=x onerror=…>`
// arrives as character data; on top of that, only an allowlist of SVG elements is kept,
// and every event-handler, link and style attribute is dropped.

const SVG_NS = "http://www.w3.org/2000/svg";
const XLINK_NS = "http://www.w3.org/1999/xlink";
const ALLOWED = new Set([
  "svg", "g", "path", "polygon", "polyline", "ellipse", "circle", "rect", "line", "text",
  "tspan", "title", "a", "defs", "lineargradient", "radialgradient", "stop",
]);

/**
 * Parse Graphviz SVG text into an <svg> element of this document, sanitised.
 * @param {string} text
 * @returns {SVGSVGElement}
 */
export function parseSvg(text) {
  // the DOCTYPE names an external DTD; browsers do not fetch it, but nothing needs it
  const clean = String(text).replace(/<!DOCTYPE[^>[]*(\[[^\]]*\])?>/i, "");
  const doc = new DOMParser().parseFromString(clean, "image/svg+xml");
  const svg = doc.documentElement;
  if (!svg || svg.namespaceURI !== SVG_NS || svg.localName !== "svg"
      || doc.getElementsByTagName("parsererror").length) {
    throw new Error("the state machine's SVG could not be read");
  }
  sanitise(svg);
  return /** @type {SVGSVGElement} */ (/** @type {unknown} */ (document.importNode(svg, true)));
}

/** Keep allowed SVG elements and harmless attributes; `<a>` becomes `<g>`; Graphviz's
 * tooltips (xlink:title) move to data-avz-tip and its <title>s go, so that the browser's
 * own tooltip does not pop up over ours.
 * @param {Element} svg */
function sanitise(svg) {
  const all = [svg, ...svg.querySelectorAll("*")];
  for (const node of all) {
    if (node !== svg && !svg.contains(node)) continue; // inside an element removed above
    const name = node.localName.toLowerCase();
    // the browser would show a <title> as a second tooltip
    if (node.namespaceURI !== SVG_NS || !ALLOWED.has(name) || name === "title") {
      node.remove();
      continue;
    }
    const tip = node.getAttributeNS(XLINK_NS, "title");
    dropAttributes(node);
    const kept = name === "a" ? unwrapLink(svg, node) : node;
    if (tip) kept.setAttribute("data-avz-tip", tip);
  }
}

/** Event handlers, links, styles and Graphviz's titles. @param {Element} node */
function dropAttributes(node) {
  for (const attr of [...node.attributes]) {
    const n = attr.name.toLowerCase();
    if (n.startsWith("on") || n === "href" || n.endsWith(":href") || n === "style"
        || n.endsWith(":title") || n === "target" || n === "xml:base") {
      node.removeAttributeNode(attr);
    }
  }
}

/**
 * Graphviz wraps a node's or edge's shapes in <a xlink:title="tooltip">: a <g> instead.
 * @param {Element} svg
 * @param {Element} node
 */
function unwrapLink(svg, node) {
  const g = svg.ownerDocument.createElementNS(SVG_NS, "g");
  for (const attr of [...node.attributes]) g.setAttribute(attr.name, attr.value);
  while (node.firstChild) g.appendChild(node.firstChild);
  node.replaceWith(g);
  return g;
}

/**
 * Index the drawn nodes and edges by their DOT ids: node-<Node.id>, edge-<index>.
 * @param {SVGSVGElement} svg
 */
export function indexGraph(svg) {
  /** @type {Map<string, SVGGElement>} */
  const nodes = new Map();
  /** @type {Map<number, SVGGElement>} */
  const edges = new Map();
  for (const g of svg.querySelectorAll("g.node")) {
    if (g.id.startsWith("node-")) nodes.set(g.id.slice(5), /** @type {SVGGElement} */ (g));
  }
  for (const g of svg.querySelectorAll("g.edge")) {
    const m = /^edge-(\d+)$/.exec(g.id);
    if (m) edges.set(Number(m[1]), /** @type {SVGGElement} */ (g));
    // a wide, invisible copy of the line: edges are easy to hover and click
    for (const path of [...g.querySelectorAll("path")]) {
      const hit = /** @type {SVGPathElement} */ (path.cloneNode(false));
      hit.setAttribute("class", "avz-hit");
      hit.setAttribute("fill", "none");
      hit.setAttribute("stroke", "transparent");
      hit.removeAttribute("stroke-dasharray");
      path.before(hit);
    }
  }
  // the page: the first shape of the graph (inside <a> when the graph has a tooltip)
  const bg = svg.querySelector("g.graph polygon");
  if (bg) bg.setAttribute("class", "avz-bg");
  return { nodes, edges };
}

/** The tooltip Graphviz had for an element (from its `tooltip` attribute), if any.
 * @param {Element} g */
export function graphvizTip(g) {
  const inner = g.querySelector("[data-avz-tip]");
  return (g.getAttribute("data-avz-tip") || (inner && inner.getAttribute("data-avz-tip")) || "")
    .replace(/\\n/g, "\n");
}

/** The size Graphviz gave the picture, in pt (1 pt is drawn as 1 CSS px).
 * @param {SVGSVGElement} svg */
export function naturalSize(svg) {
  const vb = svg.viewBox && svg.viewBox.baseVal;
  const w = parseFloat(svg.getAttribute("width") || "") || (vb ? vb.width : 0) || 400;
  const h = parseFloat(svg.getAttribute("height") || "") || (vb ? vb.height : 0) || 300;
  return { w, h };
}

// ---- colours: the DOT is drawn for a white page; a dark theme gets every colour with
// its lightness inverted (hue and saturation kept), so tints stay tints and ink stays ink.

/** @type {Record<string, string>} */
const NAMED = { white: "#ffffff", black: "#000000", gray: "#808080", grey: "#808080" };

/** @typedef {{r: number, g: number, b: number, a: number}} RGBA */

/**
 * A colour Graphviz writes (#rrggbb, #rrggbbaa, #rgb, a few names), or null.
 * @param {string} c
 * @returns {RGBA|null}
 */
function parseColour(c) {
  if (!c) return null;
  let s = c.trim().toLowerCase();
  if (NAMED[s]) s = NAMED[s];
  let m = /^#([0-9a-f]{6})([0-9a-f]{2})?$/.exec(s);
  if (m) {
    const v = parseInt(m[1], 16);
    return { r: (v >> 16) & 255, g: (v >> 8) & 255, b: v & 255, a: m[2] ? parseInt(m[2], 16) / 255 : 1 };
  }
  m = /^#([0-9a-f]{3})$/.exec(s);
  if (m) {
    const [r, g, b] = [...m[1]].map((x) => parseInt(x + x, 16));
    return { r, g, b, a: 1 };
  }
  return null;
}

/** @param {RGBA} colour */
function invertLightness({ r, g, b, a }) {
  r /= 255; g /= 255; b /= 255;
  const max = Math.max(r, g, b);
  const min = Math.min(r, g, b);
  let h = 0;
  let s = 0;
  const l = (max + min) / 2;
  const d = max - min;
  if (d > 0) {
    s = l > 0.5 ? d / (2 - max - min) : d / (max + min);
    if (max === r) h = (g - b) / d + (g < b ? 6 : 0);
    else if (max === g) h = (b - r) / d + 2;
    else h = (r - g) / d + 4;
    h /= 6;
  }
  // inverted, then lifted a little: dark ink on white becomes light ink on near-black,
  // and the darkest fills stay a shade above the page
  const l2 = 0.08 + 0.86 * (1 - l);
  const q = l2 < 0.5 ? l2 * (1 + s) : l2 + s - l2 * s;
  const p = 2 * l2 - q;
  /** @param {number} t */
  const hue = (t) => {
    if (t < 0) t += 1;
    if (t > 1) t -= 1;
    if (t < 1 / 6) return p + (q - p) * 6 * t;
    if (t < 1 / 2) return q;
    if (t < 2 / 3) return p + (q - p) * (2 / 3 - t) * 6;
    return p;
  };
  /** @param {number} x */
  const to = (x) => Math.round(x * 255).toString(16).padStart(2, "0");
  const rgb = s === 0 ? [l2, l2, l2] : [hue(h + 1 / 3), hue(h), hue(h - 1 / 3)];
  return `#${rgb.map(to).join("")}${a < 1 ? to(a) : ""}`;
}

/**
 * Apply the theme to the picture: light → Graphviz's own colours, dark → inverted
 * lightness.  Originals are kept in data attributes, so it can switch back and forth.
 * @param {SVGSVGElement} svg
 * @param {boolean} dark
 */
export function applyTheme(svg, dark) {
  for (const node of svg.querySelectorAll("[fill], [stroke], text")) {
    for (const attr of ["fill", "stroke"]) {
      const key = `data-avz-${attr}`;
      if (!node.hasAttribute(key)) {
        let v = node.getAttribute(attr);
        if (v === null && attr === "fill" && node.localName === "text") v = "#000000";
        if (v === null) continue;
        node.setAttribute(key, v);
      }
      const original = node.getAttribute(key) || "";
      const c = dark ? parseColour(original) : null;
      node.setAttribute(attr, c ? invertLightness(c) : original);
    }
  }
}

// ---- fonts: the wasm layout has no fonts to measure, only the metrics of Times,
// Helvetica/Arial and Courier, chosen by the font's name — "monospace" or a CSS-like list
// such as "Helvetica,Arial,sans-serif" would be measured as Times (narrower: text would
// spill out of its box).  So the DOT names those fonts for the layout, and the SVG gets
// the original names back.

/** @type {[RegExp, string][]} */
const METRIC_FONTS = [
  [/mono|courier|consol|menlo/i, "Courier"],
  [/helvetica|arial|sans/i, "Helvetica"],
];

/**
 * The DOT with its font names (fontname="…", face="…") replaced by those the wasm layout
 * has metrics for; `restore(svgElement)` puts the original names back into the SVG.
 * @param {string} dot
 */
export function metricFonts(dot) {
  /** @type {Map<string, string>} metric name → the first original name mapped to it */
  const original = new Map();
  /** @param {string} name */
  const swap = (name) => {
    for (const [re, metric] of METRIC_FONTS) {
      if (re.test(name)) {
        if (!original.has(metric)) original.set(metric, name);
        return metric;
      }
    }
    return name;
  };
  const out = String(dot)
    .replace(/\b(fontname\s*=\s*)"([^"\\]*)"/g, (_m, head, name) => `${head}"${swap(name)}"`)
    .replace(/\b(face\s*=\s*)"([^"\\]*)"/g, (_m, head, name) => `${head}"${swap(name)}"`);
  /** @param {Element} svg */
  const restore = (svg) => {
    for (const t of svg.querySelectorAll("text[font-family]")) {
      const back = original.get(t.getAttribute("font-family") || "");
      if (back) t.setAttribute("font-family", back);
    }
  };
  return { dot: out, restore };
}

/**
 * Texts wider in this browser's fonts than their node's shape (metrics differ between
 * machines) are squeezed into it, so that no label spills over its border.
 * @param {SVGSVGElement} svg  attached to the page (measuring needs layout)
 * @returns {number} how many texts were squeezed
 */
export function fitTexts(svg) {
  let squeezed = 0;
  for (const g of svg.querySelectorAll("g.node")) {
    const shape = g.querySelector("path, polygon, ellipse");
    if (!shape) continue;
    const box = /** @type {SVGGraphicsElement} */ (shape).getBBox();
    const inner = shape.localName === "ellipse" ? box.width * 0.8 : box.width - 8;
    for (const t of g.querySelectorAll("text")) {
      const w = t.getComputedTextLength();
      if (!(w > inner) || inner <= 0) continue;
      t.setAttribute("textLength", inner.toFixed(2));
      t.setAttribute("lengthAdjust", "spacingAndGlyphs");
      const anchor = t.getAttribute("text-anchor") || "start";
      if (anchor === "start") t.setAttribute("x", (box.x + (box.width - inner) / 2).toFixed(2));
      else if (anchor === "middle") t.setAttribute("x", (box.x + box.width / 2).toFixed(2));
      squeezed++;
    }
  }
  return squeezed;
}
