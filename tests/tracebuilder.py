"""Hand-made traces for tests: objects, events and values as a recorder would leave them.

    b = TraceBuilder()
    g = b.obj("generator", "g#1", firstlineno=2)
    b.ev(0, g, "start", line=2).ev(10, g, "yield", value="1", line=3)
    trace = b.build(duration=20)

`record()` packs one raw record, for tests that build broken buffers on purpose.
"""

from __future__ import annotations

from asyncviz.events import KIND_CODE
from asyncviz.trace import (
    INLINE_BIAS,
    INLINE_INT,
    INLINE_MAX,
    INLINE_MIN,
    NO_TARGET,
    NO_VALUE,
    RECORD,
    Trace,
    Traced,
)


def record(
    t: int, obj: int, kind: str | int, value: int = NO_VALUE, line: int = 0, target: int = NO_TARGET
) -> bytes:
    """One record, packed as trace.RECORD lays it out (kind by name or code)."""
    code = KIND_CODE[kind] if isinstance(kind, str) else kind
    return RECORD.pack(t, obj, target, value, line << 8 | code)


class TraceBuilder:
    def __init__(self):
        self.objects: list[Traced] = []
        self.records: list[bytes] = []
        self.strings: list[str] = []
        self._index: dict[str, int] = {}

    def obj(self, kind: str, label: str, name: str | None = None, **fields) -> int:
        """A traced object; its id.  `fields`: any other Traced field (state, parent, ...)."""
        oid = len(self.objects)
        self.objects.append(Traced(oid, kind, name or label.split("#")[0], label, **fields))
        return oid

    def string(self, text: str) -> int:
        i = self._index.get(text)
        if i is None:
            i = self._index[text] = len(self.strings)
            self.strings.append(text)
        return i

    def value(self, value) -> int:
        """The value field: None (no value), a small int (inline) or a description."""
        if value is None:
            return NO_VALUE
        if type(value) is int and INLINE_MIN <= value <= INLINE_MAX:
            return INLINE_INT | (value + INLINE_BIAS)
        return self.string(str(value))

    def ev(
        self, t: int, obj: int, kind: str, value=None, line: int = 0, target: int = NO_TARGET
    ) -> "TraceBuilder":
        self.records.append(record(t, obj, kind, self.value(value), line, target))
        return self

    def build(
        self, duration: int | None = None, dropped: int = 0, idle=(), meta=None, sources=None
    ) -> Trace:
        last = RECORD.unpack(self.records[-1])[0] if self.records else 0
        info = {
            "duration_ns": last if duration is None else duration,
            "python": "3.x",
            "backend": "native",
            "max_events": 1_000_000,
        }
        info.update(meta or {})
        return Trace(
            buffer=b"".join(self.records),
            strings=list(self.strings),
            objects=self.objects,
            idle=list(idle),
            dropped=dropped,
            meta=info,
            sources=dict(sources or {}),
        )
