"""The Python core's state of one traced object (pycore.py; the C core's is ObjState in
csrc/native.h)."""

from __future__ import annotations

import weakref


class ObjState:
    """Recording state of one traced instance (a generator, coroutine, async generator,
    task or future), by its id in the trace."""

    __slots__ = (
        "oid",
        "kind",
        "state",
        "resume_at",
        "began",
        "task",
        "line",
        "key",
        "ref",
        "info",
        "root_of",
        "root_key",
        "root_ref",
        "merged",
        "part",
        "__weakref__",
    )

    def __init__(self, oid: int, kind: int, state: int, task: int, line: int, info):
        self.oid = oid
        self.kind = kind
        self.state = state
        self.resume_at = -1  # record offset of the last start/resume (sent values patch it)
        self.began = -1  # time of its last start/resume/throw (the watchdog asks)
        self.task = task  # id of the task whose coroutine chain this belongs to
        self.line = line  # line of the last suspension point
        self.key: int | None = None  # id() of its frame, while it is known by it
        self.ref: weakref.ref | None = None  # weak reference to the object
        self.info = info  # CodeInfo of its code
        self.root_of = -1  # the task whose coroutine this is: it ends with it
        self.root_key: int | None = None  # a task: id() of its unrecorded coroutine
        self.root_ref: weakref.ref | None = None
        self.merged = False  # a cell: its statements' coroutines are its parts (merge)
        self.part: int | None = None  # id() of the part running, for a merged object
