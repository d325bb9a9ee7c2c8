/* The methods the registry and the asyncio watch call on the core (recording/protocol.py's
 * Core, which the Python core implements too), and the end of a recording. */
#include "native.h"

/* ---- the protocol ------------------------------------------------------------------ */

static int valid(Core *c, long oid)
{
    if (oid < 0 || oid >= c->n_objs) {
        PyErr_Format(PyExc_IndexError, "no traced object %ld", oid);
        return 0;
    }
    return 1;
}

static PyObject *m_now(Core *c, PyObject *unused)
{
    return PyLong_FromLongLong(core_now(c));
}

static PyObject *m_emit(Core *c, PyObject *args)
{
    long long t;
    int oid, kind, line = 0, target = NO_TARGET;
    unsigned int value = NO_VALUE;
    if (!PyArg_ParseTuple(args, "Lii|Iii", &t, &oid, &kind, &value, &line, &target))
        return NULL;
    return PyLong_FromLongLong(core_emit(c, t, oid, kind, value, line, target));
}

static PyObject *m_value(Core *c, PyObject *v)
{
    return PyLong_FromUnsignedLong(core_value(c, v));
}

static PyObject *m_intern(Core *c, PyObject *text)
{
    if (!PyUnicode_Check(text)) {
        PyErr_SetString(PyExc_TypeError, "intern() takes a str");
        return NULL;
    }
    int64_t i = core_intern(c, text);
    return i < 0 ? NULL : PyLong_FromLongLong(i); /* NO_VALUE when the budget is spent */
}

static PyObject *m_add(Core *c, PyObject *args)
{
    int kind, state, task, line, watch;
    PyObject *code, *obj, *frame = Py_None;
    if (!PyArg_ParseTuple(args, "iiiiOOp|O", &kind, &state, &task, &line, &code, &obj, &watch,
                          &frame))
        return NULL;
    int32_t oid = core_add(c, kind, state, task, line, code, obj, watch, frame);
    if (oid == -1)
        return NULL;
    return PyLong_FromLong(oid < 0 ? -1 : oid);
}

static PyObject *m_bind(Core *c, PyObject *args)
{
    int oid;
    PyObject *obj;
    if (!PyArg_ParseTuple(args, "iO", &oid, &obj) || !valid(c, oid))
        return NULL;
    ObjState *o = &c->objs[oid];
    o->key = obj;
    if (ptrmap_set(&c->map, obj, oid) < 0)
        return NULL;
    if (o->ref == NULL && !PyObject_GC_IsFinalized(obj)) {
        o->ref = PyWeakref_NewRef(obj, c->collect);
        if (o->ref == NULL)
            PyErr_Clear();
        else if (ptrmap_set(&c->refs, o->ref, oid) < 0)
            return NULL;
    }
    Py_RETURN_NONE;
}

static PyObject *m_set_value(Core *c, PyObject *args)
{
    long long at;
    unsigned int value;
    if (!PyArg_ParseTuple(args, "LI", &at, &value))
        return NULL;
    if (at >= 0 && at < c->buf->n)
        c->buf->rec[at].value = value;
    Py_RETURN_NONE;
}

static PyObject *m_merge(Core *c, PyObject *args)
{
    int oid;
    PyObject *frame, *gen, *code;
    if (!PyArg_ParseTuple(args, "iOOO", &oid, &frame, &gen, &code) || !valid(c, oid))
        return NULL;
    if (core_merge(c, oid, frame, gen, code) < 0)
        return NULL;
    Py_RETURN_NONE;
}

static PyObject *m_lookup(Core *c, PyObject *obj)
{
    return PyLong_FromLong(core_lookup(c, obj));
}

static PyObject *m_state(Core *c, PyObject *arg)
{
    long oid = PyLong_AsLong(arg);
    if ((oid == -1 && PyErr_Occurred()) || !valid(c, oid))
        return NULL;
    return PyLong_FromLong(c->objs[oid].state);
}

static PyObject *m_set_state(Core *c, PyObject *args)
{
    int oid, state;
    if (!PyArg_ParseTuple(args, "ii", &oid, &state) || !valid(c, oid))
        return NULL;
    c->objs[oid].state = (uint8_t)state;
    Py_RETURN_NONE;
}

static PyObject *m_task(Core *c, PyObject *arg)
{
    long oid = PyLong_AsLong(arg);
    if ((oid == -1 && PyErr_Occurred()) || !valid(c, oid))
        return NULL;
    return PyLong_FromLong(c->objs[oid].task);
}

static PyObject *m_link(Core *c, PyObject *args)
{
    int coro, task;
    if (!PyArg_ParseTuple(args, "ii", &coro, &task) || !valid(c, coro) || !valid(c, task))
        return NULL;
    ObjState *o = &c->objs[coro];
    if (o->root_of < 0)
        o->root_of = task;
    o->task = task;
    Py_RETURN_NONE;
}

/* its frame is known too: the events of an unrecorded coroutine name only its frame */
static void root_frame(Core *c, ObjState *o, int32_t task, PyObject *coro)
{
    PyObject *frame = PyObject_GetAttrString(coro, PyCoro_CheckExact(coro) ? "cr_frame"
                                                                             : "gi_frame");
    if (frame == NULL) {
        PyErr_Clear();
        return;
    }
    if (frame != Py_None && ptrmap_set(&c->map, frame, task | ROOT_FLAG) == 0)
        o->root_frame = frame; /* the coroutine keeps its frame alive */
    PyErr_Clear();
    Py_DECREF(frame);
}

/* the backend watches the end of that coroutine's code (3.12+: local PY_RETURN events) */
static int watch_end(Core *c, PyObject *coro)
{
    if (c->watch_end == NULL || c->watch_end == Py_None)
        return 0;
    PyObject *code = PyObject_GetAttrString(coro, "cr_code");
    if (code == NULL) {
        PyErr_Clear();
        code = PyObject_GetAttrString(coro, "gi_code");
    }
    if (code == NULL)
        return -1;
    PyObject *r = PyObject_CallOneArg(c->watch_end, code);
    Py_DECREF(code);
    Py_XDECREF(r);
    return r == NULL ? -1 : 0;
}

static PyObject *m_link_unrecorded(Core *c, PyObject *args)
{
    int task;
    PyObject *coro;
    if (!PyArg_ParseTuple(args, "iO", &task, &coro) || !valid(c, task))
        return NULL;
    ObjState *o = &c->objs[task];
    if (o->root_key != NULL || PyObject_GC_IsFinalized(coro))
        Py_RETURN_NONE;
    if (ptrmap_set(&c->map, coro, task | ROOT_FLAG) < 0)
        return NULL;
    o->root_key = coro;
    c->n_roots++;
    root_frame(c, o, task, coro);
    o->root_ref = PyWeakref_NewRef(coro, c->collect);
    if (o->root_ref == NULL)
        PyErr_Clear();
    else if (ptrmap_set(&c->refs, o->root_ref, task | ROOT_FLAG) < 0)
        return NULL;
    if (watch_end(c, coro) < 0)
        return NULL;
    Py_RETURN_NONE;
}

static PyObject *m_end_task(Core *c, PyObject *args)
{
    int task, kind;
    long long t;
    unsigned int value;
    if (!PyArg_ParseTuple(args, "iLiI", &task, &t, &kind, &value) || !valid(c, task))
        return NULL;
    core_end_task(c, task, t, kind, value);
    if (PyErr_Occurred())
        return NULL;
    Py_RETURN_NONE;
}

static PyObject *m_running(Core *c, PyObject *unused)
{
    return PyLong_FromLong(c->n_stack ? c->stack[c->n_stack - 1] : -1);
}

/* for the watchdog thread: what runs, since when, and when the record last grew (ints
 * only: it allocates nothing a garbage collection would count) */
static PyObject *m_running_since(Core *c, PyObject *unused)
{
    return PyLong_FromLongLong(c->n_stack ? c->objs[c->stack[c->n_stack - 1]].began : -1);
}

static PyObject *m_last_record_at(Core *c, PyObject *unused)
{
    return PyLong_FromLongLong(c->last_t);
}

static PyObject *frame_attr(PyObject *obj)
{
    static const char *names[] = {"gi_frame", "cr_frame", "ag_frame"};
    for (int i = 0; i < 3; i++) {
        PyObject *f = PyObject_GetAttrString(obj, names[i]);
        if (f != NULL)
            return f;
        PyErr_Clear();
    }
    return NULL;
}

/* the object whose end its collection just recorded, if `obj` is it: its finaliser runs
 * next and may report it (a coroutine never awaited) */
static PyObject *m_dying(Core *c, PyObject *obj)
{
    if (c->just_died == NULL)
        return PyLong_FromLong(-1);
    PyObject *frame = frame_attr(obj);
    int32_t oid = frame != NULL && frame == (PyObject *)c->just_died ? c->just_died_oid : -1;
    Py_XDECREF(frame);
    return PyLong_FromLong(oid);
}

static PyObject *m_sync(Core *c, PyObject *obj)
{
    int32_t oid = core_lookup(c, obj);
    if (oid < 0)
        Py_RETURN_NONE;
    if (c->objs[oid].state != S_CREATED && c->objs[oid].state != S_SUSPENDED)
        Py_RETURN_NONE;
    PyObject *frame = frame_attr(obj);
    if (frame == Py_None) { /* finished: closed without telling */
        core_emit(c, core_now(c), oid, K_CLOSE, NO_VALUE, c->objs[oid].line, NO_TARGET);
        c->objs[oid].state = S_CLOSED;
    }
    Py_XDECREF(frame);
    Py_RETURN_NONE;
}

static PyObject *m_alive(Core *c, PyObject *arg)
{
    long oid = PyLong_AsLong(arg);
    if ((oid == -1 && PyErr_Occurred()) || !valid(c, oid))
        return NULL;
    PyObject *obj = core_referent(c->objs[oid].ref);
    return Py_NewRef(obj ? obj : Py_None);
}

static PyObject *m_finish(Core *c, PyObject *unused)
{
    if (!c->active)
        Py_RETURN_NONE;
    c->active = 0;
    c->duration = core_now(c);
    double scale = avz_ns_per_tick();
    RecordBuffer *b = c->buf;
    if (scale != 1.0)
        for (Py_ssize_t i = 0; i < b->n; i++)
            b->rec[i].t = (int64_t)((double)b->rec[i].t * scale + 0.5);
    c->scale = scale;
    if (core_numbers_out(c) < 0)
        return NULL;
    core_clear_refs(c);
    ptrmap_free(&c->map);
    ptrmap_free(&c->refs);
    ptrmap_free(&c->aux);
    c->n_stack = 0;
    c->n_roots = 0;
    Py_CLEAR(c->collect); /* nothing of the program points back at the record now */
    if (avz_current == c)
        avz_current = NULL;
    Py_RETURN_NONE;
}

static PyObject *m_to_ns(Core *c, PyObject *arg)
{
    long long t = PyLong_AsLongLong(arg);
    if (t == -1 && PyErr_Occurred())
        return NULL;
    double scale = c->active ? avz_ns_per_tick() : c->scale;
    return PyLong_FromLongLong((long long)((double)t * scale + 0.5));
}

static PyObject *m_records(Core *c, PyObject *unused)
{
    return PyMemoryView_FromObject((PyObject *)c->buf);
}

static PyObject *m_collected(Core *c, PyObject *ref)
{
    PyObject *r = core_collected(c, ref);
    if (PyErr_Occurred()) {
        core_report(c, "an object's end");
        Py_XDECREF(r);
        Py_RETURN_NONE;
    }
    return r;
}

PyMethodDef avz_core_methods[] = {
    {"now", (PyCFunction)m_now, METH_NOARGS, "Clock ticks since the trace started."},
    {"emit", (PyCFunction)m_emit, METH_VARARGS, "Append a record: (t, oid, kind[, value, line, target])."},
    {"value", (PyCFunction)m_value, METH_O, "The value field describing an object."},
    {"intern", (PyCFunction)m_intern, METH_O, "The index of a string in the table."},
    {"add", (PyCFunction)m_add, METH_VARARGS, "A new object's state: (kind, state, task, line, code, obj, watch[, frame])."},
    {"bind", (PyCFunction)m_bind, METH_VARARGS, "Know an existing object by another Python object: (oid, obj)."},
    {"lookup", (PyCFunction)m_lookup, METH_O, "The id of a live traced object, or -1."},
    {"state", (PyCFunction)m_state, METH_O, NULL},
    {"set_state", (PyCFunction)m_set_state, METH_VARARGS, NULL},
    {"task", (PyCFunction)m_task, METH_O, NULL},
    {"link", (PyCFunction)m_link, METH_VARARGS, "(coro, task): the task runs that coroutine."},
    {"link_unrecorded", (PyCFunction)m_link_unrecorded, METH_VARARGS, "(task, coro): its unrecorded coroutine's end ends it."},
    {"end_task", (PyCFunction)m_end_task, METH_VARARGS, "(task, t, kind, value)"},
    {"running", (PyCFunction)m_running, METH_NOARGS, "The innermost running object, or -1."},
    {"running_since", (PyCFunction)m_running_since, METH_NOARGS, "Ticks of the innermost running object's last start/resume/throw, or -1."},
    {"last_record_at", (PyCFunction)m_last_record_at, METH_NOARGS, "Ticks of the latest record."},
    {"dying", (PyCFunction)m_dying, METH_O, "The id of an object its collection just closed, if it is this one (its finaliser runs), or -1."},
    {"sync", (PyCFunction)m_sync, METH_O, "Record a close that no event reported."},
    {"set_value", (PyCFunction)m_set_value, METH_VARARGS, "(at, value): the value of a record emit() returned."},
    {"merge", (PyCFunction)m_merge, METH_VARARGS, "(oid, frame, gen, code): the frame is a part of object oid (a cell's statements)."},
    {"alive", (PyCFunction)m_alive, METH_O, "The object of an id, if it is alive."},
    {"finish", (PyCFunction)m_finish, METH_NOARGS, "No more events: times to ns, objects forgotten."},
    {"to_ns", (PyCFunction)m_to_ns, METH_O, NULL},
    {"records", (PyCFunction)m_records, METH_NOARGS, "The records, as a read-only memoryview (no copy)."},
    {"_collected", (PyCFunction)m_collected, METH_O, NULL},
    {NULL, NULL, 0, NULL},
};
