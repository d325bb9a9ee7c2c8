"""The summary as a table to read: plain text and HTML (the facts: summary.py).

A long table does not bury the notebook: past TOP_ROWS rows, the HTML shows the TOP_ROWS
rows with the most running time, and every row behind a `<details>` control ("show all N
rows") that needs no script, so it opens in a saved notebook and an exported page too;
`repr()` (a notebook's plain-text copy) shows the same top rows, `str()` every row.  A
task's row names its coroutine in a `<details>` of its own (in text: one line).
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

from ..text import one_line
from .summary import EMPTY, Part, Row, format_ns

if TYPE_CHECKING:
    from .summary import Summary

TOP_ROWS = 20  # a longer table shows these first: the rows with the most running time
CELL = 40  # characters of one text-table cell; the HTML table shows everything


def _cut(text: str, limit: int = CELL) -> str:
    text = one_line(text)  # a name or value with a newline must not break the table
    return text if len(text) <= limit else text[: limit - 1] + "…"


def cells(row: Row) -> tuple[str, ...]:
    """The row's cells, in Summary.COLUMNS order."""
    return (
        row.display,
        row.kind,
        row.state_text,
        row.parent or "–",
        str(row.starts),
        str(row.resumes),
        str(row.yields),
        str(row.awaits),
        format_ns(row.running_ns),
        format_ns(row.suspended_ns),
        row.longest_text,
        row.waited_on_text,
    )


def _top_line(shown: int, total: int, rest: str) -> str:
    return f"the {shown} rows with the most running time, of {total:,} ({rest})"


# -- text -------------------------------------------------------------------------------------


def text(summary: Summary, limit: int | None = None) -> str:
    """The table as aligned text; `limit` rows at most, the busiest (module docstring)."""
    notice = [summary.truncation] if summary.truncation else []
    if not summary.rows:
        return "\n".join([EMPTY] + notice)
    rows = summary.rows
    if limit is not None and len(rows) > limit:
        notice.append(_top_line(limit, len(rows), "print(trace.summary()) shows every row"))
        rows = summary.top(limit)
    columns = summary.COLUMNS
    table = [columns] + [tuple(_cut(c) for c in cells(r)) for r in rows]
    widths = [max(len(line[i]) for line in table) for i in range(len(columns))]
    lines = []
    for line in table:
        padded = [
            c.rjust(w) if name in summary.NUMERIC else c.ljust(w)
            for c, w, name in zip(line, widths, columns)
        ]
        lines.append("  ".join(padded).rstrip())
    rule = "  ".join("-" * w for w in widths)
    said = summary.diagnostics_line()
    tail = [said] if said else []
    return "\n".join([summary.header()] + notice + [lines[0], rule] + lines[1:] + tail)


# -- html -------------------------------------------------------------------------------------


def _style(summary: Summary) -> str:
    """One rule for the whole fragment, not an attribute on each of 2,000 rows' cells:
    cells on one line (a row stays one line tall; a wide table scrolls), text left and
    numbers right (JupyterLab right-aligns every cell).  A page that drops the rule shows
    the table as it styles tables."""
    # two classes: as specific as JupyterLab's own rule for rendered HTML tables, and later
    t = ".asyncviz-summary.asyncviz-table"
    nth = ",".join(
        f"{t} td:nth-child({i + 1}),{t} th:nth-child({i + 1})"
        for i, c in enumerate(summary.COLUMNS)
        if c in summary.NUMERIC
    )
    cells = f"{t} td,{t} th"
    return (
        f"<style>{cells}{{white-space:nowrap;text-align:left;vertical-align:top}}"
        f"{nth}{{text-align:right}}</style>"
    )


def _part(p: Part) -> str:
    """One object of a row, in its expanded view: `task fetch#1 (Task-7): CLOSED (…)`."""
    also = f" ({p.name})" if p.name not in (p.label, p.label.split("#")[0]) else ""
    return f"<div>{html.escape(f'{p.kind} {p.label}{also}: {p.state_text}')}</div>"


def _object_cell(row: Row) -> str:
    name = html.escape(row.display)
    if len(row.parts) < 2:
        return name
    return f"<details><summary>{name}</summary>{''.join(_part(p) for p in row.parts)}</details>"


def _table(summary: Summary, rows: list[Row], caption: str) -> str:
    e = html.escape
    head = "".join(f"<th>{e(c)}</th>" for c in summary.COLUMNS)
    body = []
    for r in rows:
        tds = "".join(f"<td>{e(c)}</td>" for c in cells(r)[1:])
        body.append(f"<tr><td>{_object_cell(r)}</td>{tds}</tr>")
    caption = f"<caption>{e(caption)}</caption>" if caption else ""
    return f"<table>{caption}<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def html_table(summary: Summary) -> str:
    """The summary as an HTML fragment (every user string escaped)."""
    e = html.escape
    notice = (
        f'<p class="asyncviz-truncated"><strong>{e(summary.truncation)}</strong></p>'
        if summary.truncation
        else ""
    )
    if not summary.rows:
        return f'<div class="asyncviz-summary"><p>{e(EMPTY)}</p>{notice}</div>'
    caption = f"asyncviz summary: {summary.header()}"
    rows = summary.rows
    start = f'<div class="asyncviz-summary asyncviz-table">{_style(summary)}{notice}'
    said = _diagnostics(summary)
    if len(rows) <= TOP_ROWS:
        return f"{start}{_table(summary, rows, caption)}{said}</div>"
    top = _table(
        summary,
        summary.top(TOP_ROWS),
        f"{caption} — {_top_line(TOP_ROWS, len(rows), 'all of them below')}",
    )
    every = (
        f'<details class="asyncviz-all"><summary>show all {len(rows):,} rows</summary>'
        f"{_table(summary, rows, '')}</details>"
    )
    return f"{start}{top}{every}{said}</div>"


def _diagnostics(summary: Summary) -> str:
    """The diagnostics line, its messages behind a `<details>` (no script)."""
    said = summary.diagnostics_line()
    if said is None:
        return ""
    items = "".join(f"<li>{html.escape(d.message)}</li>" for d in summary.diagnostics)
    return (
        f'<details class="asyncviz-diagnostics"><summary>{html.escape(said)}</summary>'
        f"<ul>{items}</ul></details>"
    )
