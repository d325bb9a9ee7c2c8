"""How the state-machine pictures look, and user text made safe for DOT: the colours from
the theme (theme.json's `diagram`, and `current` for the highlight, as the states widget
outlines the current state), the fonts, and the labels every user string goes through."""

from __future__ import annotations

from ..text import for_markup
from .theme import theme, variant

SOURCE_CHARS = 56  # a site's source text is cut to this many characters on the box
TOOLTIP_CHARS = 300  # each line of a tooltip
WAITS_CHARS = 60  # what an await site waited on, on its box

# -- looks ---------------------------------------------------------------------------------

FONT = "Helvetica,Arial,sans-serif"
MONO = "monospace"
_LOOK = theme()["diagram"]
INK = variant("light")["fg"]
MUTED = variant("light")["muted"]
GREY = _LOOK["grey"]
EDGE_INK = _LOOK["edge"]
ERROR = _LOOK["error"]
HIGHLIGHT = variant("light")["current"]  # as the states widget outlines the current state
SITE = _LOOK["site"]
EXIT_COLOURS = dict(_LOOK["exit"])
STATE_FILL = dict(_LOOK["stateFill"])
UNVISITED = _LOOK["unvisitedFill"]
NOTE = _LOOK["note"]
CLUSTER = _LOOK["cluster"]


# -- safe text -----------------------------------------------------------------------------


def plain(*lines: str, limit: int = TOOLTIP_CHARS) -> str:
    """A plain (non-HTML) DOT string of user text, one line per argument.

    Graphviz decodes entities in plain strings, so `&` is written `&amp;` (and `<`, `>`,
    quotes as entities too); `graphviz.escape` doubles backslashes and marks the result as
    not-HTML, so a text that looks like `<...>` is quoted as a string, never taken as an
    HTML-like label.  Lines are joined with DOT's own line break, `\\n`."""
    import graphviz

    parts = [for_markup(str(line), limit).replace("\\", "\\\\") for line in lines]
    return graphviz.nohtml("\\n".join(parts))


def html_text(text: str, limit: int | None = None) -> str:
    """User text for inside an HTML-like label: escaped, so it is text, never markup."""
    return for_markup(text, limit)


def box_label(head: str, source: str | None, colour: str, waits: str = "") -> str:
    """An HTML-like label: a head line ("await · line 5"), the source text below it in a
    monospace font, and what was awaited there ("→ sleep(0.01) ×10").  Every user string
    is escaped here."""
    rows = f'<font color="{colour}">{html_text(head)}</font>'
    if source:
        rows += f'<br/><font face="{MONO}" point-size="11">{html_text(source, SOURCE_CHARS)}</font>'
    if waits:
        rows += f'<br/><font point-size="11" color="{MUTED}">{html_text(waits, WAITS_CHARS)}</font>'
    return f"<{rows}>"
