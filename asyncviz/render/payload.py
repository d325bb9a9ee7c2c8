"""The timeline payload: what the front-end draws, computed in analysis/, sent in binary.

Version 3.  A JSON header (the widget's `header` trait) plus little-endian typed arrays
(the widget's `buffers` trait, one bytes object, sliced by the offsets the header gives).
Per event the bulk costs 12 bytes (14 when there are more than 65,535 objects), plus 6
bytes per event that names a known object and 13 per relation drawn (8 and 17 with
more objects).  With details
"inline" every event's value and source line travel too (8 bytes per event and the
distinct texts); "on_demand", the widget asks for them when the pointer rests on an
event (`describe` message) — see widgets/timeline.py for which is chosen.

header = {
  "version": 3,
  "title": str,                                      # what an exported image is called
  "n_events": int, "end_ns": int, "tick_ns": int,    # t[i] * tick_ns = ns since start
  "truncated": bool, "dropped": int,
  "truncation": str | None,                          # what the view says when cut
  "python": str, "backend": str,
  "kinds": ["create", "start", ...],                 # kind codes, as in events.KINDS
  "roles": ["mark", "begin", ...],                   # per kind code, events.ROLE
  "state_names": [...],                              # state codes, as in events.STATES
  "lanes": {"label": [...], "kind": ["task"|"free"|"idle", ...], "rows": [...],
            "object": [int|None, ...],               # columns: lane i is index i
            "group": [int|None, ...]},               # its fold group, if any
  "groups": {"label": [...], "first": [...], "count": [...]},  # lanes first .. first+count-1
  "diagnostics": [{"kind": str, "objects": [int, ...], "t0": ns, "t1": ns,
                   "line": int|None, "message": str}, ...],   # Trace.diagnostics()
  "object_kinds": [...], "files": [...],
  "objects": {"label": [...], "kind": [index into object_kinds], "lane": [int|None],
              "depth": [...], "parent": [int|None], "state": [index into state_names],
              "file": [index into files|None], "line": [firstlineno|None],
              "link": [int|None]},                   # analysis.timeline.links()
  "relation_kinds": ["spawn", "await", "wake", "cancel"],
  "relation_counts": {"spawn": int, "await": int, "wake": int, "cancel": int},
  "details": "inline" | "on_demand",
  "values": [str, ...],                              # inline: the distinct values
  "sites": {"line": [int, ...], "text": [str|None, ...]},  # inline: distinct lines
  "arrays": {name: [offset, count, "u8"|"u16"|"u32"|"i32"], ...},
}

Arrays, one entry per event unless said otherwise:
  t        event time in ticks
  obj      the object (index into header.objects)
  kind     kind code
  state    the state the event leaves its object in (index into header.state_names;
           255: not known yet) — a task's is its coroutine's until the task ends, so
           a task's state at event i is the one at the later of its own and its
           coroutine's (objects.link) latest events
  partner  for start/resume/throw: the index of the event that ends that running slice
           (yield/await/return/raise/close of the same object; -1 if it was still running
           when the trace stopped); for yield/await: the index of the event that ends the
           suspension (the next start/resume/throw/close of that object; -1: still
           suspended at the end); -1 for every other kind
  target_event / target_obj   (sparse; target_obj u16 or u32 as obj, like the rel_*_obj
           columns) the events that name a known object — what an
           await waits on, who asked for a cancel — and that object
  rel_kind / rel_tail / rel_head / rel_tail_obj / rel_head_obj   (one per relation)
           analysis.timeline.Relations: an arrow of kind relation_kinds[rel_kind] from
           rel_tail_obj's row at event rel_tail to rel_head_obj's row at event rel_head
  idle     the event loop waiting in select(): [start, end] tick pairs
  implicit_end  (sparse) the return events that are a function falling off its end
           (analysis.endings.implicit_return): the views say "end of function"
  value    (inline) index into header.values (0xFFFFFFFF: no value)
  site     (inline) index into header.sites (0xFFFFFFFF: no line)

Lanes and rows are analysis/lanes.py's layout (Trace.lanes()): objects.lane and
objects.depth give each object's lane and its row in that lane; a lane's rows are
`lanes.rows[lane]` rows, one per object alive at the same time.  Lanes of one group are
consecutive; the front-end draws a folded group as one row of all their objects.
"""

from __future__ import annotations

import json
import struct
from array import array
from collections.abc import Iterable
from typing import cast

from ..analysis.endings import implicit_return
from ..analysis.timeline import RELATION_KINDS, SourceLines, Timeline, timeline_of
from ..events import KIND_CODE, KINDS, OBJECT_KINDS, ROLE, STATES
from ..trace import NO_VALUE, Trace, record_columns, value_text

VERSION = 3
DEFAULT_TITLE = "asyncviz timeline"
DIAGNOSTIC_FIELDS = ("kind", "objects", "t0", "t1", "line", "message")
DETAILS = ("inline", "on_demand")
NONE = 0xFFFFFFFF  # no value, no line (in the inline `value` and `site` arrays)
_TYPECODES = {"u8": "B", "u16": "H", "u32": "I", "i32": "i"}


def encode(
    trace: Trace,
    timeline: Timeline | None = None,
    details: str = "on_demand",
    diagnostics=None,
    title: str | None = None,
) -> tuple[dict, bytes]:
    """(header, buffer) for the widget; see the module docstring for the layout.
    diagnostics: items with kind, objects, t0, t1, line, message (objects or dicts);
    None: the trace's own (Trace.diagnostics(), when it has them).  title: what an
    exported image is called (None: the trace's)."""
    if details not in DETAILS:
        raise ValueError(f"details must be one of {DETAILS}, not {details!r}")
    tl = timeline if timeline is not None else timeline_of(trace)
    end = trace.end
    tick = max(1, -(-end // 0xFFFFFFFF))  # ceil: the longest time fits in u32
    rel = tl.relations
    ids = "u16" if len(trace.objects) <= 0xFFFF else "u32"
    # widest first: only the narrow arrays at the end need padding to stay aligned
    arrays = {
        "t": ("u32", (x // tick for x in tl.t)),
        "partner": ("i32", tl.partner),
        "target_event": ("u32", tl.target_event),
        "rel_tail": ("u32", rel.tail_event),
        "rel_head": ("u32", rel.head_event),
        "idle": ("u32", (x // tick for pair in tl.idle for x in pair)),
        "implicit_end": ("u32", implicit_ends(trace)),
        "obj": (ids, tl.obj),
        "target_obj": (ids, tl.target_obj),
        "rel_tail_obj": (ids, rel.tail_obj),
        "rel_head_obj": (ids, rel.head_obj),
        "kind": ("u8", tl.kind),
        "state": ("u8", tl.state),
        "rel_kind": ("u8", rel.kind),
    }
    header = _header(trace, tl, end, tick)
    header["title"] = title or trace_title(trace)
    header["diagnostics"] = diagnostic_items(trace if diagnostics is None else diagnostics)
    if details == "inline":
        values, sites, value, site = inline_details(trace)
        header.update(values=values, sites=sites)
        arrays = {"value": ("u32", value), "site": ("u32", site), **arrays}
    header["details"] = details
    header["arrays"], buffer = _pack(arrays)
    return header, buffer


def _header(trace: Trace, tl: Timeline, end: int, tick: int) -> dict:
    objects = trace.objects
    files = sorted({o.filename for o in objects if o.filename})
    file_index = {f: i for i, f in enumerate(files)}
    return {
        "version": VERSION,
        "n_events": len(tl.t),
        "end_ns": end,
        "tick_ns": tick,
        "truncated": trace.truncated,
        "dropped": trace.dropped,
        "truncation": trace.truncation,
        "python": trace.meta.get("python"),
        "backend": trace.meta.get("backend"),
        "kinds": list(KINDS),
        "roles": [ROLE[k] for k in KINDS],
        "state_names": list(STATES),
        # columns, not one JSON object per row: ten thousand tasks would otherwise cost
        # more header than all their events
        "lanes": _columns(
            tl.layout.lanes,
            ("label", "kind", "rows", "object", "group"),
            lambda lane: (lane.label, lane.kind, len(lane.rows), lane.object, lane.group),
        ),
        "groups": _columns(
            tl.layout.groups,
            ("label", "first", "count"),
            lambda g: (g.label, g.lanes[0], len(g.lanes)),
        ),
        "object_kinds": list(OBJECT_KINDS),
        "files": files,
        "objects": {
            "label": [o.label for o in objects],
            "kind": [OBJECT_KINDS.index(o.kind) for o in objects],
            "lane": list(tl.lane_of),
            "depth": list(tl.depth_of),
            "parent": [o.parent for o in objects],
            "state": [STATES.index(o.state) for o in objects],
            "file": [file_index.get(o.filename) if o.filename else None for o in objects],
            "line": [o.firstlineno for o in objects],
            "link": list(tl.link),
        },
        "relation_kinds": list(RELATION_KINDS),
        "relation_counts": {k: tl.relations.count(k) for k in RELATION_KINDS},
    }


def trace_title(trace: Trace) -> str:
    """What an exported image of `trace` is called: the name the trace was given
    (meta "title"), else the timeline's with the time the recording started."""
    given = trace.meta.get("title")
    if given:
        return str(given)
    started = str(trace.meta.get("started_at") or "")[:19].replace("T", " ")
    return f"{DEFAULT_TITLE} · {started}" if started else DEFAULT_TITLE


def diagnostic_items(source) -> list[dict]:
    """Diagnostics as the header carries them: from a trace (its `diagnostics()`, when
    it has one) or from a list of items — objects or dicts with DIAGNOSTIC_FIELDS."""
    items: Iterable = source or ()
    if isinstance(source, Trace):
        found = getattr(source, "diagnostics", None)
        items = cast(Iterable, (found() if callable(found) else None) or ())
    out = []
    for item in items:
        field = (
            dict(item)
            if isinstance(item, dict)
            else {k: getattr(item, k, None) for k in DIAGNOSTIC_FIELDS}
        )
        objects: Iterable = field.get("objects") or ()
        out.append(
            {
                "kind": str(field.get("kind") or ""),
                "objects": [int(o) for o in objects],
                "t0": int(field.get("t0") or 0),
                "t1": int(field.get("t1") or field.get("t0") or 0),
                "line": field.get("line"),
                "message": str(field.get("message") or ""),
            }
        )
    return out


def implicit_ends(trace: Trace) -> array:
    """The return events that are their function falling off its end (sorted)."""
    _t, obj, _target, value, kind, line = record_columns(trace.buffer)
    code = KIND_CODE["return"]
    raw = bytes(kind)
    source = SourceLines(trace)
    out = array("I")
    at = raw.find(code)
    while at >= 0:
        v = value[at]
        text = None if v == NO_VALUE else value_text(v, trace.strings, trace.numbers)
        o = trace.objects[obj[at]]
        if implicit_return("return", text, source(o.filename, line[at])):
            out.append(at)
        at = raw.find(code, at + 1)
    return out


def inline_details(trace: Trace) -> tuple[list[str], dict, array, array]:
    """Every event's value and source line, as tables of distinct texts and one index per
    event into each: (values, sites {"line", "text"}, value indices, site indices)."""
    _t, obj, _target, value, _kind, line = record_columns(trace.buffer)
    strings, numbers, objects = trace.strings, trace.numbers, trace.objects
    source = SourceLines(trace)
    values: dict[str, int] = {}
    sites: dict[tuple[int, str | None], int] = {}
    site_of: dict[tuple[str | None, int], int] = {}
    value_index, site_index = array("I"), array("I")
    for o, v, ln in zip(obj, value, line):
        text = value_text(v, strings, numbers)
        value_index.append(NONE if text is None else values.setdefault(text, len(values)))
        if not ln:
            site_index.append(NONE)
            continue
        key = (objects[o].filename, ln)
        if key not in site_of:
            site = (ln, source(key[0], ln))
            site_of[key] = sites.setdefault(site, len(sites))
        site_index.append(site_of[key])
    table = {"line": [ln for ln, _ in sites], "text": [text for _, text in sites]}
    return list(values), table, value_index, site_index


def _pack(arrays: dict) -> tuple[dict, bytes]:
    """The arrays one after the other, each at a 4-byte aligned offset (typed-array
    views need it), little-endian: (layout for the header, the bytes)."""
    chunks: list[bytes] = []
    layout = {}
    offset = 0
    little = struct.pack("=H", 1) == struct.pack("<H", 1)
    for name, (code, values) in arrays.items():
        data = array(_TYPECODES[code], values)
        if data.itemsize != struct.calcsize(_TYPECODES[code]):  # pragma: no cover
            raise RuntimeError(
                f"array typecode {_TYPECODES[code]!r} is not "
                f"{struct.calcsize(_TYPECODES[code])} bytes here"
            )
        if data.itemsize > 1 and not little:  # pragma: no cover - big-endian machines
            data.byteswap()
        pad = -offset % 4
        chunks.append(b"\0" * pad)
        offset += pad
        layout[name] = [offset, len(data), code]
        raw = data.tobytes()
        chunks.append(raw)
        offset += len(raw)
    return layout, b"".join(chunks)


def _columns(rows, names, values) -> dict:
    out = {name: [] for name in names}
    for row in rows:
        for name, value in zip(names, values(row)):
            out[name].append(value)
    return out


def header_json(header: dict) -> str:
    return json.dumps(header, separators=(",", ":"))
