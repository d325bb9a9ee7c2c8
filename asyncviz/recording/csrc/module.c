/* asyncviz.recording._native: the module.  At import it learns this interpreter's
 * opcodes, sets up the clock and the code-object slot, and on 3.11 checks the frame
 * layout the trace hook writes to; what fails is said in PROBLEM (the loader then uses
 * the Python core), never by crashing. */
#include "native.h"

#define ABI_VERSION 2

static int opcode(PyObject *opmap, const char *name, int *out, int required)
{
    PyObject *v = PyDict_GetItemString(opmap, name);
    if (v == NULL) {
        if (required) {
            PyErr_Format(PyExc_ImportError, "dis.opmap has no %s", name);
            return -1;
        }
        *out = -1;
        return 0;
    }
    *out = (int)PyLong_AsLong(v);
    return 0;
}

static int learn_opcodes(void)
{
    PyObject *dis = PyImport_ImportModule("dis");
    if (dis == NULL)
        return -1;
    PyObject *opmap = PyObject_GetAttrString(dis, "opmap");
    Py_DECREF(dis);
    if (opmap == NULL)
        return -1;
    int r = opcode(opmap, "RESUME", &avz_op.resume, 1) | opcode(opmap, "YIELD_VALUE", &avz_op.yield_value, 1)
            | opcode(opmap, "SEND", &avz_op.send, 1) | opcode(opmap, "CACHE", &avz_op.cache, 1)
            | opcode(opmap, "RETURN_VALUE", &avz_op.return_value, 1)
            | opcode(opmap, "RETURN_CONST", &avz_op.return_const, 0);
    Py_DECREF(opmap);
    return r ? -1 : 0;
}

/* __avz_sent__ for rewritten cell code: the value a suspension point received */
static PyObject *sent(PyObject *module, PyObject *value)
{
    Core *c = avz_current;
    if (c == NULL || !c->active || PyThread_get_thread_ident() != c->thread)
        return Py_NewRef(value);
    PyObject *r = ev_sent(c, value);
    if (PyErr_Occurred()) {
        core_report(c, "a sent value");
        Py_XDECREF(r);
        return Py_NewRef(value);
    }
    return r;
}

static PyObject *activate(PyObject *module, PyObject *core)
{
    if (core == Py_None) {
        avz_current = NULL;
        Py_RETURN_NONE;
    }
    if (!PyObject_TypeCheck(core, &CoreType)) {
        PyErr_SetString(PyExc_TypeError, "activate() takes a Core or None");
        return NULL;
    }
    avz_current = (Core *)core; /* borrowed: the core clears it when it finishes or dies */
    Py_RETURN_NONE;
}

static PyMethodDef module_methods[] = {
    {"sent", (PyCFunction)sent, METH_O, "__avz_sent__ of rewritten cell code."},
    {"activate", (PyCFunction)activate, METH_O, "The core rewritten cell code reports to (or None)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef native_module = {
    PyModuleDef_HEAD_INIT, "asyncviz.recording._native",
    "The native recording core (see asyncviz/recording/csrc/native.h).", -1, module_methods,
};

static int add_constants(PyObject *m)
{
    PyObject *d = Py_BuildValue(
        "{s:i,s:i,s:i,s:i, s:i,s:i,s:i,s:i,s:i, s:i,s:i,s:i,s:i,s:i,s:i,s:i,s:i, s:i,s:i,s:i,"
        "s:I,s:I,s:L,s:i,s:i,s:i,s:n}",
        "CREATED", S_CREATED, "RUNNING", S_RUNNING, "SUSPENDED", S_SUSPENDED, "CLOSED", S_CLOSED,
        "GENERATOR", O_GENERATOR, "COROUTINE", O_COROUTINE, "ASYNC_GENERATOR", O_ASYNC_GENERATOR,
        "TASK", O_TASK, "FUTURE", O_FUTURE,
        "OUT", D_OUT, "RECORD", D_RECORD, "CREATE_TASK", D_CREATE_TASK, "SELECT", D_SELECT,
        "UNAWAITED", D_UNAWAITED, "TASK_NAME", D_TASK_NAME, "CANCELS", D_CANCELS, "WAITS", D_WAITS,
        "START", W_START, "RETURN", W_RETURN, "RAISE", W_RAISE,
        "NO_VALUE", NO_VALUE, "INLINE_INT", INLINE_INT, "INLINE_BIAS", (long long)INLINE_BIAS,
        "OBJECT_COST", OBJECT_COST, "STRING_COST_BYTES", STRING_COST_BYTES,
        "K_CANCEL", K_CANCEL, "RECORD_SIZE", (Py_ssize_t)sizeof(Record));
    if (d == NULL)
        return -1;
    return PyModule_AddObject(m, "CONSTANTS", d);
}

/* what this interpreter cannot run the native core on (NULL: nothing) */
static const char *problem(void)
{
    const uint16_t probe = 1;
    if (*(const uint8_t *)&probe != 1)
        return "this machine is big-endian; the native core writes little-endian records";
    if (tracehook_setup() < 0)
        return "the frame layout check for the trace hook failed on this interpreter";
    return NULL;
}

static int add_names(PyObject *m)
{
    const char *why = problem();
    Py_INCREF(&CoreType);
    if (PyModule_AddObject(m, "Core", (PyObject *)&CoreType) < 0) {
        Py_DECREF(&CoreType);
        return -1;
    }
    if (PyModule_AddIntConstant(m, "ABI", ABI_VERSION) < 0
        || PyModule_AddStringConstant(m, "CLOCK", avz_clock_name()) < 0
        || PyModule_AddIntConstant(m, "MONITORING", AVZ_MONITORING) < 0)
        return -1;
    if (why != NULL)
        return PyModule_AddStringConstant(m, "PROBLEM", why);
    return PyModule_AddObject(m, "PROBLEM", Py_NewRef(Py_None));
}

PyMODINIT_FUNC
PyInit__native(void)
{
    PyObject *m = PyModule_Create(&native_module);
    if (m == NULL)
        return NULL;
    if (PyType_Ready(&RecordBufferType) < 0 || coretype_ready() < 0 || learn_opcodes() < 0
        || codeinfo_setup() < 0 || avz_clock_setup() < 0 || add_constants(m) < 0
        || add_names(m) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
