"""Clock values to pixels: axis ticks, and spans merged so that a million slices draw as a
few hundred rectangles.  numpy is imported when first needed, not with the module."""

from __future__ import annotations

import math


def nice_step(span: float, count: int) -> float:
    """A step of 1, 2, 2.5 or 5 times a power of ten giving about `count` ticks."""
    raw = span / max(count, 1)
    mag = 10 ** math.floor(math.log10(raw)) if raw > 0 else 1
    for m in (1, 2, 2.5, 5, 10):
        if raw <= m * mag:
            return m * mag
    return 10 * mag


def time_ticks(lo: float, hi: float, count: int) -> list[tuple[float, str]]:
    """(ns, label) ticks between lo and hi, labelled in one unit (ns, µs, ms or s)."""
    step = nice_step(hi - lo, count)
    unit, scale = "ns", 1.0
    for u, s in (("s", 1e9), ("ms", 1e6), ("µs", 1e3)):
        if hi >= s:
            unit, scale = u, s
            break
    digits = max(0, -math.floor(math.log10(step / scale) + 1e-9)) if step < scale else 0
    if step / scale * 10**digits % 1 > 1e-6:  # 2.5 steps need one digit more
        digits += 1
    first = math.ceil(lo / step) * step
    ticks = []
    k = 0
    while first + k * step <= hi + step * 1e-9:
        v = first + k * step
        ticks.append((v, f"{v / scale:.{digits}f} {unit}"))
        k += 1
    return ticks


def step_ticks(lo: float, hi: float, count: int) -> list[tuple[float, str]]:
    """Ticks on the step clock: event indices, each at its event's middle (i + 0.5)."""
    step = max(1, round(nice_step(hi - lo, count)))
    first = math.ceil(lo / step) * step
    return [(v + 0.5, f"{v:,}") for v in range(int(first), int(hi), step)]


def merge(key, xa, xb, gap: float = 1.0):
    """Merge, per key, spans [xa, xb] (pixels) closer than `gap`; each at least 1 px wide.

    Spans of one key must come in order of xa (they do: events are in time order).
    Returns (key, x0, x1, fill) of the merged rectangles; fill is the part of a rectangle
    its spans really cover (below 1 also for one span widened to a pixel)."""
    import numpy as np

    if not len(key):
        return key, xa, xb, np.ones(0)
    order = np.argsort(key, kind="stable")
    key, xa, xb = key[order], xa[order], xb[order]
    covered = np.maximum(xb - xa, 0.0)
    xb = np.maximum(xb, xa + 1.0)
    # a running maximum of xb within each key: shift each key's x values past the last
    span = float(max(xb.max(), 1.0)) + 4 * gap + 1.0
    shift = key.astype(np.float64) * span
    reach = np.maximum.accumulate(xb + shift) - shift
    new = np.empty(len(key), dtype=bool)
    new[0] = True
    new[1:] = (key[1:] != key[:-1]) | (xa[1:] > reach[:-1] + gap)
    starts = np.flatnonzero(new)
    ends = np.append(starts[1:], len(key)) - 1
    x0, x1 = xa[starts], reach[ends]
    fill = np.add.reduceat(covered, starts) / (x1 - x0)
    return key[starts], x0, x1, np.minimum(fill, 1.0)
