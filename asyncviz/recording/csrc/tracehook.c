/* Python 3.11: the trace hook, in C, on the recording thread only.
 *
 * Why the trace hook and not the profile hook (measured, see bench/): the profile hook
 * never sees the exception of a raise or a throw (the interpreter fetches it away around
 * the call) and is called for every C call; the trace hook sees exceptions and is called
 * per line, which we switch off frame by frame (f_trace_lines) as each frame starts.
 * The frame fields f_trace_lines and f_trace_opcodes are written at offsets found and
 * checked at import (tracehook_setup); if the check fails the native core is not used.
 *
 * The logic mirrors recording/pysettrace.py: a 'call' at a RESUME is a start (oparg 0) or
 * a resume; at the YIELD_VALUE it is an exception thrown in, which arrives with the next
 * 'exception'; a 'return' is a yield or a return by the opcode at f_lasti, otherwise the
 * exception unwinding.  Someone who saves sys.gettrace() and restores it later installs
 * the core as a Python-level trace function: tracehook_call serves that too. */
#include "native.h"

#if !AVZ_MONITORING


Py_ssize_t th_off_lines = -1, th_off_opcodes = -1;

/* ---- the frame's two flags, at offsets checked at import --------------------------- */

static int find_flag(PyObject *frame, const char *name, int from, int to, Py_ssize_t *out)
{
    unsigned char before[96], after[96];
    Py_ssize_t size = Py_TYPE(frame)->tp_basicsize;
    if (size > 96)
        size = 96;
    memcpy(before, (char *)frame, (size_t)size);
    PyObject *v = from ? Py_False : Py_True;
    if (PyObject_SetAttrString(frame, name, v) < 0)
        return -1;
    memcpy(after, (char *)frame, (size_t)size);
    PyObject_SetAttrString(frame, name, from ? Py_True : Py_False);
    Py_ssize_t found = -1;
    for (Py_ssize_t i = (Py_ssize_t)sizeof(PyObject); i < size; i++) {
        if (before[i] != after[i]) {
            if (found >= 0 || before[i] != from || after[i] != to)
                return -1; /* more than one byte changed, or not the way a char flag would */
            found = i;
        }
    }
    if (found < 0 || ((unsigned char *)frame)[found] != from)
        return -1;
    *out = found;
    return 0;
}

int tracehook_setup(void)
{
    PyObject *frame = (PyObject *)PyEval_GetFrame();
    if (frame == NULL || !PyFrame_Check(frame))
        return -1;
    PyObject *lines = PyObject_GetAttrString(frame, "f_trace_lines");
    PyObject *opcodes = PyObject_GetAttrString(frame, "f_trace_opcodes");
    int ok = lines == Py_True && opcodes == Py_False;
    Py_XDECREF(lines);
    Py_XDECREF(opcodes);
    if (!ok) {
        PyErr_Clear();
        return -1;
    }
    if (find_flag(frame, "f_trace_lines", 1, 0, &th_off_lines) < 0
        || find_flag(frame, "f_trace_opcodes", 0, 1, &th_off_opcodes) < 0) {
        PyErr_Clear();
        th_off_lines = th_off_opcodes = -1;
        return -1;
    }
    return 0;
}


/* ---- notes per frame ----------------------------------------------------------------- */

struct Aux *aux_get(Core *c, PyFrameObject *frame, int create)
{
    int32_t i = ptrmap_get(&c->aux, frame, -1);
    if (i >= 0)
        return &c->auxes[i];
    if (!create)
        return NULL;
    if (c->n_aux == c->cap_aux) {
        Py_ssize_t cap = c->cap_aux ? c->cap_aux * 2 : 32;
        struct Aux *a = PyMem_RawRealloc(c->auxes, (size_t)cap * sizeof(struct Aux));
        if (a == NULL)
            return NULL;
        c->auxes = a;
        c->cap_aux = cap;
    }
    i = (int32_t)c->n_aux++;
    if (ptrmap_set(&c->aux, frame, i) < 0) {
        PyErr_Clear();
        c->n_aux--;
        return NULL;
    }
    struct Aux *a = &c->auxes[i];
    memset(a, 0, sizeof(*a));
    return a;
}

void aux_done(Core *c, PyFrameObject *frame, struct Aux *a)
{
    if (a->flags == 0 && a->raised == NULL)
        ptrmap_del(&c->aux, frame); /* the slot stays; frames are few and short-lived */
}

int tracehook_traverse(Core *c, visitproc visit, void *arg)
{
    for (Py_ssize_t i = 0; i < c->n_aux; i++)
        Py_VISIT(c->auxes[i].raised);
    return 0;
}

/* ---- the events ------------------------------------------------------------------------ */

static int trace_func(PyObject *obj, PyFrameObject *frame, int what, PyObject *arg)
{
    Core *c = (Core *)obj;
    if (!c->active)
        return 0;
    switch (what) {
    case PyTrace_CALL:
        th_call(c, frame);
        break;
    case PyTrace_RETURN:
        th_return(c, frame, arg ? arg : Py_None);
        break;
    case PyTrace_EXCEPTION:
        th_exception(c, frame, arg);
        break;
    case PyTrace_LINE:
        th_set_flag(frame, th_off_lines, 0); /* a frame that began before the trace */
        break;
    case PyTrace_OPCODE: { /* the thrown exception is being handled */
        struct Aux *a = aux_get(c, frame, 0);
        if (a != NULL) {
            a->flags &= ~A_THROWN;
            aux_done(c, frame, a);
        }
        th_set_flag(frame, th_off_opcodes, 0);
        break;
    }
    }
    if (PyErr_Occurred())
        core_report(c, "the trace hook");
    return 0;
}

/* sys.settrace(<the core>): what a saved-and-restored sys.gettrace() installs */
PyObject *tracehook_call(PyObject *self, PyObject *args, PyObject *kwargs)
{
    PyObject *frame, *arg;
    const char *event;
    if (!PyArg_ParseTuple(args, "OsO", &frame, &event, &arg) || !PyFrame_Check(frame))
        return PyErr_Occurred() ? NULL : Py_NewRef(Py_None);
    Core *c = (Core *)self;
    PyFrameObject *f = (PyFrameObject *)frame;
    if (!c->active)
        Py_RETURN_NONE;
    if (strcmp(event, "call") == 0) {
        int wants = th_call(c, f);
        if (PyErr_Occurred())
            core_report(c, "the trace hook");
        return wants ? Py_NewRef(self) : Py_NewRef(Py_None);
    }
    int what = strcmp(event, "return") == 0 ? PyTrace_RETURN
               : strcmp(event, "exception") == 0 ? PyTrace_EXCEPTION
               : strcmp(event, "opcode") == 0 ? PyTrace_OPCODE : PyTrace_LINE;
    trace_func(self, f, what, arg);
    return Py_NewRef(self);
}

static PyObject *install_trace(Core *c, PyObject *unused)
{
    if (th_off_lines < 0) {
        PyErr_SetString(PyExc_RuntimeError, "the frame layout check failed at import");
        return NULL;
    }
    PyEval_SetTrace(trace_func, (PyObject *)c);
    c->trace_installed = 1;
    Py_RETURN_NONE;
}

static PyObject *uninstall_trace(Core *c, PyObject *unused)
{
    /* only our own hook comes off (also when it came back through sys.settrace); a hook
     * someone installed since stays */
    int ours = 0;
    if (c->trace_installed) {
        c->trace_installed = 0;
        ours = PyThreadState_Get()->c_traceobj == (PyObject *)c;
        if (ours)
            PyEval_SetTrace(NULL, NULL);
    }
    return PyBool_FromLong(ours);
}

PyMethodDef avz_trace_methods[] = {
    {"install_trace", (PyCFunction)install_trace, METH_NOARGS, NULL},
    {"uninstall_trace", (PyCFunction)uninstall_trace, METH_NOARGS, NULL},
    {NULL, NULL, 0, NULL},
};

#else

int tracehook_setup(void) { return 0; }
PyObject *tracehook_call(PyObject *self, PyObject *args, PyObject *kwargs)
{
    PyErr_SetString(PyExc_TypeError, "the native core is not a trace function on 3.12+");
    return NULL;
}
int tracehook_traverse(Core *c, visitproc visit, void *arg) { return 0; }
PyMethodDef avz_trace_methods[] = {{NULL, NULL, 0, NULL}};

#endif
