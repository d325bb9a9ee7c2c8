// The Graphviz layout engine for the states widget, a bundle of its own
// (asyncviz/static/states-layout.js, ≈800 KB: Graphviz compiled to WebAssembly, the wasm
// inlined — it fetches nothing).  The widget asks the kernel for it only when Python
// could not draw the SVG itself (no `dot` binary), once per page: see engine.js.

export { Graphviz } from "@hpcc-js/wasm-graphviz";
