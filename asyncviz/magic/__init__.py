"""``%%asynctrace``: run a cell exactly as without the magic, and record it.

The only part of asyncviz that imports IPython itself (the widgets get it through
ipywidgets).  Its modules, in the order a traced cell meets them:

- :mod:`.extension`  ``%load_ext asyncviz``: what is installed in the shell, and taken out
- :mod:`.options`    the ``%%asynctrace`` line: the options, their help, one-line errors
- :mod:`.transform`  the input and AST transformers: the line becomes a call, the cell
                     begin, body, end as top-level statements (a body that awaits runs
                     on the kernel's own loop; IPython issue #11314)
- :mod:`.cell`       one traced cell's lifecycle: begin, end, or failing (the partial
                     trace, then the exception)
- :mod:`.nest`       ``asyncio.run()`` in a cell: nest_asyncio2 on the kernel's loop
- :mod:`.thread`     ``--thread``: the body on a fresh loop in a worker thread
- :mod:`.display`    the finished trace: the view shown, ``--save``, the export directory
"""

from __future__ import annotations

from .extension import load_ipython_extension, unload_ipython_extension
from .options import AsyncTraceMagics

__all__ = ["AsyncTraceMagics", "load_ipython_extension", "unload_ipython_extension"]
