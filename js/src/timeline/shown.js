// What the timeline shows and how, changed by the toolbar, the gutter and the traits:
// the lane search, fold groups (the `unfolded` trait), the presentation size (the
// `presentation` trait), a diagnostic picked in the list, and the exported image.

import { xOfNs } from "./diagmarks.js";
import { download } from "./download.js";
import { exportCanvas } from "./export.js";
import { PRESENTATION } from "./view.js";

/** @typedef {import("./widget.js").Timeline} Timeline */

/**
 * Show only the lanes found by `query` ("" shows all); say how many.
 * @param {Timeline} tl
 * @param {string} query
 */
export function search(tl, query) {
  const d = tl.v.display;
  d.setQuery(query);
  const box = tl.toolbar.search;
  if (box) {
    if (box.input.value !== query) box.input.value = query;
    box.show(d.matches, tl.p.lanes.length, Boolean(d.query));
  }
  tl.root.dataset.shownLanes = String(d.entries.length);
  tl.root.dataset.found = String(d.matches);
  tl.displayChanged();
}

/**
 * Fold or unfold group g, and keep it in the `unfolded` trait.
 * @param {Timeline} tl
 * @param {number} g
 */
export function toggleGroup(tl, g) {
  const d = tl.v.display;
  d.toggle(g);
  tl.model.set("unfolded", [...d.unfolded].sort((a, b) => a - b));
  tl.model.save_changes();
  tl.root.dataset.shownLanes = String(d.entries.length);
  tl.displayChanged();
}

/**
 * Unfold exactly the groups the `unfolded` trait names.
 * @param {Timeline} tl
 */
export function followUnfolded(tl) {
  const want = (tl.model.get("unfolded") || []).filter(
    (/** @type {any} */ g) => Number.isInteger(g) && g >= 0 && g < tl.p.groups.length);
  const d = tl.v.display;
  d.unfolded = new Set(want);
  d.rebuild();
  tl.root.dataset.shownLanes = String(d.entries.length);
}

/**
 * The presentation size on or off; `save`: in the `presentation` trait too.
 * @param {Timeline} tl
 * @param {boolean} on
 * @param {boolean} save
 */
export function setPresentation(tl, on, save) {
  tl.v.setScale(on ? PRESENTATION : 1);
  tl.root.classList.toggle("avz-present", on);
  tl.root.dataset.presentation = on ? "1" : "0";
  tl.toolbar.buttons.present.setAttribute("aria-pressed", on ? "true" : "false");
  if (save) {
    tl.model.set("presentation", on);
    tl.model.save_changes();
  }
  tl.displayChanged();
}

/**
 * Zoom to diagnostic k's time span and select its first object.
 * @param {Timeline} tl
 * @param {number} k
 */
export function pickDiagnostic(tl, k) {
  const d = tl.p.diagnostics[k];
  if (!d) return;
  const { s, v } = tl;
  s.diagnostic = k;
  if (tl.diags) tl.diags.show(k);
  const a = xOfNs(s, d.t0);
  const b = Math.max(a + v.minWindow(), xOfNs(s, Math.max(d.t0, d.t1)));
  v.showRange(a - (b - a) * 0.25, b + (b - a) * 0.25);
  const o = (d.objects || []).find((x) => x >= 0 && x < tl.p.objects.length);
  if (o !== undefined) {
    tl.select(o);
    tl.revealObject(o);
  }
  tl.root.dataset.diagnostic = String(k);
  tl.requestDraw();
}

/**
 * Download the view as a PNG (export.js: ≥ 1,920 px wide, titled, with the legend and
 * the time range), and hand it to the kernel (widget.exported_png).
 * @param {Timeline} tl
 */
export function exportPng(tl) {
  const out = exportCanvas(tl.s, tl.model.get("title") || tl.p.title);
  const data = tl.root.dataset;
  data.exportWidth = String(out.canvas.width);
  data.exportHeight = String(out.canvas.height);
  data.exportTitle = out.title;
  data.exportRange = out.range;
  out.canvas.toBlob((blob) => {
    if (!blob) return;
    download(tl.root, blob, "asyncviz-timeline.png");
    data.exported = String((Number(data.exported) || 0) + 1);
    blob.arrayBuffer().then((buf) => {
      // WidgetModel.send(content, callbacks, buffers)
      tl.model.send({ type: "png", width: out.canvas.width, height: out.canvas.height },
        undefined, [buf]);
    }).catch(() => {});
  }, "image/png");
}
