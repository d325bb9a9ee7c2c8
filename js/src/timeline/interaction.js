// Pointer, wheel and keyboard: zoom (wheel, ctrl+wheel pinch, Safari gestures), pan
// (drag; shift+wheel or horizontal wheel), hover, click to select, keyboard playback.

const DRAG_PX = 3;
/** Keys the widget handles when it has focus. */
const KEYS = new Set(["ArrowLeft", "ArrowRight", " ", "+", "=", "-", "_", "Home", "Escape"]);

/**
 * What the pointer and the keyboard drive (the timeline widget): positions are canvas
 * CSS px.
 * @typedef {object} Driven
 * @property {(px: number, py: number) => void} hover
 * @property {() => void} leave
 * @property {(px: number, py: number) => void} click
 * @property {(px: number, factor: number) => void} zoomAt
 * @property {(factor: number) => void} zoomBy
 * @property {(dx: number, dy: number) => void} panBy
 * @property {(d: number) => void} step
 * @property {() => void} togglePlay
 * @property {() => void} reset
 * @property {() => void} deselect
 * @property {(on: boolean) => void} dragging
 *
 * @typedef {{x: number, y: number, lastX: number, lastY: number, id: number, moved: boolean}} Down
 * @typedef {Event & {scale: number, clientX: number, clientY: number}} GestureEvent  Safari
 */

/**
 * @param {HTMLElement} root  focusable root (keyboard)
 * @param {HTMLCanvasElement} canvas
 * @param {Driven} r
 * @returns {() => void} removes the listeners
 */
export function attach(root, canvas, r) {
  /** @type {Down|null} */
  let down = null;
  let gestureScale = 1;
  // a plain wheel zooms only after a click on the timeline, until the pointer leaves it:
  // scrolling through a notebook passes over widgets, and must not be captured (focus
  // cannot tell: JupyterLab takes it back to the notebook after every click)
  let engaged = false;
  /** @param {{clientX: number, clientY: number}} e @returns {[number, number]} */
  const local = (e) => {
    const b = canvas.getBoundingClientRect();
    return [e.clientX - b.left, e.clientY - b.top];
  };

  /** @param {PointerEvent} e */
  const onDown = (e) => {
    if (e.button !== 0) return;
    const [x, y] = local(e);
    down = { x, y, lastX: x, lastY: y, id: e.pointerId, moved: false };
    engaged = true;
    canvas.setPointerCapture(e.pointerId);
    root.focus({ preventScroll: true });
  };
  /** @param {PointerEvent} e */
  const onMove = (e) => {
    const [x, y] = local(e);
    if (down && e.pointerId === down.id) {
      if (!down.moved && Math.hypot(x - down.x, y - down.y) > DRAG_PX) {
        down.moved = true;
        r.dragging(true);
      }
      if (down.moved) {
        r.panBy(x - down.lastX, y - down.lastY);
        down.lastX = x;
        down.lastY = y;
        return;
      }
    }
    r.hover(x, y);
  };
  /** @param {PointerEvent} e */
  const onUp = (e) => {
    if (!down || e.pointerId !== down.id) return;
    const [x, y] = local(e);
    const wasDrag = down.moved;
    down = null;
    if (canvas.hasPointerCapture(e.pointerId)) canvas.releasePointerCapture(e.pointerId);
    r.dragging(false);
    if (!wasDrag) r.click(x, y);
    r.hover(x, y);
  };
  const onCancel = () => {
    down = null;
    r.dragging(false);
  };
  const onLeave = () => {
    if (!down) r.leave();
  };
  /** @param {WheelEvent} e */
  const onWheel = (e) => {
    const [x] = local(e);
    const unit = e.deltaMode === 1 ? 16 : e.deltaMode === 2 ? 400 : 1;
    const dx = e.deltaX * unit;
    const dy = e.deltaY * unit;
    if (!engaged && !e.ctrlKey && !e.metaKey && !e.shiftKey && Math.abs(dy) >= Math.abs(dx)) {
      return; // the page scrolls; ctrl+wheel / pinch zooms anywhere
    }
    e.preventDefault();
    if (e.ctrlKey || e.metaKey) {
      // trackpad pinch arrives as ctrl+wheel with small deltas
      r.zoomAt(x, Math.exp(-dy * 0.01));
    } else if (e.shiftKey) {
      r.panBy(0, -(dy || dx));
    } else if (Math.abs(dx) > Math.abs(dy)) {
      r.panBy(-dx, 0);
    } else {
      r.zoomAt(x, Math.exp(-dy * 0.0025));
    }
  };
  /** @param {MouseEvent} e */
  const onDbl = (e) => {
    const [x] = local(e);
    r.zoomAt(x, e.shiftKey ? 0.5 : 2);
  };
  // Safari trackpad gestures
  /** @param {Event} e */
  const onGestureStart = (e) => {
    e.preventDefault();
    gestureScale = 1;
  };
  /** @param {Event} e */
  const onGestureChange = (e) => {
    const g = /** @type {GestureEvent} */ (e);
    g.preventDefault();
    const [x] = local(g);
    r.zoomAt(x, g.scale / gestureScale);
    gestureScale = g.scale;
  };
  /** @param {KeyboardEvent} e */
  const ours = (e) => KEYS.has(e.key) && !e.altKey && !e.ctrlKey && !e.metaKey
    && !(e.target instanceof HTMLSelectElement)
    && !(e.key === " " && e.target instanceof HTMLButtonElement);
  // JupyterLab/Notebook 7 shortcuts run on document (capture phase in some setups):
  // ArrowLeft/Right are command-mode shortcuts there.  Mark the root for this one event
  // before they look (window capture comes first), so they skip it and it reaches us.
  /** @param {KeyboardEvent} e */
  const onWindowKey = (e) => {
    if (!(e.target instanceof Node) || !root.contains(e.target) || !ours(e)) return;
    root.setAttribute("data-lm-suppress-shortcuts", "true");
    setTimeout(() => root.removeAttribute("data-lm-suppress-shortcuts"), 0);
  };
  /** @param {KeyboardEvent} e */
  const onKey = (e) => {
    if (!ours(e)) return;
    let handled = true;
    switch (e.key) {
      case "ArrowRight": r.step(e.shiftKey ? 10 : 1); break;
      case "ArrowLeft": r.step(e.shiftKey ? -10 : -1); break;
      case " ": r.togglePlay(); break;
      case "+": case "=": r.zoomBy(1.5); break;
      case "-": case "_": r.zoomBy(1 / 1.5); break;
      case "Home": r.reset(); break;
      case "Escape": r.deselect(); break;
      // no letters or digits: in JupyterLab's command mode they are cell shortcuts
      // (c copies the cell, 0 0 restarts the kernel), handled before this listener
      default: handled = false;
    }
    if (handled) {
      // keep JupyterLab's command-mode shortcuts (arrows move between cells) out of it
      e.preventDefault();
      e.stopPropagation();
    }
  };

  canvas.addEventListener("pointerdown", onDown);
  canvas.addEventListener("pointermove", onMove);
  canvas.addEventListener("pointerup", onUp);
  canvas.addEventListener("pointercancel", onCancel);
  canvas.addEventListener("pointerleave", onLeave);
  canvas.addEventListener("wheel", onWheel, { passive: false });
  const onRootLeave = () => {
    engaged = false;
  };
  root.addEventListener("pointerleave", onRootLeave);
  canvas.addEventListener("dblclick", onDbl);
  canvas.addEventListener("gesturestart", onGestureStart);
  canvas.addEventListener("gesturechange", onGestureChange);
  root.addEventListener("keydown", onKey);
  window.addEventListener("keydown", onWindowKey, true);
  return () => {
    window.removeEventListener("keydown", onWindowKey, true);
    canvas.removeEventListener("pointerdown", onDown);
    root.removeEventListener("pointerleave", onRootLeave);
    canvas.removeEventListener("pointermove", onMove);
    canvas.removeEventListener("pointerup", onUp);
    canvas.removeEventListener("pointercancel", onCancel);
    canvas.removeEventListener("pointerleave", onLeave);
    canvas.removeEventListener("wheel", onWheel);
    canvas.removeEventListener("dblclick", onDbl);
    canvas.removeEventListener("gesturestart", onGestureStart);
    canvas.removeEventListener("gesturechange", onGestureChange);
    root.removeEventListener("keydown", onKey);
  };
}
