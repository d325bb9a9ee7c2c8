"""What both widgets share: where their built front-end lives, when their details travel
with them, and how their linked traits (`cursor`, `selection`) are kept in range."""

from __future__ import annotations

from pathlib import Path

STATIC = Path(__file__).parent.parent / "static"
# A trace of at most this many events carries its details in the widget state, so that
# the page shows them with no kernel behind it (a saved notebook, an exported page).
# The timeline's details cost 8 bytes per event plus the distinct value and line texts:
# at this size its state stays near half a megabyte, which the notebook keeps when it
# saves widget state — and a teaching cell has tens to thousands of events.  Bigger
# traces (the million-event kind) keep their payload at 12 bytes per event and ask the
# kernel for details as the pointer reaches them.
INLINE_EVENTS = 50_000


def esm(bundle: str, what: str):
    """The bundle's path, or — in a checkout installed without Node.js — a tiny module
    that says so in the notebook instead of failing the import."""
    path = STATIC / bundle
    if path.is_file():
        return path
    message = (
        f"asyncviz: the {what} front-end was not built (asyncviz/static/{bundle} is "
        "missing). Reinstall with Node.js >= 18 on PATH: pip install -e ."
    )
    return (
        "export default { render({ el }) {\n"
        "  const d = document.createElement('div');\n"
        "  d.style.cssText = 'padding:8px;border:1px solid #d55e00;color:#d55e00;"
        "font-family:sans-serif';\n"
        f"  d.textContent = {message!r};\n"
        "  el.appendChild(d);\n"
        "} };\n"
    )


def clamp_cursor(value: int, n_events: int) -> int:
    """An event index within the trace, or -1 (no cursor)."""
    return -1 if value < 0 or n_events == 0 else min(value, n_events - 1)


def valid_selection(value: int, n_objects: int) -> int:
    """An object id of the trace, or -1 (nothing selected)."""
    return value if 0 <= value < n_objects else -1
