/* Values that cross a suspension point, described where no user code can run: None, bools,
 * ints (inline when small, else in the numbers table), floats, short strings (repr once per
 * distinct string) and builtin exceptions without arguments.  Every other value goes to the
 * registry's describe() (values.py: guarded reprs). */
#include "native.h"

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

static uint32_t int_value(Core *c, PyObject *v)
{
#if PY_VERSION_HEX >= 0x030C0000
    if (PyUnstable_Long_IsCompact((PyLongObject *)v)) {
        Py_ssize_t x = PyUnstable_Long_CompactValue((PyLongObject *)v);
        if (x >= INLINE_MIN && x <= INLINE_MAX)
            return INLINE_INT | (uint32_t)(x + INLINE_BIAS);
    }
#endif
    int overflow = 0;
    long long x = PyLong_AsLongLongAndOverflow(v, &overflow);
    if (!overflow && x >= INLINE_MIN && x <= INLINE_MAX)
        return INLINE_INT | (uint32_t)(x + INLINE_BIAS);
    if (!overflow && !(x == -1 && PyErr_Occurred()))
        return number(c, 0, x, 0.0);
    PyErr_Clear();
    return described(c, v); /* wider than 64 bits: "<int of N bits>" or its repr */
}

static uint32_t bool_value(Core *c, PyObject *v)
{
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

/* short strings repeat (names, states): repr once per distinct string */
static uint32_t str_value(Core *c, PyObject *v)
{
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

/* a builtin exception without arguments: "ValueError()", once per type */
static uint32_t bare_exception_value(Core *c, PyTypeObject *t)
{
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

static int is_bare_builtin_exception(PyObject *v, PyTypeObject *t)
{
    if (!PyExceptionInstance_Check(v) || (t->tp_flags & Py_TPFLAGS_HEAPTYPE))
        return 0;
    PyObject *args = ((PyBaseExceptionObject *)v)->args;
    return args != NULL && PyTuple_Check(args) && PyTuple_GET_SIZE(args) == 0;
}

uint32_t core_value(Core *c, PyObject *v)
{
    if (!c->values)
        return NO_VALUE;
    if (v == NULL || v == Py_None)
        return c->none_index;
    PyTypeObject *t = Py_TYPE(v);
    if (t == &PyLong_Type)
        return int_value(c, v);
    if (t == &PyFloat_Type)
        return number(c, 1, 0, PyFloat_AS_DOUBLE(v));
    if (v == Py_True || v == Py_False)
        return bool_value(c, v);
    if (t == &PyUnicode_Type && PyUnicode_GET_LENGTH(v) <= SHORT_STR)
        return str_value(c, v);
    if (is_bare_builtin_exception(v, t))
        return bare_exception_value(c, t);
    return described(c, v);
}
