"""asyncviz/text.py: the one helper every view uses to show the traced program's text."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from asyncviz.text import cut, for_markup, one_line

HOSTILE = [
    "<script>alert(1)</script>",
    "a & b \"q\" 'r' ]]>",
    "tab\tbell\x07nul\x00esc\x1b[31m",
    "日本語\n二行",
    "\ud800",
    "\u2028line\x85sep",
    "$x^2$ \\n",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_one_line_is_printable_and_one_line(text):
    shown = one_line(text)
    assert shown.isprintable() and "\n" not in shown
    assert one_line(shown) == shown  # printable text is left as it is
    assert one_line(text, 5) == cut(shown, 5)


def test_control_characters_are_spelled_out():
    assert one_line("a\nb\tc\x00\x1b") == "a\\nb\\tc\\x00\\x1b"
    assert one_line("\ud800") == "\\ud800"
    assert one_line("日本語") == "日本語"  # printable beyond ASCII stays


def test_cut_marks_what_it_cut():
    assert cut("abcdef", 6) == "abcdef"
    assert cut("abcdefg", 6) == "abcde…" and len(cut("abcdefg", 6)) == 6
    assert cut("abc", None) == "abc"
    assert one_line("x" * 100, 26) == "x" * 25 + "…"


@pytest.mark.parametrize("text", HOSTILE)
def test_for_markup_is_text_in_xml(text):
    shown = for_markup(text, 30)
    root = ET.fromstring(f'<svg a="{shown}"><text>{shown}</text></svg>')
    assert root.find("text").text == one_line(text, 30) == root.get("a")
