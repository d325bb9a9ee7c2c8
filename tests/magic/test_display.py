"""What a finished trace becomes below its cell: the view (with its fallbacks), the
--save files, the export directory; with a stand-in trace, then in a kernel.
"""

from __future__ import annotations

import os
from types import SimpleNamespace

import pytest

from asyncviz.magic import display

from .outputs import (
    WIDGET,
    describe,
    displays,
    errors,
    probe,
    result,
    states_shown,
    stderr,
    stdout,
    summary_shown,
)


class Shown:
    def __init__(self, name):
        self.name = name
        self.linked = None

    def link(self, other):
        self.linked = other

    def __repr__(self):
        return f"<{self.name}>"


class StubTrace:
    """A trace whose views and files can be made to fail."""

    def __init__(self, *broken):
        self.broken = set(broken)
        self.saved = []

    def _view(self, name):
        if name in self.broken:
            raise RuntimeError(f"no {name}")
        return Shown(name)

    def timeline(self):
        return self._view("timeline")

    def states(self):
        return self._view("states")

    def summary(self):
        return self._view("summary")

    def save(self, path):
        if "save" in self.broken:
            raise ValueError(f"cannot save {path}: not here")
        if "disk" in self.broken:
            raise OSError("disk full")
        self.saved.append(path)

    def __repr__(self):
        return "<trace>"


@pytest.fixture
def shown(monkeypatch):
    """What display() was given, in order."""
    import IPython.display

    got = []
    monkeypatch.setattr(IPython.display, "display", got.append)
    return got


def names(objects) -> list[str]:
    return [repr(o) for o in objects]


@pytest.mark.parametrize(
    "view, expected",
    [
        ("timeline", ["<timeline>"]),
        ("states", ["<states>"]),
        ("summary", ["<summary>"]),
        ("all", ["<timeline>", "<states>", "<summary>"]),
    ],
)
def test_each_view(shown, capsys, view, expected):
    display.show(StubTrace(), view)
    assert names(shown) == expected
    assert capsys.readouterr() == ("", "")


def test_all_links_the_state_machines_to_the_timeline(shown):
    display.show(StubTrace(), "all")
    timeline, states, _ = shown
    assert states.linked is timeline.widget  # shown as a TimelineDisplay of the widget


@pytest.mark.parametrize(
    "view, broken, expected, said",
    [
        ("timeline", ["timeline"], ["<summary>"], "cannot show the timeline (no timeline)"),
        ("states", ["states"], ["<summary>"], "cannot show the state machines (no states)"),
        ("all", ["states"], ["<timeline>", "<summary>"], "cannot show the state machines"),
    ],
)
def test_a_view_that_fails_falls_back_to_the_summary(shown, capsys, view, broken, expected, said):
    display.show(StubTrace(*broken), view)
    assert names(shown) == expected
    err = capsys.readouterr().err
    assert said in err and "showing the summary" in err and err.count("\n") == 1


class LoggedTrace(StubTrace):
    """A stub trace that notes, in one log with what display() was given, each view it
    makes."""

    def __init__(self, log):
        super().__init__()
        self.log = log

    def _view(self, name):
        self.log.append(("made", name))
        return super()._view(name)


@pytest.mark.parametrize(
    "view, expected",
    [
        # the timeline is on its way to the page before the state machines are made;
        # the summary is made once: the timeline's text/plain, then the table
        (
            "all",
            ["made timeline", "made summary", "shown <timeline>", "made states"]
            + ["shown <states>", "shown <summary>"],
        ),
        ("timeline", ["made timeline", "made summary", "shown <timeline>"]),
        ("states", ["made states", "shown <states>"]),
        ("summary", ["made summary", "shown <summary>"]),
    ],
)
def test_each_view_is_shown_as_soon_as_it_is_made(monkeypatch, view, expected):
    import IPython.display

    log = []
    monkeypatch.setattr(IPython.display, "display", lambda obj: log.append(("shown", repr(obj))))
    display.show(LoggedTrace(log), view)
    assert [" ".join(entry) for entry in log] == expected


def test_the_timelines_text_is_the_summary_shown_as_the_table(shown):
    display.show(StubTrace(), "all")
    timeline, _, table = shown
    assert timeline.summary is table and timeline.trace is not None


def test_without_a_summary_the_trace_says_what_it_is(shown, capsys):
    display.show(StubTrace("timeline", "summary"), "timeline")
    assert shown == []
    out, err = capsys.readouterr()
    assert out == "<trace>\n" and "cannot show the summary" in err


def test_present_shows_saves_and_exports(shown, monkeypatch, tmp_path):
    monkeypatch.setenv(display.EXPORT_DIR_ENV, str(tmp_path))
    monkeypatch.setattr(display, "_has_dot", lambda: False)
    trace = StubTrace()
    args = SimpleNamespace(view="summary", save=["~/run.avz", "run.txt"], out=None)
    display.present(trace, args, 7)
    assert names(shown) == ["<summary>"]
    exported = [os.path.join(str(tmp_path), f"cell7{s}") for s in display.EXPORTS]
    assert trace.saved == [os.path.expanduser("~/run.avz"), "run.txt", *exported]


def test_exports_are_named_after_out_when_the_cell_names_its_trace(monkeypatch, tmp_path):
    # a workshop's files keep their names when a cell is added above
    monkeypatch.setenv(display.EXPORT_DIR_ENV, str(tmp_path))
    monkeypatch.setattr(display, "_has_dot", lambda: False)
    trace = StubTrace()
    display.present(trace, SimpleNamespace(view="none", save=[], out="averager"), 7)
    assert trace.saved == [os.path.join(str(tmp_path), f"averager{s}") for s in display.EXPORTS]


def test_view_none_shows_nothing_and_no_export_dir_exports_nothing(shown, monkeypatch):
    monkeypatch.delenv(display.EXPORT_DIR_ENV, raising=False)
    trace = StubTrace()
    display.present(trace, SimpleNamespace(view="none", save=["a.avz"], out=None), 3)
    assert shown == [] and trace.saved == ["a.avz"]


@pytest.mark.parametrize("has_dot", [False, True])
def test_state_machine_pictures_are_exported_only_with_dot(monkeypatch, tmp_path, has_dot):
    monkeypatch.setattr(display, "_has_dot", lambda: has_dot)
    trace = StubTrace()
    display.export(trace, str(tmp_path), "cell0")
    suffixes = [os.path.basename(p)[len("cell0") :] for p in trace.saved]
    assert suffixes == list(display.EXPORTS) + (list(display.DOT_EXPORTS) if has_dot else [])


@pytest.mark.parametrize("found, expected", [("/usr/bin/dot", True), (None, False)])
def test_dot_is_asked_of_the_one_probe(monkeypatch, found, expected):
    from asyncviz.render import dot_run

    monkeypatch.setattr(dot_run, "dot_program", lambda: found)
    assert display._has_dot() is expected


@pytest.mark.parametrize(
    "broken, said",
    [
        ("save", "asyncviz: cannot save x.png: not here\n"),
        ("disk", "asyncviz: could not save x.png: disk full\n"),
    ],
)
def test_a_file_that_cannot_be_written_is_one_line(capsys, broken, said):
    display.save(StubTrace(broken), "x.png")
    assert capsys.readouterr() == ("", said)


# ---------------------------------------------------------------------------- in a kernel


@pytest.mark.kernel
def test_default_view_is_the_timeline_with_fallbacks(main_nb):
    data = summary_shown(main_nb.cell("run1"))
    assert "run1" not in data[WIDGET] and data[WIDGET]["model_id"], data[WIDGET]
    assert "events" in data["text/plain"] and "objects" in data["text/plain"], data


@pytest.mark.kernel
def test_view_states_shows_the_state_machine_widget(main_nb):
    cell = main_nb.cell("view_states")
    assert not errors(cell), describe(cell)
    shown = displays(cell)
    assert len(shown) == 1, describe(cell)
    states_shown(shown[0]["data"])
    assert stdout(cell) == "" and stderr(cell) == "", describe(cell)
    assert result(cell) == "[1, 2]"


@pytest.mark.kernel
def test_view_all_shows_the_timeline_and_the_states_linked_then_the_table(main_nb):
    cell = main_nb.cell("view_all")
    assert not errors(cell), describe(cell)
    shown = displays(cell)
    assert len(shown) == 3, describe(cell)
    timeline, states, table = (o["data"] for o in shown)
    assert "image/png" in timeline and "events" in timeline["text/plain"], timeline
    states_shown(states)
    assert "<table" in table["text/html"], table
    assert stdout(cell) == "" and stderr(cell) == "", describe(cell)
    assert result(cell) == "[1, 2]"
    # linked in the front-end (one link_id): cursor and selection, timeline → states
    pair = [timeline[WIDGET]["model_id"], states[WIDGET]["model_id"]]
    assert probe(main_nb.cell("view_all_probe")) == [["cursor", *pair], ["selection", *pair]]


@pytest.mark.kernel
def test_out_save_and_no_values(main_nb):
    cell = main_nb.cell("options")
    assert not errors(cell), describe(cell)
    assert not displays(cell), describe(cell)  # --view none
    assert result(cell) == "'secret'", describe(cell)
    got = probe(main_nb.cell("options_probe"))
    assert got["same"] is True, got
    assert got["n"] == got["loaded_n"] == 5, got
    assert got["loaded_kinds"] == ["create", "start", "yield", "resume", "yield"], got
    assert got["values"] == [None] * 5, got
    assert got["txt"] is True, got
    assert (main_nb.workdir / "saved.avz").is_file()


@pytest.mark.kernel
def test_export_dir_gets_every_traced_cell(main_nb):
    for name in ("sync", "error", "run1"):
        n = main_nb.cell(name).execution_count
        for suffix in (".txt", ".html", ".avz"):
            path = main_nb.export / f"cell{n}{suffix}"
            assert path.is_file() and path.stat().st_size > 0, f"{name}: no {path.name}"
    n = main_nb.cell("sync").execution_count
    assert "echo#1" in (main_nb.export / f"cell{n}.txt").read_text()
