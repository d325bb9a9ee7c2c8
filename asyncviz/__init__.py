"""asyncviz: see Python's cooperative multitasking.

Importing this package is cheap: it pulls in no IPython, anywidget or matplotlib.
"""
__version__ = "0.1.0"
