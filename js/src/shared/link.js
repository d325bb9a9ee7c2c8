// Widgets that share a `link_id` follow each other's cursor and selection, here in the
// page: no round trip through the kernel and no ipywidgets link model, so a saved page
// or another notebook front-end (marimo, VS Code) links them too.  One registry per page
// (several bundles may be loaded: it lives on globalThis).

const KEY = "__asyncvizLinks1";
const NAMES = ["cursor", "selection"];

/** @returns {Map<string, Map<any, number>>} link id → the models in it (with a count of
 * the views that joined for each) */
function registry() {
  const g = /** @type {any} */ (globalThis);
  if (!g[KEY]) g[KEY] = new Map();
  return g[KEY];
}

/**
 * Join `model` (a widget model with link_id, cursor and selection) to its link: a change
 * of its cursor or selection is set on every other model of the link (and saved, so each
 * kernel sees it).  A model that joins takes the link's current values.
 * @param {any} model
 * @returns {() => void} leaves the link
 */
export function joinLink(model) {
  let id = "";
  const leave = () => {
    const group = id ? registry().get(id) : undefined;
    if (group) {
      const n = (group.get(model) || 0) - 1;
      if (n > 0) group.set(model, n);
      else group.delete(model);
      if (!group.size) registry().delete(id);
    }
    id = "";
  };
  const enter = () => {
    leave();
    id = model.get("link_id") || "";
    if (!id) return;
    const reg = registry();
    const group = reg.get(id) || new Map();
    reg.set(id, group);
    const peer = [...group.keys()].find((m) => m !== model);
    group.set(model, (group.get(model) || 0) + 1);
    if (peer) copy(peer, [model]);
  };
  const handlers = NAMES.map((name) => {
    const h = () => {
      const group = id ? registry().get(id) : undefined;
      if (group) copy(model, [...group.keys()], [name]);
    };
    model.on(`change:${name}`, h);
    return /** @type {[string, () => void]} */ ([name, h]);
  });
  model.on("change:link_id", enter);
  enter();
  return () => {
    for (const [name, h] of handlers) model.off(`change:${name}`, h);
    model.off("change:link_id", enter);
    leave();
  };
}

/**
 * Set `from`'s values of `names` on each of `to` that differs (equal values stop the
 * echo: a model set here fires its own change, which finds every other one equal).
 * @param {any} from
 * @param {any[]} to
 * @param {string[]} [names]
 */
function copy(from, to, names = NAMES) {
  for (const other of to) {
    if (other === from) continue;
    let changed = false;
    for (const name of names) {
      const v = from.get(name);
      if (other.get(name) !== v) {
        other.set(name, v);
        changed = true;
      }
    }
    if (changed) other.save_changes();
  }
}
