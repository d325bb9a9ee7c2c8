"""Every entry of the private-fields table for faults, on this Python, on asyncio's C and
Python futures and tasks: a rename in CPython fails here, not silently in a diagnosis.
Reading never retrieves: asyncio still reports what the program left unretrieved."""

from __future__ import annotations

import asyncio
import gc
import inspect
import sys

import pytest

from asyncviz.recording import fault_fields
from asyncviz.recording.fault_fields import Code, Field, read

VERSION = sys.version_info[:2]
TASKS = [asyncio.Task, asyncio.tasks._PyTask]  # the C task, and the one nest_asyncio uses
FUTURES = [asyncio.Future, asyncio.futures._PyFuture]


def test_this_python_has_a_table_of_its_own():
    assert VERSION in fault_fields.TABLES, f"add a table for {VERSION} (and test it)"
    assert fault_fields.FIELDS is fault_fields.TABLES[VERSION]


def test_a_newer_python_uses_the_last_table():
    assert fault_fields.table((9, 99)) is fault_fields.TABLES[max(fault_fields.TABLES)]


@pytest.mark.parametrize("key", sorted(fault_fields.FIELDS))
def test_every_entry_names_what_exists(key):
    entry = fault_fields.FIELDS[key]
    if isinstance(entry, Field):
        cls = getattr(sys.modules[entry.module], entry.owner)
        assert any(entry.name in vars(k) for k in cls.__mro__), (cls, entry.name)
    else:
        assert isinstance(entry, Code)
        code = fault_fields.code_of(key)
        assert code is not None and code.co_qualname == entry.qualname
        assert set(entry.names) <= set(code.co_varnames)


async def raises():
    raise ValueError("x")


def finished_task(cls):
    loop = asyncio.new_event_loop()
    try:
        task = cls(raises(), loop=loop)
        loop.run_until_complete(asyncio.wait([task]))
        return task, loop
    except BaseException:
        loop.close()
        raise


@pytest.mark.parametrize("cls", TASKS, ids=["C", "Python"])
def test_a_task_exception_nobody_retrieved_is_read_without_retrieving_it(cls):
    task, loop = finished_task(cls)
    reports = []
    loop.set_exception_handler(lambda _loop, context: reports.append(context["message"]))
    try:
        for _ in range(2):  # reading twice changes nothing
            assert fault_fields.unretrieved(task) is True
            exc = read(task, "Future._exception")
            assert type(exc) is ValueError and exc.args == ("x",)
        del task, exc
        gc.collect()
        # still unretrieved: asyncio reports it when the task goes
        assert reports == ["Task exception was never retrieved"]
    finally:
        loop.close()


@pytest.mark.parametrize("cls", TASKS, ids=["C", "Python"])
def test_a_retrieved_exception_reads_as_retrieved(cls):
    task, loop = finished_task(cls)
    try:
        assert isinstance(task.exception(), ValueError)
        assert fault_fields.unretrieved(task) is False
    finally:
        loop.close()


@pytest.mark.parametrize("cls", FUTURES, ids=["C", "Python"])
def test_a_pending_future_has_nothing_to_retrieve(cls):
    loop = asyncio.new_event_loop()
    try:
        fut = cls(loop=loop)
        assert fault_fields.unretrieved(fut) is False
        assert read(fut, "Future._exception") is None
        fut.set_exception(ValueError("y"))
        assert fault_fields.unretrieved(fut) is True
        fut.exception()
        assert fault_fields.unretrieved(fut) is False
    finally:
        loop.close()


def test_a_property_of_the_programs_is_never_called():
    calls = []

    class Sneaky(asyncio.tasks._PyTask):
        @property
        def _log_traceback(self):
            calls.append("read")
            return True

        @_log_traceback.setter
        def _log_traceback(self, value):
            pass

    loop = asyncio.new_event_loop()
    try:
        task = Sneaky(raises(), loop=loop)
        loop.run_until_complete(asyncio.wait([task]))
        assert read(task, "Future._log_traceback", "unknown") == "unknown"
        assert fault_fields.unretrieved(task) is True  # the storage under it, as asyncio's
        assert calls == []
        task.exception()
    finally:
        loop.close()


def test_the_exception_handlers_context_is_read_from_its_frame():
    seen = {}
    code = fault_fields.code_of("call_exception_handler")

    def tracer(frame, event, arg):
        if event == "call" and frame.f_code is code:
            seen["context"] = fault_fields.local(frame, "call_exception_handler")
        return None

    loop = asyncio.new_event_loop()
    loop.set_exception_handler(lambda _loop, context: None)
    context = {"message": "m"}
    sys.settrace(tracer)
    try:
        loop.call_exception_handler(context)
    finally:
        sys.settrace(None)
        loop.close()
    assert seen["context"] is context
    assert inspect.getfullargspec(asyncio.BaseEventLoop.call_exception_handler).args == [
        "self",
        "context",
    ]
