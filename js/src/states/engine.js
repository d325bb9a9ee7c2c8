// Laying DOT out in the browser when the kernel has no Graphviz `dot` binary.
//
// The engine (@hpcc-js/wasm-graphviz, bundled as asyncviz/static/states-layout.js with the
// wasm inlined) is not part of the widget's own ESM: it is ≈800 KB, and most widgets
// never need it (with `dot` installed Python sends the SVG).  The widget asks the kernel
// for it with a custom message; the reply carries the bundle as a binary buffer, which
// is imported from a blob: URL — nothing is fetched from any server.  One engine per
// page, shared by every states widget in it.

const KEY = "__asyncvizGraphvizEngine1";
const TIMEOUT_MS = 60_000;

/**
 * The Graphviz instance (a promise), asking `model`'s kernel for the engine if this
 * page has none yet.
 * @param {any} model  an anywidget model of StatesWidget
 * @returns {Promise<{layout: (dot: string, format: string, engine: string) => string, version: () => string}>}
 */
export function loadEngine(model) {
  const g = /** @type {any} */ (globalThis);
  if (!g[KEY]) {
    g[KEY] = request(model).catch((err) => {
      delete g[KEY]; // let a later render try again (a kernel may come back)
      throw err;
    });
  }
  return g[KEY];
}

/** @param {any} model */
function request(model) {
  return new Promise((resolve, reject) => {
    let done = false;
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    let timer;
    /** @param {(v: any) => void} fn @param {any} value */
    const finish = (fn, value) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      model.off("msg:custom", onMsg);
      fn(value);
    };
    /** @param {any} msg @param {any[]} [buffers] */
    function onMsg(msg, buffers) {
      if (!msg || msg.type !== "layout-engine") return;
      if (msg.error || !buffers || !buffers.length) {
        finish(reject, new Error(msg.error || "the kernel sent no layout engine"));
        return;
      }
      const b = buffers[0];
      const bytes = b instanceof ArrayBuffer ? new Uint8Array(b)
        : new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
      instantiate(bytes).then((gv) => finish(resolve, gv), (err) => finish(reject, err));
    }
    timer = setTimeout(() => finish(reject, new Error(
      "no answer from the kernel with the Graphviz layout engine (is the kernel running?)")),
    TIMEOUT_MS);
    model.on("msg:custom", onMsg);
    model.send({ type: "layout-engine" });
  });
}

/** @param {Uint8Array} bytes the ESM text of states-layout.js */
async function instantiate(bytes) {
  const url = URL.createObjectURL(new Blob([/** @type {BlobPart} */ (bytes)], { type: "text/javascript" }));
  try {
    const mod = await import(/* webpackIgnore: true */ url);
    return await mod.Graphviz.load();
  } finally {
    URL.revokeObjectURL(url);
  }
}
