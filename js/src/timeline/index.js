// asyncviz timeline widget: the anywidget entry point (bundled as asyncviz/static/
// timeline.js).
//
// Traits (see asyncviz/widgets/timeline.py): header (dict), buffers (bytes), selection
// (object id, -1: none), cursor (event index, -1: none), clock ("wall" | "step"),
// height (px, 0: auto), link_id (widgets with the same id follow each other's cursor
// and selection: shared/link.js), presentation (the projector size), unfolded (the fold
// groups shown open), title (the exported image's; "": the payload's).  Custom messages: {type: "describe", index | indices}
// → {type: "event", …} | {type: "events", events: […]} (details.js); {type: "png"} +
// buffer (export).  Test hooks: hooks.js.

import { el } from "../shared/dom.js";
import { joinLink } from "../shared/link.js";
import { onChanges, watchTheme } from "../shared/observe.js";
import { CSS } from "../shared/style.js";
import { TIMELINE_CSS } from "./style.js";
import { Timeline } from "./widget.js";

/** @param {{model: any, el: HTMLElement}} props */
function render({ model, el: host }) {
  const root = el("div", "avz-root");
  root.dataset.testid = "asyncviz-timeline";
  root.tabIndex = 0;
  root.setAttribute("role", "figure");
  root.setAttribute("aria-label", "asyncviz timeline: who ran when");
  const style = el("style");
  style.textContent = CSS + TIMELINE_CSS;
  root.appendChild(style);
  host.appendChild(root);

  /**
   * A timeline of the model's header and buffers (null: they cannot be read, and the
   * widget says why).
   * @param {Timeline|null} old  the one it replaces
   */
  const build = (old) => {
    const t0 = performance.now();
    if (old) old.destroy();
    for (const c of [...root.children]) if (c !== style) c.remove();
    try {
      return new Timeline(model, root, t0);
    } catch (err) {
      root.appendChild(el("div", "avz-error", String(err instanceof Error ? err.message : err)));
      return null;
    }
  };
  let tl = build(null);
  const off = onChanges(model, ["header", "buffers", "selection", "cursor", "clock", "height", "presentation", "unfolded"],
    (name) => {
      if (name === "header" || name === "buffers") tl = build(tl);
      else if (tl) tl.onModelChange(name);
    });
  /** @param {any} msg */
  const onMsg = (msg) => tl && tl.onMessage(msg);
  model.on("msg:custom", onMsg);
  const leaveLink = joinLink(model);
  // size: follow the element's width; draw the first frame as soon as there is one
  const ro = new ResizeObserver(() => tl && tl.resize());
  ro.observe(root);
  const unwatch = watchTheme(root, () => tl && tl.onThemeChange());
  if (tl && root.isConnected && root.clientWidth > 0) {
    tl.resize(true);
    tl.draw();
  }
  return () => {
    off();
    model.off("msg:custom", onMsg);
    leaveLink();
    ro.disconnect();
    unwatch();
    if (tl) tl.destroy();
    root.remove();
  };
}

export default { render };
