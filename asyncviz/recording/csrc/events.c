/* The transitions into running: a start, a resume, an exception thrown in; and the
 * decisions about code (recorded, watched stdlib code, or neither).  Both hooks
 * (monitor.c, tracehook.c) call these with the frame and its code: an object is known by
 * its frame (one frame object lives as long as its generator) and by itself.  They mirror
 * recording/pycore.py; the recording suite runs against both and compares the records. */
#include "native.h"

static int is_exc(PyObject *exc, PyObject *type)
{
    return exc != NULL && PyObject_TypeCheck(exc, (PyTypeObject *)type);
}

int core_decide(Core *c, CodeInfo *ci, PyObject *code, PyObject *frame)
{
    PyObject *r = PyObject_CallFunctionObjArgs(c->decide, code, frame ? frame : Py_None, NULL);
    if (r == NULL) {
        core_report(c, "deciding about code");
        return D_OUT;
    }
    long d = PyLong_AsLong(r);
    Py_DECREF(r);
    if (PyErr_Occurred()) {
        PyErr_Clear();
        d = D_OUT;
    }
    if (core_keep_code(c, ci, code) < 0)
        PyErr_Clear();
    ci->epoch = c->epoch;
    ci->decision = (int8_t)d;
    return (int)d;
}

int ev_special_decision(Core *c, PyObject *code)
{
    if (!(c->special_bloom & special_bit(code)))
        return D_OUT;
    for (int i = 0; i < c->n_special; i++)
        if (c->special_codes[i] == code)
            return c->special_decisions[i];
    return D_OUT;
}

/* a local variable of a running frame (new reference; NULL, maybe with an exception) */
PyObject *ev_frame_var(PyObject *frame, const char *name)
{
    if (frame == NULL)
        return NULL;
#if PY_VERSION_HEX >= 0x030C0000
    PyObject *key = PyUnicode_InternFromString(name);
    PyObject *v = key ? PyFrame_GetVar((PyFrameObject *)frame, key) : NULL;
    Py_XDECREF(key);
    return v;
#else
    PyObject *locals = PyObject_GetAttrString(frame, "f_locals");
    PyObject *v = locals ? PyMapping_GetItemString(locals, name) : NULL;
    Py_XDECREF(locals);
    return v;
#endif
}

/* the argument the asyncio watch reads when watched stdlib code starts */
static PyObject *watched_arg(int decision, PyObject *frame)
{
    const char *name = decision == D_CREATE_TASK ? "coro" : decision == D_SELECT ? "timeout"
                       : decision == D_UNAWAITED ? "coro" : decision == D_TASK_NAME ? "task" : NULL;
    return name == NULL ? NULL : ev_frame_var(frame, name);
}

void ev_special_start(Core *c, int decision, PyObject *frame)
{
    if (decision == D_WAITS)
        return; /* only their returns name a future */
    PyObject *arg = watched_arg(decision, frame);
    if (arg == NULL) {
        PyErr_Clear();
        ev_special(c, decision, W_START, frame, NULL);
        return;
    }
    if (decision == D_CREATE_TASK && tk_create_start(c, frame, arg)) {
        Py_DECREF(arg);
        return;
    }
    PyObject *r = PyObject_CallFunction(c->special_event, "iiOO", decision, W_START, frame, arg);
    if (r == NULL)
        core_report(c, "asyncio hook");
    Py_XDECREF(r);
    Py_DECREF(arg);
}

void ev_special(Core *c, int decision, int event, PyObject *frame, PyObject *value)
{
    if (decision == D_CREATE_TASK && tk_create_end(c, event, value))
        return;
    if (event == W_RETURN && decision == D_TASK_NAME) {
        PyObject *task = watched_arg(decision, frame);
        if (task == NULL)
            PyErr_Clear();
        else {
            PyObject *r = PyObject_CallFunction(c->special_event, "iiOO", decision, event,
                                                frame, task);
            if (r == NULL)
                core_report(c, "asyncio hook");
            Py_XDECREF(r);
            Py_DECREF(task);
            return;
        }
    }
    PyObject *r = PyObject_CallFunction(c->special_event, "iiOO", decision, event,
                                        frame ? frame : Py_None, value ? value : Py_None);
    if (r == NULL)
        core_report(c, "asyncio hook");
    Py_XDECREF(r);
}

static int32_t first_sight(Core *c, PyObject *frame, PyObject *code, int initial, int dying)
{
    PyObject *gen = PyFrame_GetGenerator((PyFrameObject *)frame);
    PyObject *r = PyObject_CallFunction(c->first_sight, "OOOii", frame, gen ? gen : Py_None,
                                        code, initial, dying);
    Py_XDECREF(gen);
    if (r == NULL) {
        core_report(c, "first sight");
        return -1;
    }
    long oid = PyLong_AsLong(r);
    Py_DECREF(r);
    if (oid < 0 || oid >= c->n_objs) {
        PyErr_Clear();
        return -1;
    }
    return (int32_t)oid;
}

void ev_start(Core *c, PyObject *frame, PyObject *code, CodeInfo *ci, int offset)
{
    int32_t oid = object_of_frame(c, frame);
    if (oid < 0 || c->objs[oid].state != S_CREATED) {
        oid = first_sight(c, frame, code, S_CREATED, 0);
        if (oid < 0)
            return;
        if (c->objs[oid].merged && c->objs[oid].state == S_RUNNING) {
            core_push(c, oid); /* a cell's next statement: the cell runs on */
            return;
        }
    }
    int32_t line = codeinfo_line(ci, code, offset);
    if (line == 0)
        line = ci->firstlineno;
    int64_t t = core_now(c);
    int64_t at = core_emit(c, t, oid, K_START, NO_VALUE, line, NO_TARGET);
    ObjState *o = &c->objs[oid];
    o->resume_at = at;
    o->began = t;
    o->state = S_RUNNING;
    o->line = line;
    c->pending_key = NULL;
    c->just_died = NULL;
    core_push(c, oid);
}

void ev_resume(Core *c, PyObject *frame, PyObject *code, CodeInfo *ci, int offset)
{
    ev_resume_of(c, object_of_frame(c, frame), frame, code, ci, offset);
}

void ev_resume_of(Core *c, int32_t oid, PyObject *frame, PyObject *code, CodeInfo *ci,
                  int offset)
{
    if (oid < 0 || c->objs[oid].state == S_CLOSED || c->objs[oid].state == S_CREATED) {
        oid = first_sight(c, frame, code, S_SUSPENDED, 0);
        if (oid < 0)
            return;
    }
    else if (c->objs[oid].state == S_RUNNING) {
        return; /* a resume we missed the suspension of; keep the record legal */
    }
    ObjState *o = &c->objs[oid];
    int32_t line = o->line ? o->line : codeinfo_line(ci, code, offset);
    int64_t t = core_now(c);
    int64_t at = core_emit(c, t, oid, K_RESUME, NO_VALUE, line, NO_TARGET);
    o = &c->objs[oid];
    o->resume_at = at;
    o->began = t;
    o->state = S_RUNNING;
    c->pending_key = NULL;
    c->just_died = NULL;
    core_push(c, oid);
}

/* a CancelledError about to be thrown into a task's coroutine chain: the asyncio watch
 * records a `cancel` now if no request explains it (1: it did) */
static int cancel_check(Core *c, int32_t oid, PyObject *exc, int64_t t)
{
    int32_t task = c->objs[oid].task;
    if (task < 0 || c->objs[task].kind != O_TASK)
        return 0;
    const char *name = Py_TYPE(exc)->tp_name;
    const char *dot = strrchr(name, '.');
    if (strcmp(dot ? dot + 1 : name, "CancelledError") != 0)
        return 0;
    PyObject *r = PyObject_CallFunction(c->cancel_reached, "iOL", task, exc, (long long)t);
    if (r == NULL) {
        core_report(c, "a cancellation");
        return 0;
    }
    int recorded = r == Py_True;
    Py_DECREF(r);
    return recorded;
}

int ev_names_cancel(PyObject *code)
{
    static PyObject *cancel = NULL;
    if (cancel == NULL && (cancel = PyUnicode_InternFromString("cancel")) == NULL) {
        PyErr_Clear();
        return 0;
    }
    PyObject *names = ((PyCodeObject *)code)->co_names;
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(names); i++) {
        PyObject *s = PyTuple_GET_ITEM(names, i);
        if (s == cancel || (PyUnicode_GET_LENGTH(s) == 6 && PyUnicode_Compare(s, cancel) == 0))
            return 1;
    }
    return 0;
}

void ev_watch_calls(Core *c, PyObject *code, PyObject *frame)
{
    if (c->watch_calls == NULL || c->watch_calls == Py_None || !ev_names_cancel(code))
        return;
    PyObject *r = PyObject_CallFunctionObjArgs(c->watch_calls, code,
                                               frame ? frame : Py_None, NULL);
    if (r == NULL)
        core_report(c, "watching calls");
    Py_XDECREF(r);
}

void ev_throw(Core *c, PyObject *frame, PyObject *code, CodeInfo *ci, PyObject *exc,
              int64_t t, int32_t line)
{
    if (t < 0)
        t = core_now(c);
    int32_t oid = object_of_frame(c, frame);
    int exiting = is_exc(exc, PyExc_GeneratorExit);
    int lasti = PyFrame_GetLasti((PyFrameObject *)frame);
    if (oid < 0 || c->objs[oid].state == S_CLOSED) {
        if (exiting && frame == c->just_died) {
            c->just_died = NULL;
            return; /* its finaliser closing it: the close its collection recorded */
        }
        /* a frame not seen before, or one that reuses a dead one's address */
        oid = first_sight(c, frame, code, lasti <= ci->start ? S_CREATED : S_SUSPENDED, exiting);
        if (oid < 0)
            return;
    }
    else if (c->objs[oid].state == S_RUNNING) {
        return;
    }
    c->just_died = NULL;
    if (line == 0)
        line = c->objs[oid].line;
    if (Py_IS_TYPE(exc, (PyTypeObject *)PyExc_StopIteration) && codeinfo_in_send(ci, lasti)) {
        /* the iterator this frame delegates to finished on the throw path; CPython hands
         * its return value back by throwing StopIteration: a resume, really */
        uint32_t v = core_value(c, ((PyStopIterationObject *)exc)->value);
        int64_t at = core_emit(c, t, oid, K_RESUME, v, line, NO_TARGET);
        ObjState *o = &c->objs[oid];
        o->resume_at = at;
        o->began = t;
        o->state = S_RUNNING;
        c->pending_key = NULL;
        core_push(c, oid);
        return;
    }
    if (exiting) {
        core_emit(c, t, oid, K_CLOSE, NO_VALUE, line, NO_TARGET);
        c->objs[oid].state = S_CLOSED;
        return;
    }
    cancel_check(c, oid, exc, t); /* a cancel no request explains comes before its throw */
    uint32_t v = core_value(c, exc);
    int64_t at = core_emit(c, t, oid, K_THROW, v, line, NO_TARGET);
    ObjState *o = &c->objs[oid];
    o->resume_at = at;
    o->began = t;
    o->state = S_RUNNING;
    c->pending_key = NULL;
    core_push(c, oid);
}

void ev_retype_as_throw(Core *c, PyObject *frame, PyObject *exc)
{
    int32_t oid = object_of_frame(c, frame);
    if (oid < 0)
        return;
    ObjState *o = &c->objs[oid];
    if (o->state != S_RUNNING || o->resume_at < 0)
        return;
    Record *r = &c->buf->rec[o->resume_at];
    if ((r->line_kind & 0xFF) != K_RESUME)
        return;
    if (is_exc(exc, PyExc_GeneratorExit)) {
        r->line_kind = (r->line_kind & ~0xFFu) | K_CLOSE;
        r->value = NO_VALUE;
        o->state = S_CLOSED;
        core_pop(c, oid);
        return;
    }
    int64_t t = r->t;
    int64_t at = o->resume_at;
    if (cancel_check(c, oid, exc, t) && at == c->buf->n - 2) {
        /* the cancel it just recorded goes before the throw, as on every other path */
        Record resumed = c->buf->rec[at];
        c->buf->rec[at] = c->buf->rec[at + 1];
        c->buf->rec[at + 1] = resumed;
        c->objs[oid].resume_at = ++at;
    }
    uint32_t v = core_value(c, exc);
    r = &c->buf->rec[c->objs[oid].resume_at];
    r->line_kind = (r->line_kind & ~0xFFu) | K_THROW;
    r->value = v;
}
