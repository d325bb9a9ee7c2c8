// Event markers: one shape per kind, so kinds differ by shape as well as by colour.

/** Kinds drawn as outlines (the others are filled). */
export const STROKED = new Set(["create", "throw", "raise", "close", "cancel"]);

/** What each glyph means, for the legend. */
export const MEANING = {
  create: "create (task or object made)",
  start: "start (first run)",
  resume: "resume (value sent in)",
  throw: "throw (exception thrown in)",
  yield: "yield (value out)",
  await: "await (suspend on target)",
  return: "return",
  raise: "raise (exception out)",
  close: "close",
  cancel: "cancel (task cancelled)",
};

/** Unicode stand-ins for the glyphs, used in text (tooltip, status strip). */
export const SYMBOL = {
  create: "○",
  start: "▶",
  resume: "▼",
  throw: "✚",
  yield: "▲",
  await: "◆",
  return: "■",
  raise: "✖",
  close: "┃",
  cancel: "⊘",
};

/**
 * Add the glyph of `kind` centred at (x, y) with radius r to `p`.
 * @param {Path2D | CanvasRenderingContext2D} p
 * @param {string} kind
 * @param {number} x
 * @param {number} y
 * @param {number} r
 */
export function addGlyph(p, kind, x, y, r) {
  switch (kind) {
    case "start":
      p.moveTo(x - r * 0.8, y - r);
      p.lineTo(x + r, y);
      p.lineTo(x - r * 0.8, y + r);
      p.closePath();
      break;
    case "resume":
      p.moveTo(x - r, y - r * 0.8);
      p.lineTo(x + r, y - r * 0.8);
      p.lineTo(x, y + r);
      p.closePath();
      break;
    case "yield":
      p.moveTo(x - r, y + r * 0.8);
      p.lineTo(x + r, y + r * 0.8);
      p.lineTo(x, y - r);
      p.closePath();
      break;
    case "await":
      p.moveTo(x, y - r * 1.1);
      p.lineTo(x + r * 0.9, y);
      p.lineTo(x, y + r * 1.1);
      p.lineTo(x - r * 0.9, y);
      p.closePath();
      break;
    case "return": {
      const s = r * 0.8;
      p.moveTo(x - s, y - s);
      p.lineTo(x + s, y - s);
      p.lineTo(x + s, y + s);
      p.lineTo(x - s, y + s);
      p.closePath();
      break;
    }
    case "create":
      p.moveTo(x + r * 0.8, y);
      p.arc(x, y, r * 0.8, 0, Math.PI * 2);
      break;
    case "cancel":
      p.moveTo(x + r * 0.85, y);
      p.arc(x, y, r * 0.85, 0, Math.PI * 2);
      p.moveTo(x - r * 0.6, y + r * 0.6);
      p.lineTo(x + r * 0.6, y - r * 0.6);
      break;
    case "throw":
      p.moveTo(x - r, y);
      p.lineTo(x + r, y);
      p.moveTo(x, y - r);
      p.lineTo(x, y + r);
      break;
    case "raise":
      p.moveTo(x - r * 0.8, y - r * 0.8);
      p.lineTo(x + r * 0.8, y + r * 0.8);
      p.moveTo(x - r * 0.8, y + r * 0.8);
      p.lineTo(x + r * 0.8, y - r * 0.8);
      break;
    case "close":
      p.moveTo(x, y - r * 1.2);
      p.lineTo(x, y + r * 1.2);
      break;
    default:
      p.moveTo(x + r * 0.5, y);
      p.arc(x, y, r * 0.5, 0, Math.PI * 2);
  }
}

/**
 * Draw one glyph straight onto a context (legend, hover ring).
 * @param {CanvasRenderingContext2D} ctx
 * @param {string} kind
 * @param {number} x
 * @param {number} y
 * @param {number} r
 * @param {string} colour
 * @param {string} halo  outline colour that separates the glyph from what is under it
 */
export function drawGlyph(ctx, kind, x, y, r, colour, halo) {
  ctx.beginPath();
  addGlyph(ctx, kind, x, y, r);
  ctx.lineJoin = "round";
  if (STROKED.has(kind)) {
    ctx.strokeStyle = halo;
    ctx.lineWidth = 3.6;
    ctx.stroke();
    ctx.strokeStyle = colour;
    ctx.lineWidth = 1.7;
    ctx.stroke();
  } else {
    ctx.strokeStyle = halo;
    ctx.lineWidth = 2;
    ctx.stroke();
    ctx.fillStyle = colour;
    ctx.fill();
  }
}
