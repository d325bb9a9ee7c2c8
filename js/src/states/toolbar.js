// The states widget's toolbar: the function or object whose machine is shown, which of
// its two machines, stepping through the machine's events, and a summary.

import { button, el, group } from "../shared/dom.js";
import { THEME } from "../shared/theme.js";

/**
 * @typedef {{key: string, label: string, kind: "function"|"object", type?: string}} Choice
 * @typedef {{choose: (key: string) => void, machine: (name: string) => void,
 *   step: (d: number) => void}} StatesToolbarHandlers
 */

/** @param {StatesToolbarHandlers} on */
export function makeStatesToolbar(on) {
  const bar = el("div", "avz-toolbar");
  bar.setAttribute("role", "toolbar");
  const select = el("select", "avz-select");
  select.dataset.testid = "states-choice";
  select.title = "The function or object whose machine is shown";
  select.setAttribute("aria-label", "function or object");
  select.addEventListener("change", () => on.choose(select.value));
  const machines = {
    lifecycle: button("machine-lifecycle", null, "lifecycle",
      "Lifecycle: CREATED, RUNNING, SUSPENDED, CLOSED and the transitions between them"),
    points: button("machine-points", null, "suspension points",
      "Suspension points: the start, every yield/await reached, the ways out"),
  };
  machines.lifecycle.addEventListener("click", () => on.machine("lifecycle"));
  machines.points.addEventListener("click", () => on.machine("points"));
  const back = button("states-step-back", "back", "", "Cursor to this machine's previous event (←)");
  const forward = button("states-step-forward", "forward", "", "Cursor to this machine's next event (→)");
  back.addEventListener("click", () => on.step(-1));
  forward.addEventListener("click", () => on.step(1));
  group(bar, select);
  group(bar, machines.lifecycle, machines.points).classList.add("avz-seg");
  group(bar, back, forward);
  const info = el("div", "avz-info");
  bar.appendChild(info);
  return { bar, select, machines, info };
}

/** An object kind in prose ("async generator"), as theme.json names it.
 * @param {string} kind */
function kindName(kind) {
  const objects = /** @type {Record<string, {name: string}>} */ (THEME.objects);
  return objects[kind] ? objects[kind].name : kind.replace("_", " ");
}

/**
 * Fill the choice list (functions, then objects), when the choices changed.
 * @param {HTMLSelectElement} select
 * @param {Choice[]} choices
 */
export function fillChoices(select, choices) {
  select.replaceChildren();
  for (const [kind, title] of [["function", "functions"], ["object", "objects"]]) {
    const items = choices.filter((c) => c.kind === kind);
    if (!items.length) continue;
    const og = el("optgroup");
    og.label = title;
    for (const c of items) {
      const opt = el("option");
      opt.value = String(c.key);
      opt.textContent = kind === "object" && c.type ? `${c.label}  (${kindName(c.type)})` : String(c.label);
      og.appendChild(opt);
    }
    select.appendChild(og);
  }
  select.disabled = !choices.length;
}
