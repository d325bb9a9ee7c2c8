/* The transitions: what each interpreter report does to an object's state and record.
 * Both hooks (monitor.c, tracehook.c) call these, with the frame and its code: an object
 * is known by its frame (one frame object lives as long as its generator) and by itself.  They mirror recording/pycore.py line for line; the recording suite runs
 * against both and compares the records. */
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
    for (int i = 0; i < c->n_special; i++)
        if (c->special_codes[i] == code)
            return c->special_decisions[i];
    return D_OUT;
}

/* the argument the asyncio watch reads when watched stdlib code starts */
static PyObject *watched_arg(int decision, PyObject *frame)
{
    const char *name = decision == D_CREATE_TASK ? "coro" : decision == D_SELECT ? "timeout"
                       : decision == D_UNAWAITED ? "coro" : decision == D_TASK_NAME ? "task" : NULL;
    if (name == NULL || frame == NULL)
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

void ev_special_start(Core *c, int decision, PyObject *frame)
{
    PyObject *arg = watched_arg(decision, frame);
    if (arg == NULL) {
        PyErr_Clear();
        ev_special(c, decision, W_START, frame, NULL);
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

/* the object a running frame belongs to (frames and objects are both keys of the map) */
static inline int32_t known(Core *c, PyObject *frame)
{
    int32_t oid = ptrmap_get(&c->map, frame, -1);
    return (oid & ROOT_FLAG) ? -1 : oid;
}

/* the object running `frame` when it is the innermost one running: no lookup at all */
static inline int32_t running_as(Core *c, PyObject *frame)
{
    if (c->n_stack) {
        int32_t top = c->stack[c->n_stack - 1];
        if (c->objs[top].frame == frame)
            return top;
    }
    return known(c, frame);
}

void ev_start(Core *c, PyObject *frame, PyObject *code, CodeInfo *ci, int offset)
{
    int32_t oid = known(c, frame);
    if (oid < 0 || c->objs[oid].state != S_CREATED) {
        oid = first_sight(c, frame, code, S_CREATED, 0);
        if (oid < 0)
            return;
    }
    int32_t line = codeinfo_line(ci, code, offset);
    if (line == 0)
        line = ci->firstlineno;
    int64_t at = core_emit(c, core_now(c), oid, K_START, NO_VALUE, line, NO_TARGET);
    ObjState *o = &c->objs[oid];
    o->resume_at = at;
    o->state = S_RUNNING;
    o->line = line;
    c->pending_key = NULL;
    c->just_died = NULL;
    core_push(c, oid);
}

void ev_resume(Core *c, PyObject *frame, PyObject *code, CodeInfo *ci, int offset)
{
    ev_resume_of(c, known(c, frame), frame, code, ci, offset);
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
    int64_t at = core_emit(c, core_now(c), oid, K_RESUME, NO_VALUE, line, NO_TARGET);
    o = &c->objs[oid];
    o->resume_at = at;
    o->state = S_RUNNING;
    c->pending_key = NULL;
    c->just_died = NULL;
    core_push(c, oid);
}

static void cancel_check(Core *c, int32_t oid, PyObject *exc, int64_t t)
{
    int32_t task = c->objs[oid].task;
    if (task < 0)
        return;
    const char *name = Py_TYPE(exc)->tp_name;
    const char *dot = strrchr(name, '.');
    if (strcmp(dot ? dot + 1 : name, "CancelledError") != 0)
        return;
    PyObject *r = PyObject_CallFunction(c->cancel_reached, "iOL", task, exc, (long long)t);
    if (r == NULL)
        core_report(c, "a cancellation");
    Py_XDECREF(r);
}

void ev_throw(Core *c, PyObject *frame, PyObject *code, CodeInfo *ci, PyObject *exc,
              int64_t t, int32_t line)
{
    if (t < 0)
        t = core_now(c);
    int32_t oid = known(c, frame);
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
    uint32_t v = core_value(c, exc);
    int64_t at = core_emit(c, t, oid, K_THROW, v, line, NO_TARGET);
    ObjState *o = &c->objs[oid];
    o->resume_at = at;
    o->state = S_RUNNING;
    c->pending_key = NULL;
    core_push(c, oid);
    cancel_check(c, oid, exc, t);
}

void ev_retype_as_throw(Core *c, PyObject *frame, PyObject *exc)
{
    int32_t oid = known(c, frame);
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
    uint32_t v = core_value(c, exc);
    r = &c->buf->rec[c->objs[oid].resume_at];
    r->line_kind = (r->line_kind & ~0xFFu) | K_THROW;
    r->value = v;
    cancel_check(c, oid, exc, t);
}

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

static int32_t target_of(Core *c, PyObject *value)
{
    if (value == NULL || value == Py_None)
        return NO_TARGET;
    int32_t oid = core_lookup(c, value);
    if (oid >= 0)
        return oid;
    PyObject *r = PyObject_CallOneArg(c->target, value);
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

int32_t ev_running(Core *c, PyObject *frame)
{
    return running_as(c, frame);
}

int32_t ev_known(Core *c, PyObject *frame)
{
    return known(c, frame);
}

void ev_yield(Core *c, PyObject *frame, PyObject *code, CodeInfo *ci, int offset,
              PyObject *value)
{
    ev_yield_of(c, running_as(c, frame), frame, code, ci, offset, value);
}

void ev_yield_of(Core *c, int32_t oid, PyObject *frame, PyObject *code, CodeInfo *ci,
                 int offset, PyObject *value)
{
    if (oid < 0 || c->objs[oid].state != S_RUNNING)
        return;
    int32_t line = codeinfo_line(ci, code, offset);
    int kind;
    int32_t target;
    if (codeinfo_delegating(ci, offset)) {
        kind = K_AWAIT;
        if (c->pending_key != NULL && c->pending_key == frame)
            target = c->pending_oid;
        else
            target = target_of(c, value);
    }
    else {
        kind = K_YIELD;
        target = NO_TARGET;
        if (c->objs[oid].kind == O_ASYNC_GENERATOR)
            value = unwrap_async(value);
    }
    /* an inner frame of a `yield from` / `await` chain: the frame it delegates to yields
     * next, and waits on this one.  The frame that resumed this one, if recorded, is the
     * object below it on the running stack. */
    c->pending_key = NULL;
    PyFrameObject *back = PyFrame_GetBack((PyFrameObject *)frame);
    if (back != NULL) {
        int32_t boid = -1;
        Py_ssize_t n = c->n_stack;
        if (n >= 2 && c->stack[n - 1] == oid && c->objs[c->stack[n - 2]].frame == (PyObject *)back)
            boid = c->stack[n - 2];
        else
            boid = known(c, (PyObject *)back);
        if (boid >= 0 && c->objs[boid].info != NULL
            && codeinfo_in_send(c->objs[boid].info, PyFrame_GetLasti(back))) {
            c->pending_key = (PyObject *)back;
            c->pending_oid = oid;
        }
        Py_DECREF(back);
    }
    if (c->used < c->budget && (c->buf->n < c->buf->committed
                                || recordbuffer_ensure(c->buf, c->buf->n + 1) == 0)) {
        c->used++;
        uint32_t v = core_value(c, value);
        RecordBuffer *b = c->buf;
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
    else {
        core_drop(c);
    }
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
    int32_t oid = running_as(c, (PyObject *)frame);
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
