/* The core's record: writing events, the budget they share with objects and strings, and
 * what happens when it is spent; an error inside a hook. */
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
