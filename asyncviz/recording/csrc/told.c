/* The registry told of the objects the core made by itself (tasks.c): their `Traced`
 * built here, in id order, appended to the registry's list, labels numbered in its table
 * as registry._label numbers them.  Built without running Traced.__init__ (its fields are
 * slots: set one by one, a fraction of a µs less per object, and 10,000 tasks make 20,000
 * objects).  They hold numbers and strings only, so the garbage collector is told not to
 * follow them, as CPython does for such tuples: 20,000 objects that a full collection
 * would otherwise walk, and that would make one happen. */
#include "native.h"
#include <structmember.h>

/* Traced's fields, in the order of its dataclass (trace.py) */
enum { F_ID, F_KIND, F_NAME, F_LABEL, F_FILENAME, F_FIRSTLINENO, F_STATE, F_PARENT, F_INITIAL,
       F_CORO, F_TASK, F_DEADLINE, F_MEMBERS, N_FIELDS };
static const char *field_names[N_FIELDS] = {
    "id", "kind", "name", "label", "filename", "firstlineno", "state", "parent", "initial",
    "coro", "task", "deadline", "members"};

typedef struct {
    PyTypeObject *type;          /* borrowed: the registry's Traced, alive while it is */
    PyMemberDef *fields[N_FIELDS];
    PyObject *kinds, *states;    /* events.OBJECT_KINDS, events.STATES */
    PyObject *labels;            /* registry.labels: short name -> count */
    PyObject *objects;           /* the registry's list */
} Tell;

static int fields_of(Tell *t)
{
    /* every slot is set here, so Traced must have these and no others */
    PyObject *slots = PyObject_GetAttrString((PyObject *)t->type, "__slots__");
    int same = slots && PyTuple_Check(slots) && PyTuple_GET_SIZE(slots) == N_FIELDS;
    for (int i = 0; same && i < N_FIELDS; i++)
        same = PyUnicode_CompareWithASCIIString(PyTuple_GET_ITEM(slots, i), field_names[i]) == 0;
    Py_XDECREF(slots);
    if (!same) {
        PyErr_Clear();
        PyErr_SetString(PyExc_TypeError, "Traced's fields are not the ones told.c sets: "
                                         "update field_names there");
        return -1;
    }
    for (int i = 0; i < N_FIELDS; i++) {
        PyObject *d = PyObject_GetAttrString((PyObject *)t->type, field_names[i]);
        if (d == NULL)
            return -1;
        int ok = Py_IS_TYPE(d, &PyMemberDescr_Type);
        if (ok)
            t->fields[i] = ((PyMemberDescrObject *)d)->d_member;
        Py_DECREF(d);
        if (!ok) {
            PyErr_Format(PyExc_TypeError, "Traced.%s is not a slot", field_names[i]);
            return -1;
        }
    }
    return 0;
}

/* registry._label(qualname): `short#n`, numbered per short name */
static PyObject *label_of(Tell *t, PyObject *qualname)
{
    Py_ssize_t n = PyUnicode_GET_LENGTH(qualname);
    Py_ssize_t dot = PyUnicode_FindChar(qualname, '.', 0, n, -1);
    if (dot == -2)
        return NULL;
    PyObject *shortname = PyUnicode_Substring(qualname, dot + 1, n);
    if (shortname == NULL)
        return NULL;
    PyObject *count = PyDict_GetItemWithError(t->labels, shortname);
    long k = count ? PyLong_AsLong(count) + 1 : 1;
    PyObject *label = NULL, *pk = PyErr_Occurred() ? NULL : PyLong_FromLong(k);
    if (pk != NULL && PyDict_SetItem(t->labels, shortname, pk) == 0)
        label = PyUnicode_FromFormat("%U#%ld", shortname, k);
    Py_XDECREF(pk);
    Py_DECREF(shortname);
    return label;
}

static int put(PyObject *obj, PyMemberDef *field, PyObject *value)
{
    int r = value == NULL ? -1 : PyMember_SetOne((char *)obj, field, value);
    Py_XDECREF(value);
    return r;
}

static PyObject *or_none(int32_t v)
{
    return v < 0 ? Py_NewRef(Py_None) : PyLong_FromLong(v);
}

/* what is known of a task (no code) or of a coroutine (its code) */
static int known_fields(Tell *t, PyObject *obj, ObjState *o)
{
    PyMemberDef **f = t->fields;
    PyObject *created = PyTuple_GET_ITEM(t->states, S_CREATED);
    if (o->code == NULL) {
        PyObject *name = o->first_name ? o->first_name : PyUnicode_FromString("Task");
        if (o->first_name)
            Py_INCREF(name);
        return put(obj, f[F_NAME], name) || put(obj, f[F_LABEL], PyUnicode_FromString(""))
               || put(obj, f[F_FILENAME], Py_NewRef(Py_None))
               || put(obj, f[F_FIRSTLINENO], Py_NewRef(Py_None))
               || put(obj, f[F_INITIAL], Py_NewRef(Py_None)) || put(obj, f[F_CORO], or_none(o->coro));
    }
    PyCodeObject *code = (PyCodeObject *)o->code;
    return put(obj, f[F_NAME], Py_NewRef(code->co_qualname))
           || put(obj, f[F_LABEL], label_of(t, code->co_qualname))
           || put(obj, f[F_FILENAME], Py_NewRef(code->co_filename))
           || put(obj, f[F_FIRSTLINENO], PyLong_FromLong(code->co_firstlineno))
           || put(obj, f[F_INITIAL], Py_NewRef(o->initial < 0 ? Py_None : created))
           || put(obj, f[F_CORO], Py_NewRef(Py_None));
}

static PyObject *traced(Tell *t, Py_ssize_t oid, ObjState *o)
{
    PyObject *obj = t->type->tp_alloc(t->type, 0);
    if (obj == NULL)
        return NULL;
    PyMemberDef **f = t->fields;
    if (put(obj, f[F_ID], PyLong_FromSsize_t(oid))
        || put(obj, f[F_KIND], Py_NewRef(PyTuple_GET_ITEM(t->kinds, o->kind)))
        || put(obj, f[F_STATE], Py_NewRef(PyTuple_GET_ITEM(t->states, S_CREATED)))
        || put(obj, f[F_PARENT], or_none(o->parent)) || known_fields(t, obj, o)
        || put(obj, f[F_TASK], Py_NewRef(Py_None)) || put(obj, f[F_DEADLINE], Py_NewRef(Py_None))
        || put(obj, f[F_MEMBERS], Py_NewRef(Py_None))) {
        Py_DECREF(obj);
        return NULL;
    }
    PyObject_GC_UnTrack(obj); /* numbers and strings only (and None) */
    return obj;
}

static int tell_objects(Core *c, Tell *t, PyObject *given)
{
    for (Py_ssize_t i = PyList_GET_SIZE(t->objects); i < c->n_objs; i++) {
        ObjState *o = &c->objs[i];
        if (!o->pending) {
            PyErr_Format(PyExc_AssertionError, "object ids out of step: %zd was not made "
                                               "by the core", i);
            return -1;
        }
        PyObject *obj = traced(t, i, o);
        int r = obj == NULL ? -1 : PyList_Append(t->objects, obj);
        Py_XDECREF(obj);
        if (r < 0)
            return -1;
        if (o->given && o->code == NULL) {
            PyObject *oid = PyLong_FromSsize_t(i);
            r = oid == NULL ? -1 : PyList_Append(given, oid);
            Py_XDECREF(oid);
            if (r < 0)
                return -1;
        }
        o->pending = 0;
        Py_CLEAR(o->first_name);
    }
    return 0;
}

/* tell(objects, labels, Traced, kinds, states) -> (given, followed) or None: the Traced of
 * the objects made here since, appended to `objects`; the tasks among them the program
 * named; the tasks followed here, in the order their create_task returned */
static PyObject *m_tell(Core *c, PyObject *args)
{
    Tell t;
    if (!PyArg_ParseTuple(args, "O!O!O!O!O!", &PyList_Type, &t.objects, &PyDict_Type, &t.labels,
                          &PyType_Type, &t.type, &PyTuple_Type, &t.kinds, &PyTuple_Type,
                          &t.states))
        return NULL;
    if (PyList_GET_SIZE(t.objects) >= c->n_objs && c->n_followed == 0)
        Py_RETURN_NONE;
    if (PyTuple_GET_SIZE(t.kinds) <= O_FUTURE || PyTuple_GET_SIZE(t.states) <= S_CLOSED) {
        PyErr_SetString(PyExc_ValueError, "tell(): kinds and states are too short");
        return NULL;
    }
    if (fields_of(&t) < 0)
        return NULL;
    PyObject *given = PyList_New(0), *followed = PyList_New(c->n_followed);
    if (given == NULL || followed == NULL || tell_objects(c, &t, given) < 0) {
        Py_XDECREF(given);
        Py_XDECREF(followed);
        return NULL;
    }
    for (Py_ssize_t i = 0; i < c->n_followed; i++) {
        PyObject *oid = PyLong_FromLong(c->followed[i]);
        if (oid == NULL) {
            Py_DECREF(given);
            Py_DECREF(followed);
            return NULL;
        }
        PyList_SET_ITEM(followed, i, oid);
    }
    c->n_followed = 0;
    return Py_BuildValue("(NN)", given, followed);
}

PyMethodDef avz_told_methods[] = {
    {"tell", (PyCFunction)m_tell, METH_VARARGS, "(objects, labels, Traced, kinds, states): the Traced of the objects made by the core, appended; (given, followed) or None."},
    {NULL, NULL, 0, NULL},
};
