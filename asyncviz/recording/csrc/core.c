/* The core object: its records, values, objects and the methods Python calls on it (the
 * protocol in recording/protocol.py, which the Python core implements too). */
#include "native.h"

Core *avz_current = NULL;

/* ---- records, values, strings, the budget ---------------------------------------- */

void core_report(Core *c, const char *where)
{
    /* An error inside a hook must not become the program's: a KeyboardInterrupt raised
     * while our Python ran is given back to the program as a fresh interrupt; anything
     * else is reported as unraisable. */
    if (!PyErr_Occurred())
        return;
    if (PyErr_ExceptionMatches(PyExc_KeyboardInterrupt)) {
        PyErr_Clear();
        PyErr_SetInterrupt();
        return;
    }
    PyObject *ctx = PyUnicode_FromFormat("asyncviz recording (%s)", where);
    PyErr_WriteUnraisable(ctx);
    Py_XDECREF(ctx);
}

void core_drop(Core *c)
{
    c->dropped++;
    if (c->spent)
        return;
    c->spent = 1;
    if (c->on_spent != NULL && c->on_spent != Py_None) {
        PyObject *r = PyObject_CallNoArgs(c->on_spent);
        if (r == NULL)
            core_report(c, "switching off");
        Py_XDECREF(r);
    }
}

int core_take(Core *c, int64_t cost)
{
    /* room for `cost` more in the record's budget?  When there is none, something is lost
     * (counted as a dropped event) and recording stops */
    if (c->used + cost <= c->budget) {
        c->used += cost;
        return 1;
    }
    core_drop(c);
    return 0;
}

int64_t core_emit(Core *c, int64_t t, int32_t oid, int kind, uint32_t value, int32_t line,
                  int32_t target)
{
    RecordBuffer *b = c->buf;
    Py_ssize_t n = b->n;
    if ((n >= b->committed && recordbuffer_ensure(b, n + 1) < 0) || !core_take(c, 1))
        return -1;
    if (t < c->last_t)
        t = c->last_t;
    else
        c->last_t = t;
    Record *r = &b->rec[n];
    r->t = t;
    r->obj = (uint32_t)oid;
    r->target = target;
    r->value = value;
    r->line_kind = ((uint32_t)(line < 0 ? 0 : line) << 8) | (uint32_t)kind;
    b->n = n + 1;
    return n;
}

int64_t core_intern(Core *c, PyObject *text)
{
    PyObject *found = PyDict_GetItemWithError(c->index, text);
    if (found != NULL)
        return PyLong_AsLongLong(found);
    if (PyErr_Occurred())
        return -1;
    if (!core_take(c, 1 + PyUnicode_GET_LENGTH(text) / STRING_COST_BYTES))
        return NO_VALUE; /* the budget is spent: no new string */
    Py_ssize_t i = PyList_GET_SIZE(c->strings);
    PyObject *pi = PyLong_FromSsize_t(i);
    if (pi == NULL)
        return -1;
    if (PyList_Append(c->strings, text) < 0 || PyDict_SetItem(c->index, text, pi) < 0) {
        Py_DECREF(pi);
        return -1;
    }
    Py_DECREF(pi);
    return i;
}

static uint32_t described(Core *c, PyObject *v)
{
    PyObject *r = PyObject_CallOneArg(c->describe, v);
    if (r == NULL) {
        core_report(c, "describing a value");
        return NO_VALUE;
    }
    uint32_t i = (uint32_t)PyLong_AsUnsignedLong(r);
    Py_DECREF(r);
    if (PyErr_Occurred()) {
        PyErr_Clear();
        return NO_VALUE;
    }
    return i;
}

static uint32_t cached(Core *c, PyObject *cache, PyObject *key, PyObject *text_if_new)
{
    int64_t i = core_intern(c, text_if_new);
    if (i < 0) {
        core_report(c, "interning");
        return NO_VALUE;
    }
    if (i != NO_VALUE && PyDict_GET_SIZE(cache) < STR_CACHE_MAX) {
        PyObject *pi = PyLong_FromLongLong(i);
        if (pi == NULL || PyDict_SetItem(cache, key, pi) < 0)
            PyErr_Clear();
        Py_XDECREF(pi);
    }
    return (uint32_t)i;
}

/* a wide int or a float: kept as a number (its repr is its description), no object held */
static uint32_t number(Core *c, int is_float, long long i, double f)
{
    if (c->n_nums == c->cap_nums) {
        Py_ssize_t cap = c->cap_nums ? c->cap_nums * 2 : 1024;
        if (cap > (Py_ssize_t)(INLINE_INT - NUMBER_BASE))
            return NO_VALUE;
        struct Number *n = PyMem_RawRealloc(c->nums, (size_t)cap * sizeof(struct Number));
        if (n == NULL)
            return NO_VALUE;
        c->nums = n;
        c->cap_nums = cap;
    }
    if (!core_take(c, 1))
        return NO_VALUE;
    struct Number *n = &c->nums[c->n_nums];
    n->is_float = is_float;
    if (is_float)
        n->v.f = f;
    else
        n->v.i = i;
    return NUMBER_BASE + (uint32_t)c->n_nums++;
}

int core_numbers_out(Core *c)
{
    for (Py_ssize_t k = 0; k < c->n_nums; k++) {
        struct Number *n = &c->nums[k];
        PyObject *v = n->is_float ? PyFloat_FromDouble(n->v.f) : PyLong_FromLongLong(n->v.i);
        if (v == NULL || PyList_Append(c->numbers, v) < 0) {
            Py_XDECREF(v);
            return -1;
        }
        Py_DECREF(v);
    }
    c->n_nums = 0;
    return 0;
}

uint32_t core_value(Core *c, PyObject *v)
{
    if (!c->values)
        return NO_VALUE;
    if (v == NULL || v == Py_None)
        return c->none_index;
    PyTypeObject *t = Py_TYPE(v);
#if PY_VERSION_HEX >= 0x030C0000
    if (t == &PyLong_Type && PyUnstable_Long_IsCompact((PyLongObject *)v)) {
        Py_ssize_t x = PyUnstable_Long_CompactValue((PyLongObject *)v);
        if (x >= INLINE_MIN && x <= INLINE_MAX)
            return INLINE_INT | (uint32_t)(x + INLINE_BIAS);
    }
#endif
    if (t == &PyLong_Type) {
        int overflow = 0;
        long long x = PyLong_AsLongLongAndOverflow(v, &overflow);
        if (!overflow && x >= INLINE_MIN && x <= INLINE_MAX)
            return INLINE_INT | (uint32_t)(x + INLINE_BIAS);
        if (!overflow && !(x == -1 && PyErr_Occurred()))
            return number(c, 0, x, 0.0);
        PyErr_Clear();
        return described(c, v);
    }
    if (t == &PyFloat_Type)
        return number(c, 1, 0, PyFloat_AS_DOUBLE(v));
    if (v == Py_True || v == Py_False) {
        uint32_t *slot = v == Py_True ? &c->true_index : &c->false_index;
        if (*slot == NO_VALUE) {
            PyObject *text = PyObject_Repr(v);
            int64_t i = text ? core_intern(c, text) : -1;
            Py_XDECREF(text);
            if (i < 0 || i == NO_VALUE) {
                PyErr_Clear();
                return NO_VALUE;
            }
            *slot = (uint32_t)i;
        }
        return *slot;
    }
    if (t == &PyUnicode_Type && PyUnicode_GET_LENGTH(v) <= SHORT_STR) {
        /* short strings repeat (names, states): repr once per distinct string */
        PyObject *found = PyDict_GetItemWithError(c->strcache, v);
        if (found != NULL)
            return (uint32_t)PyLong_AsUnsignedLong(found);
        if (PyErr_Occurred()) {
            PyErr_Clear();
            return NO_VALUE;
        }
        PyObject *r = PyObject_Repr(v);
        if (r == NULL) {
            PyErr_Clear();
            return NO_VALUE;
        }
        uint32_t i = cached(c, c->strcache, v, r);
        Py_DECREF(r);
        return i;
    }
    if (PyExceptionInstance_Check(v) && !(t->tp_flags & Py_TPFLAGS_HEAPTYPE)) {
        PyObject *args = ((PyBaseExceptionObject *)v)->args;
        if (args != NULL && PyTuple_Check(args) && PyTuple_GET_SIZE(args) == 0) {
            PyObject *found = PyDict_GetItemWithError(c->exccache, (PyObject *)t);
            if (found != NULL)
                return (uint32_t)PyLong_AsUnsignedLong(found);
            PyErr_Clear();
            const char *name = strrchr(t->tp_name, '.');
            PyObject *text = PyUnicode_FromFormat("%s()", name ? name + 1 : t->tp_name);
            if (text == NULL) {
                PyErr_Clear();
                return NO_VALUE;
            }
            uint32_t i = cached(c, c->exccache, (PyObject *)t, text);
            Py_DECREF(text);
            return i;
        }
    }
    return described(c, v);
}

/* ---- objects ------------------------------------------------------------------------- */

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

int32_t core_add(Core *c, int kind, int state, int32_t task, int32_t line, PyObject *code,
                 PyObject *obj, int watch, PyObject *frame)
{
    if (c->n_objs == c->cap_objs) {
        Py_ssize_t cap = c->cap_objs ? c->cap_objs * 2 : 256;
        ObjState *o = PyMem_RawRealloc(c->objs, (size_t)cap * sizeof(ObjState));
        if (o == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        c->objs = o;
        c->cap_objs = cap;
    }
    CodeInfo *ci = NULL;
    if (code != NULL && code != Py_None) {
        if (!PyCode_Check(code)) {
            PyErr_SetString(PyExc_TypeError, "add(): code must be a code object or None");
            return -1;
        }
        ci = codeinfo_of(code);
        if (ci == NULL || core_keep_code(c, ci, code) < 0)
            return -1;
    }
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
    return oid;
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

static void forget(Core *c, void *key, int32_t tag)
{
    if (key != NULL && ptrmap_get(&c->map, key, -1) == tag)
        ptrmap_del(&c->map, key);
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
    }
    Py_RETURN_NONE;
}
