"""The timeline payload: what the front-end draws, computed here, sent in binary.

Version 1.  A JSON header (the widget's `header` trait) plus little-endian typed arrays
(the widget's `buffers` trait, one bytes object, sliced by the offsets the header gives).
Per event the bulk costs 11 bytes (15 when there are more than 65,535 objects), plus 8
bytes per `await` that has a target; values and source lines are not shipped in bulk:
the widget asks for them when the pointer rests on an event (`describe` message).

header = {
  "version": 1,
  "n_events": int, "duration_ns": int, "tick_ns": int,   # t[i] * tick_ns = ns since start
  "truncated": bool, "dropped": int, "python": str, "backend": str,
  "kinds": ["create", "start", ...],                     # kind codes, as in events.KINDS
  "states": {"create": "CREATED", "start": "RUNNING", ...},  # state after each kind
  "lanes": {"label": [...], "kind": ["task"|"free"|"idle", ...], "rows": [...],
            "object": [int|None, ...]},                  # columns: lane i is index i
  "object_kinds": [...], "state_names": [...], "files": [...],
  "objects": {"label": [...], "kind": [index into object_kinds], "lane": [int|None],
              "depth": [...], "parent": [int|None], "state": [index into state_names],
              "file": [index into files|None], "line": [firstlineno|None]},
  "spawns": [[parent_object, child_object, event_index_of_create]],
  "arrays": {"t": [offset, count, "u32"], "obj": [offset, count, "u16"|"u32"],
             "kind": [offset, count, "u8"], "partner": [offset, count, "i32"],
             "await_event": [offset, count, "u32"], "await_target": [offset, count, "u32"],
             "idle": [offset, count, "u32"]},                # idle: start,end tick pairs
}

Arrays, one entry per event unless said otherwise:
  t        event time in ticks
  obj      the object (index into header.objects)
  kind     kind code
  partner  for start/resume/throw: the index of the event that ends that running slice
           (yield/await/return/raise/close of the same object; -1 if it was still running
           when the trace stopped); for yield/await: the index of the event that ends the
           suspension (the next start/resume/throw/close of that object; -1: still
           suspended at the end); -1 for every other kind
  await_event / await_target   (sparse) the awaits that wait on a known object: event
           index and the awaited object — the await relation; its wake is the awaited
           object's return/raise and the waiter's `partner` resume
  idle     the event loop waiting in select(): [start, end] tick pairs

Lanes: one per task, one per generator or coroutine that no task and no delegating
frame drives, and one for loop idle time.  Objects that something delegates to
(`yield from`, `await`) sit in the delegator's lane one row deeper; objects run inside
a task's coroutines without delegation sit in the task's lane below their driver.
"""
from __future__ import annotations

import json
import struct
from array import array

from ..analysis.timeline import Timeline, timeline_of
from ..events import FRAME_TRANSITIONS, KINDS, OBJECT_KINDS, STATES
from ..trace import Trace

VERSION = 1
_TYPECODES = {"u8": "B", "u16": "H", "u32": "I", "i32": "i"}


def _typed(typecode: str, values) -> array:
    out = array(typecode, values)
    if out.itemsize != struct.calcsize(typecode):  # pragma: no cover - exotic platforms
        raise RuntimeError(f"array typecode {typecode!r} is not {struct.calcsize(typecode)} bytes")
    return out


def encode(trace: Trace, timeline: Timeline | None = None) -> tuple[dict, bytes]:
    """(header, buffer) for the widget; see the module docstring for the layout."""
    tl = timeline if timeline is not None else timeline_of(trace)
    n = len(tl.t)
    duration = max(trace.duration, tl.t[-1] if n else 0, tl.idle[-1][1] if tl.idle else 0)
    tick = max(1, -(-duration // 0xFFFFFFFF))  # ceil: the longest time fits in u32
    obj_code = "u16" if len(trace.objects) <= 0xFFFF else "u32"
    arrays = {
        "t": ("u32", (x // tick for x in tl.t)),
        "obj": (obj_code, tl.obj),
        "kind": ("u8", tl.kind),
        "partner": ("i32", tl.partner),
        "await_event": ("u32", tl.await_event),
        "await_target": ("u32", tl.await_target),
        "idle": ("u32", (x // tick for pair in tl.idle for x in pair)),
    }
    chunks: list[bytes] = []
    layout = {}
    offset = 0
    for name, (code, values) in arrays.items():
        data = _typed(_TYPECODES[code], values)
        if data.itemsize > 1 and struct.pack("=H", 1) != struct.pack("<H", 1):
            data.byteswap()  # the payload is little-endian everywhere
        pad = -offset % 4  # typed-array views need aligned offsets
        chunks.append(b"\0" * pad)
        offset += pad
        layout[name] = [offset, len(data), code]
        raw = data.tobytes()
        chunks.append(raw)
        offset += len(raw)
    files = sorted({o.filename for o in trace.objects if o.filename})
    file_index = {f: i for i, f in enumerate(files)}
    header = {
        "version": VERSION,
        "n_events": n,
        "duration_ns": duration,
        "tick_ns": tick,
        "truncated": trace.truncated,
        "dropped": trace.dropped,
        "python": trace.meta.get("python"),
        "backend": trace.meta.get("backend"),
        "kinds": list(KINDS),
        "states": {kind: target for kind, (_src, target) in FRAME_TRANSITIONS.items()},
        # columns, not one JSON object per row: ten thousand tasks would otherwise cost
        # more header than all their events
        "lanes": _columns(tl.lanes, ("label", "kind", "rows", "object"),
                          lambda lane: (lane.label, lane.kind, lane.rows, lane.object)),
        "object_kinds": list(OBJECT_KINDS),
        "state_names": list(STATES),
        "files": files,
        "objects": {
            "label": [o.label for o in trace.objects],
            "kind": [OBJECT_KINDS.index(o.kind) for o in trace.objects],
            "lane": list(tl.lane_of),
            "depth": list(tl.depth_of),
            "parent": [o.parent for o in trace.objects],
            "state": [STATES.index(o.state) for o in trace.objects],
            "file": [file_index.get(o.filename) for o in trace.objects],
            "line": [o.firstlineno for o in trace.objects],
        },
        "spawns": tl.spawns,
        "arrays": layout,
    }
    return header, b"".join(chunks)


def _columns(rows, names, values) -> dict:
    out = {name: [] for name in names}
    for row in rows:
        for name, value in zip(names, values(row)):
            out[name].append(value)
    return out


def header_json(header: dict) -> str:
    return json.dumps(header, separators=(",", ":"))
