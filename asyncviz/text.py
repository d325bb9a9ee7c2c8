"""Text from the traced program, made safe to show.  Standard library only.

Labels, names, values and source lines come from the user's program: a task name may hold
a newline, a value an escape sequence, a label `<script>`.  Every view that writes such a
string goes through one of these, each named for what it guarantees:

    one_line(text, limit=None)   printable, one line (a control character is spelled out
                                 as its escape: "\\n", "\\x1b", "\\ud800"), at most `limit`
                                 characters
    cut(text, limit)             at most `limit` characters, a cut marked with "…"
    for_markup(text, limit=None) one_line, then escaped for XML/HTML (SVG text, attributes,
                                 Graphviz HTML-like labels): always text, never markup
"""

from __future__ import annotations

import html

__all__ = ["one_line", "cut", "for_markup", "ELLIPSIS"]

ELLIPSIS = "…"


def cut(text: str, limit: int | None) -> str:
    """`text` if it has at most `limit` characters, else its first `limit - 1` and "…"
    (`limit` None: no limit)."""
    if limit is None or len(text) <= limit:
        return text
    return text[: max(limit - 1, 0)] + ELLIPSIS


def one_line(text: str, limit: int | None = None) -> str:
    """Printable characters only, on one line: each character `str.isprintable` refuses
    (newlines, tabs, escape, NUL, a lone surrogate, ...) is written as its Python escape,
    then the result is `cut` to `limit`."""
    if not text.isprintable():
        # unicode_escape spells every character out, a lone surrogate included
        text = "".join(
            c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text
        )
    return cut(text, limit)


def for_markup(text: str, limit: int | None = None) -> str:
    """`one_line(text, limit)` with `& < > " '` escaped: safe as the text of an XML, SVG or
    HTML element or attribute."""
    return html.escape(one_line(text, limit), quote=True)
