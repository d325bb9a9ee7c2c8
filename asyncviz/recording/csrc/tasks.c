/* The part of the asyncio watch (recording/tasks.py) that runs for every task, kept out of
 * Python: a program that makes 10,000 tasks would otherwise pay several µs of Python each.
 *
 * The common case is decided here alone: create_task called while a recorded coroutine of
 * a known task runs (the new task's parent), for a coroutine in scope that has not started.
 * The core then makes the task and its coroutine, with the same records, budget and ids
 * the registry would give them, and keeps what the registry needs to build their `Traced`
 * (its code, parent; a task's name and coroutine).  The registry asks for them (told.c)
 * before it makes or reads any object itself, so ids stay in step and labels are
 * numbered in the same order.  Every other case goes to the registry, as
 * before: the cell, a task not yet known, a coroutine out of scope or already running (an
 * eager task), a budget that cannot hold the coroutine.
 *
 * A task's name is read here too, when its coroutine ends it: the task may not outlive
 * the trace.  Strings only are kept (never the program's objects): the coroutine given to
 * a create_task call is held only while that call runs. */
#include "native.h"

static PyObject *s_get_name, *s_cr_code, *s_cr_frame;

static int strings_ready(void)
{
    if (s_get_name != NULL)
        return 0;
    s_get_name = PyUnicode_InternFromString("get_name");
    s_cr_code = PyUnicode_InternFromString("cr_code");
    s_cr_frame = PyUnicode_InternFromString("cr_frame");
    return s_get_name && s_cr_code && s_cr_frame ? 0 : -1;
}

/* an error of the program's code we called (a task's get_name): not ours to report,
 * except an interrupt, which goes back to the program */
static void swallow(Core *c)
{
    if (PyErr_Occurred() && PyErr_ExceptionMatches(PyExc_KeyboardInterrupt))
        core_report(c, "a task's name");
    PyErr_Clear();
}

/* ---- the create_task calls running ------------------------------------------------- */

static int push_creating(Core *c, PyObject *coro, int32_t oid)
{
    if (c->n_creating == c->cap_creating) {
        Py_ssize_t cap = c->cap_creating ? c->cap_creating * 2 : 8;
        Creating *s = PyMem_RawRealloc(c->creating, (size_t)cap * sizeof(Creating));
        if (s == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        c->creating = s;
        c->cap_creating = cap;
    }
    c->creating[c->n_creating].coro = Py_XNewRef(coro);
    c->creating[c->n_creating++].oid = oid;
    return 0;
}

static int32_t pop_creating(Core *c)
{
    Creating *top = &c->creating[--c->n_creating];
    Py_CLEAR(top->coro);
    return top->oid;
}

static int push_followed(Core *c, int32_t oid)
{
    if (c->n_followed == c->cap_followed) {
        Py_ssize_t cap = c->cap_followed ? c->cap_followed * 2 : 256;
        int32_t *f = PyMem_RawRealloc(c->followed, (size_t)cap * sizeof(int32_t));
        if (f == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        c->followed = f;
        c->cap_followed = cap;
    }
    c->followed[c->n_followed++] = oid;
    return 0;
}

/* ---- create_task starts: the task ----------------------------------------------------- */

int tk_create_start(Core *c, PyObject *frame, PyObject *coro)
{
    if (c->n_stack == 0 || coro == NULL || strings_ready() < 0)
        return 0;
    int32_t parent = c->objs[c->stack[c->n_stack - 1]].task;
    if (parent < 0)
        return 0; /* the registry knows who makes it (the cell, a task adopted late) */
    PyObject *name = ev_frame_var(frame, "name");
    if (name == NULL)
        PyErr_Clear();
    int given = name != NULL && name != Py_None;
    Py_XDECREF(name);
    int32_t oid = core_add(c, O_TASK, S_CREATED, -1, 0, NULL, NULL, 1, NULL);
    if (oid == -1)
        core_report(c, "a new task");
    if (oid >= 0) {
        ObjState *o = &c->objs[oid];
        o->parent = parent;
        o->given = (uint8_t)given;
        o->pending = 1;
        core_emit(c, core_now(c), oid, K_CREATE, NO_VALUE, 0, NO_TARGET);
    }
    if (push_creating(c, coro, oid < 0 ? -1 : oid) < 0)
        core_report(c, "a new task");
    return 1;
}

/* ---- create_task returns: the task and its coroutine -------------------------------- */

/* the coroutine's code and frame, when the core may adopt it alone: a coroutine in scope
 * that has not started (NULL: the registry decides) */
static PyObject *adoptable(Core *c, PyObject *coro, PyObject **frame_out, CodeInfo **ci_out)
{
    if (!PyCoro_CheckExact(coro) || core_lookup(c, coro) >= 0 || c->spent
        || c->used + OBJECT_COST > c->budget)
        return NULL;
    PyObject *code = PyObject_GetAttr(coro, s_cr_code);
    PyObject *frame = code ? PyObject_GetAttr(coro, s_cr_frame) : NULL;
    CodeInfo *ci = frame && frame != Py_None && PyCode_Check(code) ? codeinfo_of(code) : NULL;
    if (ci != NULL) {
        int d = ci->epoch == c->epoch ? ci->decision : core_decide(c, ci, code, frame);
        if (d == D_RECORD && PyFrame_GetLasti((PyFrameObject *)frame) <= ci->start) {
            *frame_out = frame;
            *ci_out = ci;
            return code;
        }
    }
    PyErr_Clear();
    Py_XDECREF(frame);
    Py_XDECREF(code);
    return NULL;
}

static void read_first_name(Core *c, ObjState *o, PyObject *task)
{
    PyObject *name = PyObject_CallMethodNoArgs(task, s_get_name);
    PyObject *text = name ? PyObject_Str(name) : NULL;
    Py_XDECREF(name);
    if (text == NULL)
        swallow(c);
    Py_XSETREF(o->first_name, text);
}

static int bind_task(Core *c, int32_t oid, PyObject *task)
{
    ObjState *o = &c->objs[oid];
    o->key = task;
    if (ptrmap_set(&c->map, task, oid) < 0)
        return -1;
    if (o->ref == NULL && !PyObject_GC_IsFinalized(task)) {
        o->ref = PyWeakref_NewRef(task, c->collect);
        if (o->ref == NULL)
            PyErr_Clear();
        else if (ptrmap_set(&c->refs, o->ref, oid) < 0)
            return -1;
    }
    read_first_name(c, o, task);
    return 0;
}

/* the task and its coroutine, as tasks.py's _follow and registry.adopt_coroutine make
 * them; 0: the registry must (nothing was done) */
static int follow(Core *c, int32_t oid, PyObject *coro, PyObject *task)
{
    PyObject *frame;
    CodeInfo *ci;
    PyObject *code = adoptable(c, coro, &frame, &ci);
    if (code == NULL)
        return 0;
    int32_t co = -1;
    if (bind_task(c, oid, task) == 0)
        co = core_add(c, O_COROUTINE, S_CREATED, oid, ci->firstlineno, code, coro, 1, frame);
    if (co >= 0) {
        ObjState *k = &c->objs[co];
        k->code = code;
        k->parent = oid;
        k->initial = S_CREATED;
        k->root_of = oid;
        k->pending = 1;
        c->objs[oid].coro = co;
    }
    else {
        core_report(c, "a task's coroutine");
    }
    if (push_followed(c, oid) < 0)
        core_report(c, "a new task");
    Py_DECREF(frame);
    Py_DECREF(code);
    return 1;
}

int tk_create_end(Core *c, int event, PyObject *task)
{
    if (c->n_creating == 0 || strings_ready() < 0)
        return c->n_creating == 0;
    Creating *top = &c->creating[c->n_creating - 1];
    int32_t oid = top->oid;
    if (oid >= 0 && (event != W_RETURN || task == NULL || task == Py_None)) {
        c->objs[oid].state = S_CLOSED; /* create_task raised */
        oid = -1;
    }
    if (oid >= 0 && !c->objs[oid].pending)
        return 0; /* the registry built its Traced already: it follows it */
    if (oid >= 0) {
        PyObject *coro = Py_NewRef(top->coro);
        int done = follow(c, oid, coro, task);
        Py_DECREF(coro);
        if (!done)
            return 0;
    }
    pop_creating(c);
    return 1;
}

/* ---- a task's end --------------------------------------------------------------------- */

void tk_read_end_name(Core *c, int32_t task)
{
    PyObject *obj = core_referent(c->objs[task].ref);
    if (obj == NULL || strings_ready() < 0)
        return;
    Py_INCREF(obj);
    PyObject *name = PyObject_CallMethodNoArgs(obj, s_get_name);
    Py_DECREF(obj);
    PyObject *text = name ? PyObject_Str(name) : NULL;
    Py_XDECREF(name);
    if (text == NULL) {
        swallow(c);
        return;
    }
    Py_XSETREF(c->objs[task].last_name, text);
}

/* ---- the registry's side -------------------------------------------------------------- */

static PyObject *m_creating(Core *c, PyObject *args)
{
    PyObject *coro;
    int oid;
    if (!PyArg_ParseTuple(args, "Oi", &coro, &oid) || push_creating(c, coro, oid) < 0)
        return NULL;
    Py_RETURN_NONE;
}

static PyObject *m_created(Core *c, PyObject *unused)
{
    if (c->n_creating == 0)
        Py_RETURN_NONE;
    PyObject *coro = Py_NewRef(c->creating[c->n_creating - 1].coro);
    int32_t oid = pop_creating(c);
    return Py_BuildValue("(Ni)", coro, oid);
}

static PyObject *m_starting(Core *c, PyObject *gen)
{
    for (Py_ssize_t i = c->n_creating - 1; i >= 0; i--)
        if (c->creating[i].coro == gen)
            return PyLong_FromLong(c->creating[i].oid);
    return PyLong_FromLong(-1);
}

static int valid_oid(Core *c, long oid)
{
    if (oid < 0 || oid >= c->n_objs) {
        if (!PyErr_Occurred())
            PyErr_Format(PyExc_IndexError, "no traced object %ld", oid);
        return 0;
    }
    return 1;
}

static PyObject *m_last_name(Core *c, PyObject *arg)
{
    long oid = PyLong_AsLong(arg);
    if (!valid_oid(c, oid))
        return NULL;
    PyObject *name = c->objs[oid].last_name;
    return Py_NewRef(name ? name : Py_None);
}

static PyObject *m_named(Core *c, PyObject *args)
{
    int oid;
    PyObject *name;
    if (!PyArg_ParseTuple(args, "iU", &oid, &name) || !valid_oid(c, oid))
        return NULL;
    Py_XSETREF(c->objs[oid].last_name, Py_NewRef(name));
    Py_RETURN_NONE;
}

int tk_traverse(Core *c, visitproc visit, void *arg)
{
    for (Py_ssize_t i = 0; i < c->n_creating; i++)
        Py_VISIT(c->creating[i].coro);
    return 0;
}

void tk_clear(Core *c, int names)
{
    while (c->n_creating)
        pop_creating(c);
    for (Py_ssize_t i = 0; names && i < c->n_objs; i++) {
        Py_CLEAR(c->objs[i].first_name);
        Py_CLEAR(c->objs[i].last_name);
    }
}

PyMethodDef avz_task_methods[] = {
    {"creating", (PyCFunction)m_creating, METH_VARARGS, "(coro, oid): a create_task call runs."},
    {"created", (PyCFunction)m_created, METH_NOARGS, "(coro, oid) of the innermost create_task call, ended; None."},
    {"starting", (PyCFunction)m_starting, METH_O, "The task whose create_task call was given this coroutine, or -1."},
    {"last_name", (PyCFunction)m_last_name, METH_O, "A task's name as last read (at its end, or named()), or None."},
    {"named", (PyCFunction)m_named, METH_VARARGS, "(oid, name): the registry read a task's name."},
    {NULL, NULL, 0, NULL},
};
