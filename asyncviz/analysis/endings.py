"""How an object's end is said.

A function that falls off its end returns None from its last line that ran; a view that
printed that line ("return · line 4  await q.put(None)") would tell the reader a `return`
is written there.  `implicit_return` tells the two apart from the record alone (the
returned value and the source line), so that every view says "end of function" instead.
"""

from __future__ import annotations

import re

END_OF_FUNCTION = "end of function"

# `return` as a keyword: `return`, `return x`, `if done: return`; not `returned = 1`
_RETURN_WORD = re.compile(r"(?<![\w.])return(?!\w)")


def implicit_return(kind: str, value: str | None, source: str | None) -> bool:
    """Is this `return` event the function falling off its end?  `value` is the event's
    value text ("None", or None when values were not recorded), `source` its line's text
    (None when unknown: then it cannot be told, and is not claimed)."""
    if kind != "return" or source is None or value not in ("None", None):
        return False
    code = source.split("#", 1)[0]  # a comment that mentions return writes none
    return _RETURN_WORD.search(code) is None
