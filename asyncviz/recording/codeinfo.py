"""What a code object's bytecode says about its suspension points, cached per code object.

Both backends see offsets: PY_YIELD's offset (3.12+) and `f_lasti` at a 'return' trace
event (3.11) both name the YIELD_VALUE instruction; the RESUME after it tells a plain
`yield` (1) from a `yield from` (2) or an `await` (3).
"""

from __future__ import annotations

import dis

_RESUME = dis.opmap["RESUME"]
_YIELD = dis.opmap["YIELD_VALUE"]
_SEND = dis.opmap["SEND"]
_CACHE = dis.opmap.get("CACHE", 0)
_RETURN_GENERATOR = dis.opmap.get("RETURN_GENERATOR", -1)
_RETURN_OPS = {dis.opmap[n] for n in ("RETURN_VALUE", "RETURN_CONST") if n in dis.opmap}


class CodeInfo:
    __slots__ = ("code", "lines", "code_bytes", "in_send", "start", "yields")

    def __init__(self, code):
        self.code = code  # kept alive: caches are keyed by id(code)
        raw = code.co_code
        self.code_bytes = raw
        lines = [None] * (len(raw) // 2)
        for i, (line, *_rest) in enumerate(code.co_positions()):
            if i < len(lines):
                lines[i] = line
        # co_positions gives one entry per code unit; fill gaps from the previous line
        last = code.co_firstlineno
        for i, line in enumerate(lines):
            if line is None:
                lines[i] = last
            else:
                last = line
        self.lines = lines
        # offsets (including inline caches) that belong to a SEND: the frame is delegating
        in_send = set()
        current = None
        for off in range(0, len(raw), 2):
            op = raw[off]
            if op != _CACHE:
                current = op
            if current == _SEND:
                in_send.add(off)
        self.in_send = frozenset(in_send)
        self.yields: dict[int, tuple[int, bool]] = {}  # offset -> (line, delegating)
        # the first RESUME: a frame whose f_lasti is at or before it has not started
        self.start = next((off for off in range(0, len(raw), 2) if raw[off] == _RESUME), 0)

    def line(self, offset: int) -> int:
        if offset < 0:
            return 0
        i = offset // 2
        return (self.lines[i] or 0) if i < len(self.lines) else 0

    def delegating(self, yield_offset: int) -> bool:
        """Is the YIELD_VALUE at `yield_offset` part of a `yield from` / `await`?"""
        raw = self.code_bytes
        off = yield_offset + 2
        while off < len(raw) and raw[off] == _CACHE:
            off += 2
        return off + 1 < len(raw) and raw[off] == _RESUME and (raw[off + 1] & 3) in (2, 3)

    def yield_site(self, offset: int) -> tuple[int, bool]:
        site = self.yields.get(offset)
        if site is None:
            site = self.yields[offset] = (self.line(offset), self.delegating(offset))
        return site

    def opcode(self, offset: int) -> int:
        return self.code_bytes[offset] if 0 <= offset < len(self.code_bytes) else -1

    def resume_arg(self, offset: int) -> int | None:
        raw = self.code_bytes
        if 0 <= offset < len(raw) and raw[offset] == _RESUME:
            return raw[offset + 1] & 3
        return None


def codeinfo(code, cache: dict) -> CodeInfo:
    """The facts of `code`, from `cache` (keyed by id(code): hashing a code object is slow;
    a CodeInfo keeps its code alive, so the id stays its own while the cache lives)."""
    info = cache.get(id(code))
    if info is None:
        info = cache[id(code)] = CodeInfo(code)
    return info


YIELD_VALUE = _YIELD
RETURN_GENERATOR = _RETURN_GENERATOR
RETURN_OPS = _RETURN_OPS
