/* The Core type: construction, garbage collection, the end of a recording, and the
 * methods the registry and the asyncio watch call (recording/protocol.py's Core). */
#include "native.h"
#include <structmember.h>

static uint32_t next_epoch = 1;

static PyObject *get(PyObject *obj, const char *name)
{
    return PyObject_GetAttrString(obj, name);
}

static PyObject *core_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    static char *names[] = {"registry", "thread", "max_events", "values", "decide", "disable",
                            NULL};
    PyObject *registry, *decide, *disable = Py_None;
    unsigned long thread;
    long long max_events;
    int values;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "OkLpO|O", names, &registry, &thread,
                                     &max_events, &values, &decide, &disable))
        return NULL;
    Core *c = (Core *)type->tp_alloc(type, 0);
    if (c == NULL)
        return NULL;
    c->registry = Py_NewRef(registry);
    c->decide = Py_NewRef(decide);
    c->disable = Py_NewRef(disable);
    c->thread = thread;
    c->values = values;
    c->active = 1;
    c->budget = max_events < 0 ? 0 : max_events;
    c->epoch = next_epoch++;
    c->pending_oid = -1;
    c->true_index = c->false_index = NO_VALUE;
    PyObject *table = NULL, *special = NULL;
    if (!(c->first_sight = get(registry, "first_sight")) || !(c->describe = get(registry, "describe"))
        || !(c->target = get(registry, "target"))
        || !(c->special_event = get(registry, "special_event"))
        || !(c->task_ended = get(registry, "task_ended"))
        || !(c->cancel_reached = get(registry, "cancel_reached"))
        || !(table = get(registry, "strings")) || !(c->strings = get(table, "strings"))
        || !(c->index = get(table, "index")) || !(special = get(registry, "special"))
        || !(c->numbers = get(registry, "numbers")))
        goto fail;
    if (!PyList_Check(c->strings) || !PyDict_Check(c->index) || !PyDict_Check(special)
        || !PyList_Check(c->numbers)) {
        PyErr_SetString(PyExc_TypeError, "the registry's string table or special codes are "
                                         "not a list, a dict and a dict");
        goto fail;
    }
    Py_ssize_t pos = 0;
    PyObject *code, *decision;
    while (PyDict_Next(special, &pos, &code, &decision) && c->n_special < MAX_SPECIAL) {
        c->special_codes[c->n_special] = Py_NewRef(code);
        c->special_decisions[c->n_special++] = (int)PyLong_AsLong(decision);
    }
    Py_CLEAR(special);
    Py_CLEAR(table);
    if (!(c->strcache = PyDict_New()) || !(c->exccache = PyDict_New())
        || !(c->codes = PySet_New(NULL)) || !(c->collect = get((PyObject *)c, "_collected")))
        goto fail;
    if (ptrmap_init(&c->map) < 0 || ptrmap_init(&c->refs) < 0 || ptrmap_init(&c->aux) < 0)
        goto fail;
    c->buf = recordbuffer_new((Py_ssize_t)c->budget);
    if (c->buf == NULL)
        goto fail;
    PyObject *none = PyUnicode_FromString("None");
    int64_t i = none ? core_intern(c, none) : -1;
    Py_XDECREF(none);
    if (i < 0)
        goto fail;
    c->none_index = (uint32_t)i; /* NO_VALUE with a budget of 0 */
    c->t0 = avz_ticks();
    return (PyObject *)c;
fail:
    Py_XDECREF(table);
    Py_XDECREF(special);
    Py_DECREF(c);
    return NULL;
}

static void clear_refs(Core *c)
{
    for (Py_ssize_t i = 0; i < c->n_objs; i++) {
        Py_CLEAR(c->objs[i].ref);
        Py_CLEAR(c->objs[i].root_ref);
    }
#if !AVZ_MONITORING
    for (Py_ssize_t i = 0; i < c->n_aux; i++)
        Py_CLEAR(c->auxes[i].raised);
#endif
}

static int core_traverse(Core *c, visitproc visit, void *arg)
{
    Py_VISIT(c->registry);
    Py_VISIT(c->decide);
    Py_VISIT(c->first_sight);
    Py_VISIT(c->describe);
    Py_VISIT(c->target);
    Py_VISIT(c->special_event);
    Py_VISIT(c->task_ended);
    Py_VISIT(c->cancel_reached);
    Py_VISIT(c->on_spent);
    Py_VISIT(c->watch_end);
    Py_VISIT(c->strings);
    Py_VISIT(c->index);
    Py_VISIT(c->numbers);
    Py_VISIT(c->strcache);
    Py_VISIT(c->exccache);
    Py_VISIT(c->codes);
    Py_VISIT(c->collect);
    Py_VISIT(c->disable);
    Py_VISIT(c->buf);
    for (int i = 0; i < c->n_special; i++)
        Py_VISIT(c->special_codes[i]);
    for (Py_ssize_t i = 0; i < c->n_objs; i++) {
        Py_VISIT(c->objs[i].ref);
        Py_VISIT(c->objs[i].root_ref);
    }
    return tracehook_traverse(c, visit, arg);
}

static int core_clear(Core *c)
{
    clear_refs(c);
    Py_CLEAR(c->registry);
    Py_CLEAR(c->decide);
    Py_CLEAR(c->first_sight);
    Py_CLEAR(c->describe);
    Py_CLEAR(c->target);
    Py_CLEAR(c->special_event);
    Py_CLEAR(c->task_ended);
    Py_CLEAR(c->cancel_reached);
    Py_CLEAR(c->on_spent);
    Py_CLEAR(c->watch_end);
    Py_CLEAR(c->strings);
    Py_CLEAR(c->index);
    Py_CLEAR(c->numbers);
    Py_CLEAR(c->strcache);
    Py_CLEAR(c->exccache);
    Py_CLEAR(c->codes);
    Py_CLEAR(c->collect);
    Py_CLEAR(c->disable);
    for (int i = 0; i < c->n_special; i++)
        Py_CLEAR(c->special_codes[i]);
    c->n_special = 0;
    return 0;
}

static void core_dealloc(Core *c)
{
    PyObject_GC_UnTrack(c);
    if (avz_current == c)
        avz_current = NULL;
    core_clear(c);
    Py_CLEAR(c->buf);
    PyMem_RawFree(c->objs);
    PyMem_RawFree(c->stack);
    PyMem_RawFree(c->nums);
#if !AVZ_MONITORING
    PyMem_RawFree(c->auxes);
#endif
    ptrmap_free(&c->map);
    ptrmap_free(&c->refs);
    ptrmap_free(&c->aux);
    Py_TYPE(c)->tp_free((PyObject *)c);
}

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
    PyObject *frame = PyObject_GetAttrString(coro, PyCoro_CheckExact(coro) ? "cr_frame" : "gi_frame");
    if (frame == NULL) {
        PyErr_Clear();
    }
    else {
        if (frame != Py_None && ptrmap_set(&c->map, frame, task | ROOT_FLAG) == 0)
            o->root_frame = frame; /* the coroutine keeps its frame alive */
        Py_DECREF(frame);
    }
    o->root_ref = PyWeakref_NewRef(coro, c->collect);
    if (o->root_ref == NULL)
        PyErr_Clear();
    else if (ptrmap_set(&c->refs, o->root_ref, task | ROOT_FLAG) < 0)
        return NULL;
    if (c->watch_end != NULL && c->watch_end != Py_None) {
        PyObject *code = PyObject_GetAttrString(coro, "cr_code");
        if (code == NULL) {
            PyErr_Clear();
            code = PyObject_GetAttrString(coro, "gi_code");
        }
        if (code != NULL) {
            PyObject *r = PyObject_CallOneArg(c->watch_end, code);
            Py_XDECREF(r);
            Py_DECREF(code);
        }
        if (PyErr_Occurred())
            return NULL;
    }
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
    clear_refs(c);
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

static PyMethodDef core_methods[] = {
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
    {"sync", (PyCFunction)m_sync, METH_O, "Record a close that no event reported."},
    {"alive", (PyCFunction)m_alive, METH_O, "The object of an id, if it is alive."},
    {"finish", (PyCFunction)m_finish, METH_NOARGS, "No more events: times to ns, objects forgotten."},
    {"to_ns", (PyCFunction)m_to_ns, METH_O, NULL},
    {"records", (PyCFunction)m_records, METH_NOARGS, "The records, as a read-only memoryview (no copy)."},
    {"_collected", (PyCFunction)m_collected, METH_O, NULL},
    {NULL, NULL, 0, NULL},
};

static PyMemberDef core_members[] = {
    {"values", T_INT, offsetof(Core, values), READONLY, NULL},
    {"active", T_INT, offsetof(Core, active), READONLY, NULL},
    {"spent", T_INT, offsetof(Core, spent), READONLY, NULL},
    {"dropped", T_LONGLONG, offsetof(Core, dropped), READONLY, NULL},
    {"used", T_LONGLONG, offsetof(Core, used), READONLY, NULL},
    {"duration", T_LONGLONG, offsetof(Core, duration), READONLY, NULL},
    {"thread", T_ULONG, offsetof(Core, thread), READONLY, NULL},
    {"registry", T_OBJECT, offsetof(Core, registry), READONLY, NULL},
    {"on_spent", T_OBJECT, offsetof(Core, on_spent), 0, "Called once when the budget is spent."},
    {"watch_end", T_OBJECT, offsetof(Core, watch_end), 0, "Called with the code of a task's unrecorded coroutine."},
    {NULL, 0, 0, 0, NULL},
};

static PyMethodDef *all_methods(void)
{
    /* the protocol, then the hook's own callbacks (monitor.c or tracehook.c) */
    static PyMethodDef all[64];
    int n = 0;
    for (PyMethodDef *m = core_methods; m->ml_name; m++)
        all[n++] = *m;
    for (PyMethodDef *m = avz_monitor_methods; m->ml_name; m++)
        all[n++] = *m;
    for (PyMethodDef *m = avz_trace_methods; m->ml_name; m++)
        all[n++] = *m;
    all[n].ml_name = NULL;
    return all;
}

PyTypeObject CoreType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "asyncviz.recording._native.Core",
    .tp_doc = "The native recording core (see recording/protocol.py).",
    .tp_basicsize = sizeof(Core),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .tp_new = core_new,
    .tp_dealloc = (destructor)core_dealloc,
    .tp_traverse = (traverseproc)core_traverse,
    .tp_clear = (inquiry)core_clear,
    .tp_members = core_members,
    .tp_call = tracehook_call,
};

int coretype_ready(void)
{
    CoreType.tp_methods = all_methods();
    return PyType_Ready(&CoreType);
}
