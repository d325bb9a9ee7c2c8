"""The timeline front-end's arithmetic, run in Node.js on the sources in js/src (no
browser needed): the axis (units and round tick values, never `612129220 ns`), the zoom
bounds (no window shorter than 1 µs or ten events), Home's first view, and what the
display shows under folds and a search."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

JS = Path(__file__).resolve().parents[2] / "js" / "src"
NODE = shutil.which("node")
pytestmark = pytest.mark.skipif(
    NODE is None, reason="Node.js is not on PATH (the front-end is built with it)"
)

# a payload as payload.js builds it, reduced to what view.js and display.js read
FAKE = """
function fake({ n = 100, tickNs = 1, endTicks = 1e6, lanes = [], groups = [] } = {}) {
  const laneRow0 = [0];
  for (const l of lanes) laneRow0.push(laneRow0[laneRow0.length - 1] + l.rows);
  const laneRows = laneRow0[lanes.length];
  const nRows = laneRows + groups.length;
  const rowObjects = Array.from({ length: nRows }, () => []);
  const objects = [];
  lanes.forEach((l, k) => {
    objects.push({ id: objects.length, label: l.label });
    rowObjects[laneRow0[k]].push(objects.length - 1);
  });
  const rowOfObj = objects.map((o) => laneRow0[o.id]);
  const groupRowOfObj = objects.map((o) =>
    lanes[o.id].group >= 0 ? laneRows + lanes[o.id].group : -1);
  const t = Float64Array.from({ length: n }, (_, i) => (i * endTicks) / n);
  return { n, tickNs, endTicks, t, lanes, groups, laneRow0, laneRows, nRows, rowObjects, objects,
           rowOfObj, groupRowOfObj, header: { end_ns: endTicks * tickNs },
           eventAtTime: (x) => Math.round((x / endTicks) * n) };
}
"""


def run_js(body: str):
    """Run `body` (an async function body that returns JSON-able data) in Node with the
    front-end's modules imported; its result."""
    imports = "\n".join(
        f"const {name} = await import({json.dumps((JS / path).as_uri())});"
        for name, path in (
            ("format", "shared/format.js"),
            ("view", "timeline/view.js"),
            ("chrome", "timeline/chrome.js"),
        )
    )
    script = f"{imports}\n{FAKE}\nconst out = await (async () => {{ {body} }})();\n"
    script += "console.log(JSON.stringify(out));"
    assert NODE is not None
    done = subprocess.run(
        [NODE, "--input-type=module", "-e", script], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_axis_units_follow_the_traces_length_never_ns():
    got = run_js("""
      const u = format.axisUnit;
      return [u(500e3), u(999_999), u(1e6), u(1.4e9), u(9.99e9), u(10e9), u(3600e9)];
    """)
    assert [unit for _, unit in got] == ["µs", "µs", "ms", "ms", "ms", "s", "s"]


def test_tick_labels_are_round_with_just_enough_decimals():
    got = run_js("""
      const f = format.formatTick, ms = [1e6, "ms"], us = [1e3, "µs"], s = [1e9, "s"];
      return [
        f(250e6, 50e6, ms), f(612129300, 100, ms), f(612129200, 200, ms),
        f(1204e3, 1e3, us), f(0, 5e3, us), f(12e9, 2e9, s), f(12.5e9, 0.5e9, s),
        f(1234567e6, 1e9, ms),
      ];
    """)
    assert got == [
        "250 ms",
        "612.1293 ms",
        "612.1292 ms",
        "1,204 µs",
        "0 µs",
        "12 s",
        "12.5 s",
        "1,234,567 ms",
    ]


def test_ruler_ticks_of_a_one_microsecond_window_in_a_long_trace():
    # the issue: eight ctrl+scroll notches went to a 15 ns window labelled `612129220 ns`
    got = run_js("""
      const p = fake({ n: 1000, tickNs: 1, endTicks: 1.4e9 });
      const v = new view.View(p);
      v.width = 1000; v.gutter = 100;
      v.fit();
      for (let k = 0; k < 60; k++) v.zoomAt(v.plotLeft + v.plotW * 0.437, 1.6);
      const [a, b] = v.range();
      return { window: b - a, ticks: chrome.rulerTicks(p, v).map(([, label]) => label) };
    """)
    assert abs(got["window"] - 1000) < 1e-6, got  # 1 µs, no less
    assert got["ticks"], got
    assert all(label.endswith(" ms") for label in got["ticks"]), got
    assert all(re_round(label) for label in got["ticks"]), got
    assert not any("ns" in label for label in got["ticks"]), got


def re_round(label: str) -> bool:
    """A tick value on a 1/2/5 grid of 100 ns in ms: at most four decimals."""
    number = label.split()[0].replace(",", "")
    return len(number.split(".")[-1]) <= 4 if "." in number else True


def test_zoom_stops_at_ten_events_in_step_time():
    got = run_js("""
      const p = fake({ n: 5000 });
      const v = new view.View(p);
      v.clock = "step";
      v.width = 900; v.gutter = 100;
      v.fit();
      for (let k = 0; k < 40; k++) v.zoomAt(v.plotLeft + 10, 2);
      const [a, b] = v.range();
      const zoomedIn = b - a;
      for (let k = 0; k < 40; k++) v.zoomAt(v.plotLeft + 10, 0.5);
      const [c, d] = v.range();
      return { zoomedIn, zoomedOut: d - c, fit: v.plotW / v.fitK() };
    """)
    assert abs(got["zoomedIn"] - 10) < 1e-9, got
    assert abs(got["zoomedOut"] - 4 * got["fit"]) < 1e-6, got  # out: four times the whole


def test_a_trace_shorter_than_the_bound_is_shown_whole():
    got = run_js("""
      const p = fake({ n: 3, tickNs: 1, endTicks: 300 });
      const v = new view.View(p);
      v.width = 800; v.gutter = 100;
      v.fit();
      const fitWindow = v.range()[1] - v.range()[0];
      for (let k = 0; k < 20; k++) v.zoomAt(v.plotLeft + 50, 2);
      return { fitWindow, window: v.range()[1] - v.range()[0] };
    """)
    assert abs(got["window"] - got["fitWindow"]) < 1e-6, got  # 300 ns: nothing to zoom into


def test_home_is_the_first_view():
    got = run_js("""
      const p = fake({ n: 100, endTicks: 1e6, lanes: Array.from({ length: 40 }, (_, k) =>
        ({ id: k, label: `t${k}`, kind: "task", rows: 1, object: k, group: -1 })) });
      const v = new view.View(p);
      v.width = 800; v.gutter = 100; v.height = 300;
      v.fit();
      const first = [v.x0, v.k, v.scrollY];
      v.zoomAt(400, 8); v.panBy(-120, -200);
      const moved = [v.x0, v.k, v.scrollY];
      v.fit(); v.scrollY = 0; v.clamp();   // what Timeline.reset() does
      return { first, moved, back: [v.x0, v.k, v.scrollY] };
    """)
    assert got["moved"] != got["first"] and got["moved"][2] > 0, got
    assert got["back"] == got["first"], got


def test_display_folds_groups_and_filters_by_label():
    got = run_js("""
      const lanes = [{ id: 0, label: "main", kind: "task", rows: 1, object: 0, group: -1 }];
      for (let k = 1; k <= 12; k++) {
        lanes.push({ id: k, label: `work#${k}`, kind: "task", rows: 1, object: k, group: 0 });
      }
      lanes.push({ id: 13, label: "Work-log", kind: "task", rows: 1, object: 13, group: -1 });
      const p = fake({ lanes, groups: [{ id: 0, label: "work ×12", first: 1, count: 12 }] });
      const v = new view.View(p);
      const d = v.display;
      const shown = () => d.entries.map((e) => `${e.kind}:${e.id}`).join(" ");
      const out = { folded: shown(), matches: d.matches, row5: d.shownRow(5) };
      d.toggle(0);
      out.unfolded = shown();
      out.row5open = d.shownRow(5);
      d.setQuery("WORK#1");
      out.search = shown();
      out.found = d.matches;
      d.toggle(0);
      out.searchFolded = shown();
      d.setQuery("nothing like it");
      out.none = [shown(), d.matches, d.shownRow(0)];
      d.setQuery("");
      out.cleared = [d.entries.length, d.matches];
      return out;
    """)
    assert got["folded"] == "lane:0 group:0 lane:13"
    assert got["matches"] == 14 and got["row5"] == 14  # work#5 is drawn in the group's row
    assert got["unfolded"] == "lane:0 group:0 " + " ".join(f"lane:{k}" for k in range(1, 13)) + (
        " lane:13"
    )
    assert got["row5open"] == 5
    # case-insensitive substring: work#1, work#10, work#11, work#12
    assert got["search"] == "group:0 lane:1 lane:10 lane:11 lane:12" and got["found"] == 4
    assert got["searchFolded"] == "group:0"
    assert got["none"] == ["", 0, -1]
    assert got["cleared"] == [3, 14]
