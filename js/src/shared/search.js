// The one binary search: every "first index at or after x" in the front-end is this.

/**
 * The first k in [lo, hi) for which `below(k)` is false, where `below` is true for a
 * prefix of the range and false after it (hi when it is true throughout).
 * @param {number} lo
 * @param {number} hi
 * @param {(k: number) => boolean} below
 * @returns {number}
 */
export function partition(lo, hi, below) {
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (below(mid)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * The first k in [lo, hi) with a[k] >= x (a sorted ascending).
 * @param {ArrayLike<number>} a
 * @param {number} lo
 * @param {number} hi
 * @param {number} x
 */
export function lowerBound(a, lo, hi, x) {
  return partition(lo, hi, (k) => a[k] < x);
}

/**
 * The last k with a[k] <= x, or -1 (a sorted ascending).
 * @param {ArrayLike<number>} a
 * @param {number} x
 */
export function lastAtOrBefore(a, x) {
  return partition(0, a.length, (k) => a[k] <= x) - 1;
}
