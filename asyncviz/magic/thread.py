"""``--thread``: the cell's body on a fresh event loop in a worker thread.

Real C tasks, nothing patched; the kernel waits for the worker.  The recorder is started
in the worker (it records one thread), inside its loop when the body awaits, so that it
watches that loop.  An interrupt is passed on to the worker; a worker stuck in a blocking
C call cannot take it, and is then abandoned: its trace is bound when it finishes.
"""

from __future__ import annotations

import ast
import contextvars
import linecache
import signal
import threading

_CO_COROUTINE = 0x80
_GIVE_UP = 2.0  # seconds an interrupted worker gets to stop before it is abandoned


def run_in_thread(run, filename: str, globals_: dict, locals_, *, flags: int, bind):
    """Run `run`'s planned body with `globals_` and `locals_` (those of the cell's
    code, in `filename`) in a worker thread; return its last expression's value or raise
    what it raised.  `flags`: the shell's compiler flags; `bind(run, trace)` binds a
    trace that an abandoned worker finishes."""
    __tracebackhide__ = True  # noqa: F841 - read by IPython's traceback formatter
    if not linecache.getlines(filename):
        filename = f"<asynctrace-cell-{run.count}>"
    run.recorder.cell = filename  # the file its statements are compiled in
    body, last = _compile(run.plan, filename, flags)
    context = contextvars.copy_context()
    outcome: dict = {}
    done = threading.Event()

    def work():
        try:
            context.run(_work, run, body, last, globals_, locals_, outcome, bind)
        finally:
            done.set()

    run.worker = threading.Thread(target=work, name="asynctrace-cell", daemon=True)
    _wait_for(run, done)
    if "error" in outcome:
        exc = outcome.pop("error")
        raise exc.with_traceback(_user_part(exc.__traceback__, filename))
    return outcome.get("value")


def _compile(plan, filename: str, flags: int):
    flags = ast.PyCF_ALLOW_TOP_LEVEL_AWAIT | flags
    body = compile(
        ast.Module(body=plan.body, type_ignores=[]),
        filename,
        "exec",
        flags=flags,
        dont_inherit=True,
    )
    last = None
    if plan.last is not None:
        last = compile(
            ast.Expression(body=plan.last), filename, "eval", flags=flags, dont_inherit=True
        )
    return body, last


def _wait_for(run, done: threading.Event) -> None:
    """Start the worker and wait until it is done; an interrupt is passed on to it."""
    __tracebackhide__ = True  # noqa: F841
    handler = None
    main = threading.current_thread() is threading.main_thread()
    if main:
        # ipykernel turns SIGINT into a task cancellation while a cell that looks
        # async runs; the loop is blocked here, so take the signal ourselves.
        handler = signal.getsignal(signal.SIGINT)
        signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        run.worker.start()
        try:
            while not done.wait(0.05):
                pass
        except KeyboardInterrupt:
            _interrupt(run.worker)
            if not _wait(done, _GIVE_UP):
                run.abandoned = True
                raise
    finally:
        if main:
            signal.signal(signal.SIGINT, handler)


def _work(run, body, last, globals_, locals_, outcome: dict, bind) -> None:
    """In the worker thread: a fresh loop, a recorder of this thread, the cell."""
    __tracebackhide__ = True  # noqa: F841
    import asyncio

    recorder = run.recorder
    try:
        with asyncio.Runner() as runner:
            runner.get_loop()  # created and made this thread's current loop
            if body.co_flags & _CO_COROUTINE or (last and last.co_flags & _CO_COROUTINE):
                # top-level await: the recorder starts inside the loop, so it watches it
                outcome["value"] = runner.run(_amain(run, body, last, globals_, locals_))
            else:
                recorder.start()
                try:
                    exec(body, globals_, locals_)
                    outcome["value"] = eval(last, globals_, locals_) if last is not None else None
                finally:  # the cell never awaited: it has no end to record
                    run.trace = recorder.stop()
    except BaseException as exc:
        outcome["error"] = exc
    finally:
        if run.abandoned and run.trace is not None:
            bind(run, run.trace)


async def _amain(run, body, last, globals_, locals_):
    __tracebackhide__ = True  # noqa: F841
    run.recorder.start()
    try:
        value = await _body(body, last, globals_, locals_)
    except BaseException as exc:
        run.recorder.cell_ended(exc=exc)
        raise
    else:
        run.recorder.cell_ended(value)
        return value
    finally:
        run.trace = run.recorder.stop()


async def _body(body, last, globals_, locals_):
    """The cell's statements, then its last expression's value."""
    __tracebackhide__ = True  # noqa: F841
    result = eval(body, globals_, locals_)
    if body.co_flags & _CO_COROUTINE:
        await result
    if last is None:
        return None
    value = eval(last, globals_, locals_)
    if last.co_flags & _CO_COROUTINE:
        value = await value
    return value


def _interrupt(worker: threading.Thread) -> None:
    """Raise KeyboardInterrupt in the worker at its next bytecode (a blocking C call
    cannot be interrupted: the worker then runs on, abandoned)."""
    import ctypes

    if worker.ident is not None and worker.is_alive():
        ctypes.pythonapi.PyThreadState_SetAsyncExc(
            ctypes.c_ulong(worker.ident), ctypes.py_object(KeyboardInterrupt)
        )


def _wait(done: threading.Event, seconds: float) -> bool:
    try:
        return done.wait(seconds)
    except KeyboardInterrupt:  # a second interrupt: stop waiting
        return False


def _user_part(tb, filename: str):
    """The traceback from the first frame of the cell's own code on: the worker's
    machinery before it (the magic's, asyncio's) is noise.  All of it if the cell's
    code is not in it (an interrupt that landed in the event loop)."""
    t = tb
    while t is not None:
        if t.tb_frame.f_code.co_filename == filename:
            return t
        t = t.tb_next
    return tb
