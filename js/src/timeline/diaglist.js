// The diagnostics listed above the timeline (Trace.diagnostics(): the loop blocked, a
// timer late, a coroutine never awaited, a task still pending…): one line each — its
// kind, when, how long, where and what it says; clicking one zooms to its time and
// selects its first object (diagmarks.js marks it on the canvas).

import { el } from "../shared/dom.js";
import { formatCount, formatNs } from "../shared/format.js";

/**
 * @typedef {import("./payload.js").Payload} Payload
 * @typedef {import("./payload.js").Diagnostic} Diagnostic
 */

/**
 * The list, or null when the trace has no diagnostics.
 * @param {Payload} p
 * @param {(k: number) => void} pick  called with the diagnostic's index when one is clicked
 */
export function makeDiagnostics(p, pick) {
  const list = p.diagnostics;
  if (!list.length) return null;
  const box = el("div", "avz-diags");
  box.dataset.testid = "diagnostics";
  box.setAttribute("role", "list");
  box.setAttribute("aria-label", `${list.length} diagnostics`);
  const items = list.map((d, k) => {
    const b = el("button", "avz-diag");
    b.type = "button";
    b.dataset.testid = "diagnostic";
    b.dataset.index = String(k);
    b.setAttribute("role", "listitem");
    b.title = `${d.message}\nClick to zoom to it and select what it is about`;
    b.append(
      el("span", "avz-diag-kind", d.kind.replace(/_/g, " ")),
      el("span", "avz-diag-when", when(d)),
      el("span", "avz-diag-msg", d.message),
    );
    const about = (d.objects || []).filter((o) => o >= 0 && o < p.objects.length);
    if (about.length) {
      const names = about.slice(0, 3).map((o) => p.label(o)).join(", ");
      b.append(el("span", "avz-diag-about", about.length > 3 ? `${names} +${formatCount(about.length - 3)}` : names));
    }
    b.addEventListener("click", () => pick(k));
    box.appendChild(b);
    return b;
  });
  return {
    box,
    /** Mark diagnostic k as picked (-1: none). @param {number} k */
    show(k) {
      items.forEach((b, j) => b.setAttribute("aria-current", j === k ? "true" : "false"));
    },
  };
}

/**
 * "at 12.5 ms, 200 ms, line 89".
 * @param {Diagnostic} d
 */
function when(d) {
  const parts = [`at ${formatNs(d.t0)}`];
  if (d.t1 > d.t0) parts.push(formatNs(d.t1 - d.t0));
  if (d.line) parts.push(`line ${d.line}`);
  return parts.join(", ");
}
