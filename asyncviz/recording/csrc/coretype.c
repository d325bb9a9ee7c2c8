/* The Core type: construction, garbage collection, the end of a recording, and the
 * methods the registry and the asyncio watch call (recording/protocol.py's Core). */
#include "native.h"
#include <structmember.h>

static uint32_t next_epoch = 1;

static PyObject *get(PyObject *obj, const char *name)
{
    return PyObject_GetAttrString(obj, name);
}

/* what the core asks the registry for: its methods, its string table, its numbers and the
 * stdlib code it watches for asyncio */
static int take_registry(Core *c, PyObject *registry)
{
    PyObject *table = NULL, *special = NULL;
    int ok = (c->first_sight = get(registry, "first_sight")) && (c->describe = get(registry, "describe"))
             && (c->target = get(registry, "target"))
             && (c->special_event = get(registry, "special_event"))
             && (c->cancel_reached = get(registry, "cancel_reached"))
             && (table = get(registry, "strings")) && (c->strings = get(table, "strings"))
             && (c->index = get(table, "index")) && (special = get(registry, "special"))
             && (c->numbers = get(registry, "numbers"));
    if (ok && !(PyList_Check(c->strings) && PyDict_Check(c->index) && PyDict_Check(special)
                && PyList_Check(c->numbers))) {
        PyErr_SetString(PyExc_TypeError, "the registry's string table, numbers or special "
                                         "codes are not a list, a dict, a list and a dict");
        ok = 0;
    }
    Py_ssize_t pos = 0;
    PyObject *code, *decision;
    while (ok && PyDict_Next(special, &pos, &code, &decision) && c->n_special < MAX_SPECIAL) {
        c->special_bloom |= special_bit(code);
        c->special_codes[c->n_special] = Py_NewRef(code);
        c->special_decisions[c->n_special++] = (int)PyLong_AsLong(decision);
    }
    Py_XDECREF(table);
    Py_XDECREF(special);
    return ok ? 0 : -1;
}

static int make_tables(Core *c)
{
    if (!(c->strcache = PyDict_New()) || !(c->exccache = PyDict_New())
        || !(c->codes = PySet_New(NULL)) || !(c->collect = get((PyObject *)c, "_collected")))
        return -1;
    if (ptrmap_init(&c->map) < 0 || ptrmap_init(&c->refs) < 0 || ptrmap_init(&c->aux) < 0)
        return -1;
    c->buf = recordbuffer_new((Py_ssize_t)c->budget);
    if (c->buf == NULL)
        return -1;
    PyObject *none = PyUnicode_FromString("None");
    int64_t i = none ? core_intern(c, none) : -1;
    Py_XDECREF(none);
    if (i < 0)
        return -1;
    c->none_index = (uint32_t)i; /* NO_VALUE with a budget of 0 */
    return 0;
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
    if (take_registry(c, registry) < 0 || make_tables(c) < 0) {
        Py_DECREF(c);
        return NULL;
    }
    c->t0 = avz_ticks();
    return (PyObject *)c;
}

void core_clear_refs(Core *c)
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
    Py_VISIT(c->cancel_reached);
    Py_VISIT(c->on_spent);
    Py_VISIT(c->watch_end);
    Py_VISIT(c->watch_calls);
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
    int r = tk_traverse(c, visit, arg);
    return r ? r : tracehook_traverse(c, visit, arg);
}

static int core_clear(Core *c)
{
    core_clear_refs(c);
    tk_clear(c, 1);
    Py_CLEAR(c->registry);
    Py_CLEAR(c->decide);
    Py_CLEAR(c->first_sight);
    Py_CLEAR(c->describe);
    Py_CLEAR(c->target);
    Py_CLEAR(c->special_event);
    Py_CLEAR(c->cancel_reached);
    Py_CLEAR(c->on_spent);
    Py_CLEAR(c->watch_end);
    Py_CLEAR(c->watch_calls);
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
    c->special_bloom = 0;
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
    PyMem_RawFree(c->creating);
    PyMem_RawFree(c->followed);
#if !AVZ_MONITORING
    PyMem_RawFree(c->auxes);
#endif
    ptrmap_free(&c->map);
    ptrmap_free(&c->refs);
    ptrmap_free(&c->aux);
    Py_TYPE(c)->tp_free((PyObject *)c);
}


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
    {"watch_calls", T_OBJECT, offsetof(Core, watch_calls), 0, "Called with (code, frame) of ordinary code that names cancel, at its first call."},
    {NULL, 0, 0, 0, NULL},
};

static PyMethodDef *all_methods(void)
{
    /* the protocol, then the hook's own callbacks (monitor.c or tracehook.c) */
    static PyMethodDef all[64];
    int n = 0;
    for (PyMethodDef *m = avz_core_methods; m->ml_name; m++)
        all[n++] = *m;
    for (PyMethodDef *m = avz_monitor_methods; m->ml_name; m++)
        all[n++] = *m;
    for (PyMethodDef *m = avz_trace_methods; m->ml_name; m++)
        all[n++] = *m;
    for (PyMethodDef *m = avz_task_methods; m->ml_name; m++)
        all[n++] = *m;
    for (PyMethodDef *m = avz_told_methods; m->ml_name; m++)
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
