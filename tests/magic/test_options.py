"""The %%asynctrace line: parsing, validating, the one-line errors, the help.

Unit tests of the parser, then the same options in a kernel: a bad one fails in one
line before the cell runs, good ones shape the record.
"""

from __future__ import annotations

import pytest
from IPython.core.error import UsageError

from asyncviz.magic.options import (
    DEFAULT_MAX_EVENTS,
    VIEWS,
    AsyncTraceMagics,
    parse_options,
    save_formats,
)

from .outputs import ANSI, describe, errors, one_usage_error, probe, result, table_shown

OPTIONS = (
    "--view",
    "--save",
    "--out",
    "--max-events",
    "--no-values",
    "--thread",
    "--blocked-ms",
    "--include",
    "--exclude",
)


def test_defaults():
    args = parse_options("")
    assert args.view == "timeline" and args.max_events == DEFAULT_MAX_EVENTS
    assert args.out is None and args.no_values is False and args.thread is False
    assert args.save == args.include == args.exclude == []
    assert args.blocked_ms == 100


def test_blocked_ms_takes_a_number_of_ms():
    assert parse_options("--blocked-ms 50").blocked_ms == 50
    assert parse_options("--blocked-ms 12.5").blocked_ms == 12.5


def test_every_view_is_accepted():
    assert [parse_options(f"--view {v}").view for v in VIEWS] == list(VIEWS)


def test_quotes_are_taken_off():
    # IPython splits a magic's arguments without removing quotes
    args = parse_options(
        """--out 't' --save "saved copy.txt" --save x.avz """
        """--include 'mylib.*' --exclude "*ipykernel_*" """
    )
    assert args.out == "t"
    assert args.save == ["saved copy.txt", "x.avz"]
    assert args.include == ["mylib.*"] and args.exclude == ["*ipykernel_*"]


def test_save_takes_every_format_the_exports_write():
    assert ".avz" in save_formats()
    for suffix in save_formats():
        path = f"out/x{suffix.upper()}"
        assert parse_options(f"--save {path}").save == [path]


@pytest.mark.parametrize(
    "line, words",
    [
        ("--view nope", ["--view", "nope"]),
        ("--max-events -3", ["--max-events", "-3"]),
        ("--blocked-ms 0", ["--blocked-ms must be more than 0, not 0"]),
        ("--blocked-ms -5", ["--blocked-ms", "-5"]),
        ("--blocked-ms soon", ["--blocked-ms", "soon"]),
        ("--bogus", ["--bogus"]),
        ("--save trace.xyz", ["--save trace.xyz", ".xyz is not a format", ".avz"]),
        ("--save trace", ["'trace' has no suffix", ".avz"]),
        ("--out 1abc", ["--out", "'1abc'"]),
        ("--out class", ["--out", "'class'"]),
    ],
)
def test_a_bad_option_is_one_line(line, words):
    with pytest.raises(UsageError) as info:
        parse_options(line)
    text = str(info.value).strip()
    assert "\n" not in text, text
    for w in words:
        assert w in text, text


def test_the_magic_itself_says_where_it_belongs():
    # run_cell_magic, a line magic, or the line not first: the transformer never saw it
    with pytest.raises(UsageError, match="must be the first line of a cell"):
        AsyncTraceMagics.asynctrace(None, "--view none")


def test_help_names_every_option():
    text = AsyncTraceMagics.asynctrace.__doc__
    for word in (*OPTIONS, "_asynctrace", "ASYNCVIZ_EXPORT_DIR", *VIEWS):
        assert word in text, word


# ---------------------------------------------------------------------------- in a kernel


@pytest.mark.kernel
@pytest.mark.parametrize(
    "name, words",
    [
        ("bad_view", ["--view", "nope"]),
        ("bad_max", ["--max-events", "-3"]),
        ("bad_flag", ["--bogus"]),
        ("bad_save", ["trace.xyz", ".avz"]),
        ("bad_out", ["--out", "1abc"]),
    ],
)
def test_bad_options_fail_before_the_cell_runs(main_nb, name, words):
    cell = main_nb.cell(name)
    one_usage_error(cell, *words)
    assert main_nb.reply(name).get("ename") == "UsageError", main_nb.reply(name)


@pytest.mark.kernel
def test_bad_options_ran_nothing(main_nb):
    assert probe(main_nb.cell("bad_probe"))["side"] == [], "a cell with bad options ran"


@pytest.mark.kernel
def test_help_documents_every_option(main_nb):
    reply = main_nb.reply("help")
    assert reply.get("status") == "ok", reply
    pages = [p["data"]["text/plain"] for p in reply.get("payload", []) if p.get("source") == "page"]
    assert pages, reply
    text = ANSI.sub("", pages[0])
    for option in (
        "--view",
        "--save",
        "--out",
        "--max-events",
        "--no-values",
        "--thread",
        "--include",
        "--exclude",
        "_asynctrace",
        "timeline",
        "states",
        "summary",
        "none",
    ):
        assert option in text, f"{option} not in the help:\n{text}"


@pytest.mark.kernel
def test_max_events_truncates_and_says_so(main_nb):
    cell = main_nb.cell("max_events")
    assert not errors(cell), describe(cell)
    data = table_shown(cell)
    assert "truncated" in data["text/plain"] and "truncated" in data["text/html"], data
    got = probe(main_nb.cell("max_events_probe"))
    # events and objects share the budget: one object weighs 8 events
    assert got["truncated"] is True and got["total"] == sum(range(50)), got
    assert 0 < got["n"] and got["n"] + 8 * got["objects"] <= 30, got


@pytest.mark.kernel
def test_exclude_leaves_the_cells_code_out(main_nb):
    cell = main_nb.cell("exclude")
    assert not errors(cell) and result(cell) == "[1, 2]", describe(cell)
    # the cell too: it is code of the excluded file
    assert probe(main_nb.cell("exclude_probe"))["kinds"] == []
