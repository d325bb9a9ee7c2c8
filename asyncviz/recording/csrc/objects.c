/* The objects: their states, the map from addresses (objects and their frames) to ids, the
 * weak references that tell an object's end, the running stack, tasks' ends. */
#include "native.h"

int core_keep_code(Core *c, CodeInfo *ci, PyObject *code)
{
    /* its CodeInfo must live as long as the trace's objects point at it */
    if (ci->kept == c->epoch)
        return 0;
    if (PySet_Add(c->codes, code) < 0)
        return -1;
    ci->kept = c->epoch;
    return 0;
}

int core_push(Core *c, int32_t oid)
{
    if (c->n_stack == c->cap_stack) {
        Py_ssize_t cap = c->cap_stack ? c->cap_stack * 2 : 64;
        int32_t *s = PyMem_RawRealloc(c->stack, (size_t)cap * sizeof(int32_t));
        if (s == NULL)
            return -1;
        c->stack = s;
        c->cap_stack = cap;
    }
    c->stack[c->n_stack++] = oid;
    return 0;
}

void core_pop(Core *c, int32_t oid)
{
    if (c->n_stack && c->stack[c->n_stack - 1] == oid) {
        c->n_stack--;
        return;
    }
    for (Py_ssize_t i = c->n_stack - 1; i >= 0; i--) {
        if (c->stack[i] == oid) {
            memmove(c->stack + i, c->stack + i + 1, (size_t)(c->n_stack - i - 1) * sizeof(int32_t));
            c->n_stack--;
            return;
        }
    }
}

static PyObject *weak(Core *c, PyObject *obj, int32_t tag)
{
    if (PyObject_GC_IsFinalized(obj))
        return NULL; /* its finaliser ran: a new weak reference could outlive it */
    PyObject *ref = PyWeakref_NewRef(obj, c->collect);
    if (ref == NULL) {
        PyErr_Clear(); /* no weak references to it: its end goes unnoticed */
        return NULL;
    }
    if (ptrmap_set(&c->refs, ref, tag) < 0) {
        PyErr_Clear();
        Py_DECREF(ref);
        return NULL;
    }
    return ref;
}

static int room_for_one_more(Core *c)
{
    if (c->n_objs < c->cap_objs)
        return 0;
    Py_ssize_t cap = c->cap_objs ? c->cap_objs * 2 : 256;
    ObjState *o = PyMem_RawRealloc(c->objs, (size_t)cap * sizeof(ObjState));
    if (o == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    c->objs = o;
    c->cap_objs = cap;
    return 0;
}

/* the code's CodeInfo, kept alive with the trace; NULL with an exception set */
static CodeInfo *info_of(Core *c, PyObject *code)
{
    if (!PyCode_Check(code)) {
        PyErr_SetString(PyExc_TypeError, "add(): code must be a code object or None");
        return NULL;
    }
    CodeInfo *ci = codeinfo_of(code);
    if (ci == NULL || core_keep_code(c, ci, code) < 0)
        return NULL;
    return ci;
}

static void forget(Core *c, void *key, int32_t tag)
{
    if (key != NULL && ptrmap_get(&c->map, key, -1) == tag)
        ptrmap_del(&c->map, key);
}

/* known by its frame and by itself; followed weakly if `watch` */
static int known_by(Core *c, int32_t oid, PyObject *frame, PyObject *obj, int watch)
{
    ObjState *o = &c->objs[oid];
    if (frame != NULL && frame != Py_None) {
        o->frame = frame;
        if (ptrmap_set(&c->map, frame, oid) < 0)
            return -1;
    }
    if (obj != NULL && obj != Py_None) {
        o->key = obj;
        if (ptrmap_set(&c->map, obj, oid) < 0)
            return -1;
        if (watch)
            o->ref = weak(c, obj, oid);
    }
    return 0;
}

int32_t core_add(Core *c, int kind, int state, int32_t task, int32_t line, PyObject *code,
                 PyObject *obj, int watch, PyObject *frame)
{
    if (room_for_one_more(c) < 0)
        return -1;
    CodeInfo *ci = NULL;
    if (code != NULL && code != Py_None && (ci = info_of(c, code)) == NULL)
        return -1;
    if (!core_take(c, OBJECT_COST))
        return -2; /* the budget is spent: no new object */
    int32_t oid = (int32_t)c->n_objs;
    ObjState *o = &c->objs[oid];
    memset(o, 0, sizeof(*o));
    o->kind = (uint8_t)kind;
    o->state = (uint8_t)state;
    o->task = task;
    o->root_of = -1;
    o->line = line;
    o->resume_at = -1;
    o->info = ci;
    c->n_objs++;
    return known_by(c, oid, frame, obj, watch) < 0 ? -1 : oid;
}

PyObject *core_referent(PyObject *ref)
{
    /* borrowed; NULL when dead */
    if (ref == NULL)
        return NULL;
#if PY_VERSION_HEX >= 0x030D0000
    PyObject *obj = NULL;
    if (PyWeakref_GetRef(ref, &obj) <= 0) {
        PyErr_Clear();
        return NULL;
    }
    Py_DECREF(obj); /* the object is alive while the weak reference says so */
    return obj;
#else
    PyObject *obj = PyWeakref_GetObject(ref);
    return obj == Py_None ? NULL : obj;
#endif
}

int32_t core_lookup(Core *c, PyObject *obj)
{
    int32_t oid = ptrmap_get(&c->map, obj, -1);
    if (oid < 0 || (oid & ROOT_FLAG))
        return -1;
    return core_referent(c->objs[oid].ref) == obj ? oid : -1;
}

/* A cell runs each top-level statement that awaits as a coroutine of its own; the record
 * shows one coroutine, the cell: a part's start is the cell's start (the first) or
 * nothing, its end is nothing (the cell goes on), its suspensions are the cell's. */
int core_merge(Core *c, int32_t oid, PyObject *frame, PyObject *gen, PyObject *code)
{
    CodeInfo *ci = info_of(c, code);
    if (ci == NULL)
        return -1;
    core_part_done(c, oid);
    ObjState *o = &c->objs[oid];
    o->merged = 1;
    o->info = ci;
    return known_by(c, oid, frame, gen, 0);
}

void core_part_done(Core *c, int32_t oid)
{
    ObjState *o = &c->objs[oid];
    forget(c, o->key, oid);
    forget(c, o->frame, oid);
    o->key = NULL;
    o->frame = NULL;
}

void core_unroot(Core *c, int32_t task)
{
    ObjState *o = &c->objs[task];
    if (o->root_key == NULL)
        return;
    forget(c, o->root_key, task | ROOT_FLAG);
    forget(c, o->root_frame, task | ROOT_FLAG);
    o->root_key = o->root_frame = NULL;
    c->n_roots--;
}

void core_end_task(Core *c, int32_t task, int64_t t, int kind, uint32_t value)
{
    ObjState *o = &c->objs[task];
    if (o->state == S_CLOSED)
        return;
    core_emit(c, t, task, kind, value, 0, NO_TARGET);
    o->state = S_CLOSED;
    core_unroot(c, task);
    PyObject *r = PyObject_CallFunction(c->task_ended, "i", task);
    if (r == NULL)
        core_report(c, "a task's end");
    Py_XDECREF(r);
}

/* the weak references' callback: an object died */
PyObject *core_collected(Core *c, PyObject *ref)
{
    int32_t tag = ptrmap_get(&c->refs, ref, -1);
    if (tag < 0)
        Py_RETURN_NONE;
    ptrmap_del(&c->refs, ref);
    int32_t oid = tag & ~ROOT_FLAG;
    ObjState *o = &c->objs[oid];
    if (tag & ROOT_FLAG) {
        core_unroot(c, oid);
        Py_RETURN_NONE;
    }
    forget(c, o->key, oid);
    forget(c, o->frame, oid);
    if (!c->active || o->kind == O_TASK || o->kind == O_FUTURE)
        Py_RETURN_NONE;
    if (o->state == S_CREATED || o->state == S_SUSPENDED) {
        core_emit(c, core_now(c), oid, K_CLOSE, NO_VALUE, o->line, NO_TARGET);
        o->state = S_CLOSED;
        /* its finaliser may throw GeneratorExit into it next: that is this close */
        c->just_died = o->frame;
        c->just_died_oid = oid;
    }
    Py_RETURN_NONE;
}
