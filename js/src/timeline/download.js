// Saving a file from the page: a blob handed to the browser as a download.

import { el } from "../shared/dom.js";

/**
 * Offer `blob` as a download named `name` (the link lives in `root` for a moment).
 * @param {HTMLElement} root
 * @param {Blob} blob
 * @param {string} name
 */
export function download(root, blob, name) {
  const url = URL.createObjectURL(blob);
  const a = el("a");
  a.href = url;
  a.download = name;
  a.style.display = "none";
  root.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}
