// Theme changes, for both widgets: JupyterLab swaps themes by changing attributes on
// <body>, others on <html>, and the OS preference can change under a page with none.

/**
 * Call `onChange` whenever the page's theme may have changed, and once `root` is in the
 * page and laid out (a detached element has no theme variables).
 * @param {HTMLElement} root
 * @param {() => void} onChange
 * @returns {() => void} stops watching
 */
export function watchTheme(root, onChange) {
  const mo = new MutationObserver(onChange);
  mo.observe(document.body, { attributes: true, attributeFilter: ["data-jp-theme-light", "data-jp-theme-name", "class", "style"] });
  mo.observe(document.documentElement, { attributes: true, attributeFilter: ["class", "style", "data-theme"] });
  const mq = typeof matchMedia === "function" ? matchMedia("(prefers-color-scheme: dark)") : null;
  if (mq && mq.addEventListener) mq.addEventListener("change", onChange);
  return () => {
    mo.disconnect();
    if (mq && mq.removeEventListener) mq.removeEventListener("change", onChange);
  };
}

/**
 * Subscribe `handler(name)` to `change:<name>` of `model` for each name.
 * @param {any} model
 * @param {string[]} names
 * @param {(name: string) => void} handler
 * @returns {() => void} unsubscribes
 */
export function onChanges(model, names, handler) {
  const subs = names.map((name) => {
    const h = () => handler(name);
    model.on(`change:${name}`, h);
    return /** @type {[string, () => void]} */ ([name, h]);
  });
  return () => {
    for (const [name, h] of subs) model.off(`change:${name}`, h);
  };
}
