/* Python 3.12+: the sys.monitoring callbacks, in C (METH_FASTCALL: ~45 ns a call where a
 * Python callback costs ~150 ns before it does anything).
 *
 * PY_START and PY_RESUME are set globally: ordinary code answers DISABLE at its first
 * call and costs nothing after; the stdlib code watched for asyncio is recognised first
 * (never DISABLEd).  Code in scope gets PY_YIELD and PY_RETURN as local events (the
 * Python backend sets them when the core decides).  PY_THROW and PY_UNWIND cannot be
 * local nor DISABLEd: they filter on the code's flags and decision.  DISABLE is per code
 * location for all threads, so other threads are filtered by a plain check, never by
 * DISABLE.  A callback never raises: an error is reported and the program goes on. */
#include "native.h"

#if AVZ_MONITORING

static inline int this_thread(Core *c)
{
    return c->active && PyThread_get_thread_ident() == c->thread;
}

/* the code's decision in this trace (asking the registry once), -1 on error */
static inline int decision_of(Core *c, PyObject *code, CodeInfo **ci_out, PyObject *frame)
{
    CodeInfo *ci = codeinfo_of(code);
    if (ci == NULL) {
        core_report(c, "code information");
        return -1;
    }
    *ci_out = ci;
    if (ci->epoch != c->epoch) {
        if (frame == NULL)
            frame = (PyObject *)PyEval_GetFrame();
        return core_decide(c, ci, code, frame);
    }
    return ci->decision;
}

static inline int code_flags(PyObject *code)
{
    return ((PyCodeObject *)code)->co_flags;
}

static PyObject *py_start(Core *c, PyObject *const *args, Py_ssize_t nargs)
{
    PyObject *code = args[0];
    if (!(code_flags(code) & GEN_FLAGS)) {
        int d = c->n_special ? ev_special_decision(c, code) : D_OUT;
        if (d == D_OUT) {
            if (c->watch_calls != NULL) /* a cancel() call it makes is seen */
                ev_watch_calls(c, code, (PyObject *)PyEval_GetFrame());
            return Py_NewRef(c->disable); /* ordinary code: never asked again */
        }
        if (this_thread(c))
            ev_special_start(c, d, (PyObject *)PyEval_GetFrame());
        Py_RETURN_NONE;
    }
    CodeInfo *ci;
    PyFrameObject *frame = PyEval_GetFrame();
    int d = decision_of(c, code, &ci, (PyObject *)frame);
    if (d != D_RECORD)
        return d < 0 ? Py_NewRef(Py_None) : Py_NewRef(c->disable);
    if (!this_thread(c) || frame == NULL)
        Py_RETURN_NONE;
    ev_start(c, (PyObject *)frame, code, ci, (int)small_int(args[1]));
    Py_RETURN_NONE;
}

static PyObject *py_resume(Core *c, PyObject *const *args, Py_ssize_t nargs)
{
    PyObject *code = args[0];
    if (!(code_flags(code) & GEN_FLAGS))
        return Py_NewRef(c->disable);
    PyFrameObject *frame = PyEval_GetFrame();
    if (this_thread(c) && frame != NULL) {
        /* a frame the core knows is in scope: no need to ask about its code */
        int32_t oid = object_of_frame(c, (PyObject *)frame);
        if (oid >= 0 && c->objs[oid].state == S_SUSPENDED && c->objs[oid].info != NULL) {
            ev_resume_of(c, oid, (PyObject *)frame, code, c->objs[oid].info,
                         (int)small_int(args[1]));
            Py_RETURN_NONE;
        }
    }
    CodeInfo *ci;
    int d = decision_of(c, code, &ci, (PyObject *)frame);
    if (d != D_RECORD)
        return d < 0 ? Py_NewRef(Py_None) : Py_NewRef(c->disable);
    if (!this_thread(c) || frame == NULL)
        Py_RETURN_NONE;
    ev_resume(c, (PyObject *)frame, code, ci, (int)small_int(args[1]));
    Py_RETURN_NONE;
}

static PyObject *py_yield(Core *c, PyObject *const *args, Py_ssize_t nargs)
{
    if (!this_thread(c))
        Py_RETURN_NONE;
    PyFrameObject *frame = PyEval_GetFrame();
    if (frame == NULL)
        Py_RETURN_NONE;
    int32_t oid = running_object(c, (PyObject *)frame);
    if (oid < 0 || c->objs[oid].info == NULL)
        Py_RETURN_NONE;
    ev_yield_of(c, oid, (PyObject *)frame, args[0], c->objs[oid].info, (int)small_int(args[1]),
                args[2]);
    Py_RETURN_NONE;
}

static PyObject *py_return(Core *c, PyObject *const *args, Py_ssize_t nargs)
{
    if (!this_thread(c))
        Py_RETURN_NONE;
    PyObject *code = args[0];
    PyFrameObject *frame = PyEval_GetFrame();
    if (frame == NULL)
        Py_RETURN_NONE;
    if (!(code_flags(code) & GEN_FLAGS)) {
        int d = ev_special_decision(c, code);
        if (d != D_OUT)
            ev_special(c, d, W_RETURN, (PyObject *)frame, args[2]);
        Py_RETURN_NONE;
    }
    CodeInfo *ci = codeinfo_of(code);
    if (ci == NULL) {
        core_report(c, "a return");
        Py_RETURN_NONE;
    }
    ev_return(c, (PyObject *)frame, code, ci, (int)small_int(args[1]), args[2]);
    Py_RETURN_NONE;
}

static PyObject *py_throw(Core *c, PyObject *const *args, Py_ssize_t nargs)
{
    PyObject *code = args[0];
    if (!(code_flags(code) & GEN_FLAGS) || !c->active)
        Py_RETURN_NONE;
    CodeInfo *ci;
    PyFrameObject *frame = PyEval_GetFrame();
    if (decision_of(c, code, &ci, (PyObject *)frame) != D_RECORD || !this_thread(c)
        || frame == NULL)
        Py_RETURN_NONE;
    ev_throw(c, (PyObject *)frame, code, ci, args[2], -1, 0);
    Py_RETURN_NONE;
}

static PyObject *py_unwind(Core *c, PyObject *const *args, Py_ssize_t nargs)
{
    PyObject *code = args[0];
    if (!this_thread(c))
        Py_RETURN_NONE;
    if (!(code_flags(code) & GEN_FLAGS)) {
        int d = c->n_special ? ev_special_decision(c, code) : D_OUT;
        if (d != D_OUT)
            ev_special(c, d, W_RAISE, (PyObject *)PyEval_GetFrame(), NULL);
        Py_RETURN_NONE;
    }
    CodeInfo *ci = codeinfo_of(code);
    if (ci == NULL) {
        PyErr_Clear();
        Py_RETURN_NONE;
    }
    int recorded = ci->epoch == c->epoch && ci->decision == D_RECORD;
    if (!recorded && c->n_roots == 0)
        Py_RETURN_NONE;
    PyFrameObject *frame = PyEval_GetFrame();
    if (frame == NULL)
        Py_RETURN_NONE;
    ev_unwind(c, (PyObject *)frame, code, ci, (int)small_int(args[1]), args[2], 0, 0, 0);
    Py_RETURN_NONE;
}

PyMethodDef avz_monitor_methods[] = {
    {"py_start", (PyCFunction)(void (*)(void))py_start, METH_FASTCALL, NULL},
    {"py_resume", (PyCFunction)(void (*)(void))py_resume, METH_FASTCALL, NULL},
    {"py_yield", (PyCFunction)(void (*)(void))py_yield, METH_FASTCALL, NULL},
    {"py_return", (PyCFunction)(void (*)(void))py_return, METH_FASTCALL, NULL},
    {"py_throw", (PyCFunction)(void (*)(void))py_throw, METH_FASTCALL, NULL},
    {"py_unwind", (PyCFunction)(void (*)(void))py_unwind, METH_FASTCALL, NULL},
    {NULL, NULL, 0, NULL},
};

#else

PyMethodDef avz_monitor_methods[] = {{NULL, NULL, 0, NULL}};

#endif
