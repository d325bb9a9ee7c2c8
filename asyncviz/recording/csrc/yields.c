/* Suspensions and ends: a yield or an await (with what it waits on), a return, a raise, a
 * task's end with its coroutine's, and the value a resumed suspension point received (from
 * rewritten cell code).  They mirror recording/pycore.py. */
#include "native.h"

/* ---- yields ------------------------------------------------------------------------ */

static int capture(PyObject *obj, void *out)
{
    PyObject **slot = (PyObject **)out;
    if (*slot == NULL)
        *slot = obj;
    else
        *slot = (PyObject *)1; /* more than one: not the wrapper */
    return 0;
}

/* The value an async generator yielded: CPython wraps it in a private one-field object so
 * asend() can tell a yield from an await.  Recognised by identity where the interpreter
 * exports its type (3.11, 3.12), else by what only it can be; read through the type's own
 * traverse function, so no layout is assumed. */
static PyObject *unwrap_async(PyObject *v)
{
    PyTypeObject *t = Py_TYPE(v);
#if PY_VERSION_HEX < 0x030D0000
    if (t != &_PyAsyncGenWrappedValue_Type)
        return v;
#else
    static PyTypeObject *wrapper_type = NULL;
    if (t != wrapper_type) {
        if (wrapper_type != NULL || strcmp(t->tp_name, "async_generator_wrapped_value") != 0
            || (t->tp_flags & Py_TPFLAGS_HEAPTYPE) || !(t->tp_flags & Py_TPFLAGS_HAVE_GC)
            || t->tp_basicsize != (Py_ssize_t)(sizeof(PyObject) + sizeof(PyObject *))
            || t->tp_traverse == NULL)
            return v;
        wrapper_type = t;
    }
#endif
    PyObject *inside = NULL;
    if (t->tp_traverse == NULL || t->tp_traverse(v, capture, &inside) != 0 || inside == NULL
        || inside == (PyObject *)1)
        return v;
    return inside;
}

/* what an await in `frame` at `line` waits on: a known object, or the registry's answer
 * (a new future is named after the call that made it, read from the awaiting coroutine's
 * chain: hence the coroutine and the line; once per new future) */
static int32_t target_of(Core *c, PyObject *value, PyObject *frame, int32_t line)
{
    if (value == NULL || value == Py_None)
        return NO_TARGET;
    int32_t oid = core_lookup(c, value);
    if (oid >= 0)
        return oid;
    PyObject *gen = PyFrame_GetGenerator((PyFrameObject *)frame);
    PyObject *at = PyLong_FromLong(line);
    PyObject *r = NULL;
    if (at != NULL) {
        PyObject *args[3] = {value, gen != NULL ? gen : Py_None, at};
        r = PyObject_Vectorcall(c->target, args, 3, NULL);
    }
    Py_XDECREF(gen);
    Py_XDECREF(at);
    if (r == NULL) {
        core_report(c, "an awaited object");
        return NO_TARGET;
    }
    long t = PyLong_AsLong(r);
    Py_DECREF(r);
    if (PyErr_Occurred()) {
        PyErr_Clear();
        return NO_TARGET;
    }
    return (int32_t)t;
}

void ev_yield(Core *c, PyObject *frame, PyObject *code, CodeInfo *ci, int offset,
              PyObject *value)
{
    ev_yield_of(c, running_object(c, frame), frame, code, ci, offset, value);
}

/* an inner frame of a `yield from` / `await` chain: the frame it delegates to yields next,
 * and waits on this one.  The frame that resumed this one, if recorded, is the object below
 * it on the running stack. */
static void note_delegator(Core *c, int32_t oid, PyObject *frame)
{
    c->pending_key = NULL;
    PyFrameObject *back = PyFrame_GetBack((PyFrameObject *)frame);
    if (back == NULL)
        return;
    int32_t boid = -1;
    Py_ssize_t n = c->n_stack;
    if (n >= 2 && c->stack[n - 1] == oid && c->objs[c->stack[n - 2]].frame == (PyObject *)back) {
        boid = c->stack[n - 2];
    }
    else {
        /* only a generator's frame can be a recorded one (a task's step is not) */
        PyCodeObject *code = PyFrame_GetCode(back);
        if (code->co_flags & GEN_FLAGS)
            boid = object_of_frame(c, (PyObject *)back);
        Py_DECREF(code);
    }
    if (boid >= 0 && c->objs[boid].info != NULL
        && codeinfo_in_send(c->objs[boid].info, PyFrame_GetLasti(back))) {
        c->pending_key = (PyObject *)back;
        c->pending_oid = oid;
    }
    Py_DECREF(back);
}

/* the record of a yield or an await; its value is described after the budget allows it,
 * as the Python core does (the budget's accounting is the same on both) */
static void yield_record(Core *c, int32_t oid, int kind, PyObject *value, int32_t line,
                         int32_t target)
{
    RecordBuffer *b = c->buf;
    if (!(b->n < b->committed || recordbuffer_ensure(b, b->n + 1) == 0) || !core_take(c, 1))
        return;
    uint32_t v = core_value(c, value);
    int64_t t = core_now(c);
    if (t < c->last_t)
        t = c->last_t;
    else
        c->last_t = t;
    Record *r = &b->rec[b->n++];
    r->t = t;
    r->obj = (uint32_t)oid;
    r->target = target;
    r->value = v;
    r->line_kind = ((uint32_t)line << 8) | (uint32_t)kind;
}

void ev_yield_of(Core *c, int32_t oid, PyObject *frame, PyObject *code, CodeInfo *ci,
                 int offset, PyObject *value)
{
    if (oid < 0 || c->objs[oid].state != S_RUNNING)
        return;
    int32_t line = codeinfo_line(ci, code, offset);
    int kind = K_YIELD;
    int32_t target = NO_TARGET;
    if (codeinfo_delegating(ci, offset)) {
        kind = K_AWAIT;
        target = c->pending_key != NULL && c->pending_key == frame ? c->pending_oid
                                                                   : target_of(c, value, frame, line);
    }
    else if (c->objs[oid].kind == O_ASYNC_GENERATOR) {
        value = unwrap_async(value);
    }
    if (kind == K_YIELD && c->objs[oid].kind == O_ASYNC_GENERATOR)
        /* an async generator's value goes to its consumer (`async for` gets it from the
         * __anext__ it awaited, which ends): nothing waits on it through that frame */
        c->pending_key = NULL;
    else
        note_delegator(c, oid, frame);
    yield_record(c, oid, kind, value, line, target);
    ObjState *o = &c->objs[oid];
    o->state = S_SUSPENDED;
    o->line = line;
    core_pop(c, oid);
}

/* ---- ends ------------------------------------------------------------------------------ */

void ev_root_end(Core *c, PyObject *frame, int kind, PyObject *value, int has_described,
                 uint32_t described)
{
    int32_t tag = ptrmap_get(&c->map, frame, -1);
    if (tag < 0 || !(tag & ROOT_FLAG))
        return;
    uint32_t v = has_described ? described : core_value(c, value);
    core_end_task(c, tag & ~ROOT_FLAG, core_now(c), kind, v);
}

void ev_return(Core *c, PyObject *frame, PyObject *code, CodeInfo *ci, int offset,
               PyObject *value)
{
    int32_t oid = ptrmap_get(&c->map, frame, -1);
    if (oid < 0 || (oid & ROOT_FLAG)) {
        if (oid >= 0)
            ev_root_end(c, frame, K_RETURN, value, 0, 0);
        return;
    }
    if (c->objs[oid].state != S_RUNNING)
        return;
    if (c->objs[oid].merged) { /* a cell's statement ended: the cell runs on */
        core_part_done(c, oid);
        c->pending_key = NULL;
        core_pop(c, oid);
        return;
    }
    int64_t t = core_now(c);
    uint32_t v = core_value(c, value);
    core_emit(c, t, oid, K_RETURN, v, codeinfo_line(ci, code, offset), NO_TARGET);
    ObjState *o = &c->objs[oid];
    o->state = S_CLOSED;
    c->pending_key = NULL;
    core_pop(c, oid);
    if (o->root_of >= 0)
        core_end_task(c, o->root_of, t, K_RETURN, v);
}

int32_t traceback_line(PyObject *exc_or_tb, PyObject *frame, int is_tb)
{
    PyObject *tb = is_tb ? (Py_XINCREF(exc_or_tb), exc_or_tb)
                         : (exc_or_tb ? PyException_GetTraceback(exc_or_tb) : NULL);
    int32_t line = 0;
    while (tb != NULL && tb != Py_None) {
        PyTracebackObject *t = (PyTracebackObject *)tb;
        if ((PyObject *)t->tb_frame == frame) {
            PyObject *n = PyObject_GetAttrString(tb, "tb_lineno");
            if (n != NULL && n != Py_None) {
                long v = PyLong_AsLong(n);
                line = v > 0 ? (int32_t)v : 0;
            }
            Py_XDECREF(n);
            PyErr_Clear();
        }
        PyObject *next = (PyObject *)t->tb_next;
        Py_XINCREF(next);
        Py_DECREF(tb);
        tb = next;
    }
    Py_XDECREF(tb);
    return line;
}

void ev_unwind(Core *c, PyObject *frame, PyObject *code, CodeInfo *ci, int offset,
               PyObject *exc, int has_described, uint32_t described, int32_t line)
{
    int32_t oid = ptrmap_get(&c->map, frame, -1);
    if (oid < 0 || (oid & ROOT_FLAG)) {
        if (oid >= 0)
            ev_root_end(c, frame, K_RAISE, exc, has_described, described);
        return;
    }
    if (c->objs[oid].state != S_RUNNING)
        return;
    uint32_t v = has_described ? described : core_value(c, exc);
    int64_t t = core_now(c);
    if (line == 0 && exc != NULL)
        line = traceback_line(exc, frame, 0);
    if (line == 0)
        line = codeinfo_line(ci, code, offset);
    core_emit(c, t, oid, K_RAISE, v, line, NO_TARGET);
    ObjState *o = &c->objs[oid];
    o->state = S_CLOSED;
    c->pending_key = NULL;
    core_pop(c, oid);
    if (o->root_of >= 0)
        core_end_task(c, o->root_of, t, K_RAISE, v);
}

/* ---- hints from rewritten cell code ------------------------------------------------- */

PyObject *ev_sent(Core *c, PyObject *value)
{
    PyFrameObject *frame = PyEval_GetFrame();
    if (frame == NULL)
        return Py_NewRef(value);
    int32_t oid = running_object(c, (PyObject *)frame);
    if (oid < 0 || c->objs[oid].state != S_RUNNING)
        return Py_NewRef(value);
    int64_t at = c->objs[oid].resume_at;
    c->objs[oid].resume_at = -1;
    if (at >= 0 && c->values && (c->buf->rec[at].line_kind & 0xFF) == K_RESUME) {
        uint32_t v = core_value(c, value);
        c->buf->rec[at].value = v;
    }
    return Py_NewRef(value);
}
