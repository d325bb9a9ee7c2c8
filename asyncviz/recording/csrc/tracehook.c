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

enum { A_PENDING = 1, A_EXC = 2, A_THROWN = 4, A_MAYBE = 8, A_RAISED = 16 };

static Py_ssize_t off_lines = -1, off_opcodes = -1;

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
    if (find_flag(frame, "f_trace_lines", 1, 0, &off_lines) < 0
        || find_flag(frame, "f_trace_opcodes", 0, 1, &off_opcodes) < 0) {
        PyErr_Clear();
        off_lines = off_opcodes = -1;
        return -1;
    }
    return 0;
}

static inline void set_flag(PyFrameObject *frame, Py_ssize_t off, char value)
{
    if (off >= 0 && Py_IS_TYPE(frame, &PyFrame_Type))
        ((char *)frame)[off] = value;
}

/* ---- notes per frame ----------------------------------------------------------------- */

static struct Aux *aux_get(Core *c, PyFrameObject *frame, int create)
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

static void aux_done(Core *c, PyFrameObject *frame, struct Aux *a)
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

static int watched(Core *c, PyObject *code, int *decision)
{
    if (!(((PyCodeObject *)code)->co_flags & GEN_FLAGS)) {
        *decision = c->n_special ? ev_special_decision(c, code) : D_OUT;
        return *decision != D_OUT;
    }
    CodeInfo *ci = codeinfo_of(code);
    if (ci == NULL) {
        PyErr_Clear();
        *decision = D_OUT;
        return 0;
    }
    *decision = ci->epoch == c->epoch ? ci->decision : D_OUT;
    return 1;
}

/* 'call': returns 1 when the frame wants its later events (for the Python-level mode) */
static int on_call(Core *c, PyFrameObject *frame)
{
    set_flag(frame, off_lines, 0);
    PyObject *code = (PyObject *)PyFrame_GetCode(frame);
    int flags = ((PyCodeObject *)code)->co_flags;
    int wants = 0;
    if (!(flags & GEN_FLAGS)) {
        int d = c->n_special ? ev_special_decision(c, code) : D_OUT;
        if (d != D_OUT) {
            ev_special_start(c, d, (PyObject *)frame);
            wants = 1;
        }
        Py_DECREF(code);
        return wants;
    }
    /* a frame the core knows, resumed at a RESUME: no question about its code */
    int32_t oid = ev_known(c, (PyObject *)frame);
    if (oid >= 0 && c->objs[oid].state == S_SUSPENDED && c->objs[oid].info != NULL) {
        int lasti = PyFrame_GetLasti(frame);
        if (codeinfo_resume_arg(c->objs[oid].info, lasti) > 0) {
            ev_resume_of(c, oid, (PyObject *)frame, code, c->objs[oid].info, lasti);
            Py_DECREF(code);
            return 1;
        }
    }
    CodeInfo *ci = codeinfo_of(code);
    if (ci == NULL) {
        core_report(c, "code information");
        Py_DECREF(code);
        return 0;
    }
    int d = ci->epoch == c->epoch ? ci->decision : core_decide(c, ci, code, (PyObject *)frame);
    if (d != D_RECORD) {
        Py_DECREF(code);
        return c->n_roots > 0;
    }
    int lasti = PyFrame_GetLasti(frame);
    int arg = codeinfo_resume_arg(ci, lasti);
    if (arg == 0) {
        ev_start(c, (PyObject *)frame, code, ci, lasti);
    }
    else if (arg > 0) {
        ev_resume(c, (PyObject *)frame, code, ci, lasti);
    }
    else if (lasti > ci->start && codeinfo_opcode(ci, lasti) != avz_op.yield_value) {
        ev_resume(c, (PyObject *)frame, code, ci, lasti);
        struct Aux *a = aux_get(c, frame, 1);
        if (a != NULL) {
            a->flags |= A_MAYBE;
            a->maybe_lasti = lasti;
        }
    }
    else { /* at the YIELD_VALUE, or before the first RESUME: an exception thrown in */
        int32_t oid = ptrmap_get(&c->map, frame, -1);
        int32_t line;
        if (oid >= 0 && !(oid & ROOT_FLAG))
            line = c->objs[oid].line;
        else {
            line = codeinfo_line(ci, code, lasti);
            if (line == 0)
                line = ci->firstlineno;
        }
        struct Aux *a = aux_get(c, frame, 1);
        if (a != NULL) {
            a->flags |= A_PENDING;
            a->pending_t = core_now(c);
            a->pending_line = line;
        }
    }
    Py_DECREF(code);
    return 1;
}

static void on_return(Core *c, PyFrameObject *frame, PyObject *arg)
{
    PyObject *code = (PyObject *)PyFrame_GetCode(frame);
    if ((((PyCodeObject *)code)->co_flags & GEN_FLAGS) && c->aux.used == 0) {
        /* the common case: a running object the core knows yields or returns, and no
         * exception is in the air (no notes about any frame) */
        int32_t oid = ev_running(c, (PyObject *)frame);
        if (oid >= 0 && c->objs[oid].state == S_RUNNING && c->objs[oid].info != NULL) {
            CodeInfo *ci = c->objs[oid].info;
            int lasti = PyFrame_GetLasti(frame);
            int op = codeinfo_opcode(ci, lasti);
            if (op == avz_op.yield_value) {
                ev_yield_of(c, oid, (PyObject *)frame, code, ci, lasti, arg);
                Py_DECREF(code);
                return;
            }
            if (op == avz_op.return_value || (avz_op.return_const >= 0 && op == avz_op.return_const)) {
                ev_return(c, (PyObject *)frame, code, ci, lasti, arg);
                Py_DECREF(code);
                return;
            }
        }
    }
    int d;
    if (!watched(c, code, &d)) {
        Py_DECREF(code);
        return;
    }
    int is_gen = ((PyCodeObject *)code)->co_flags & GEN_FLAGS;
    if (is_gen && d != D_RECORD && c->n_roots == 0) {
        Py_DECREF(code);
        return;
    }
    struct Aux *a = aux_get(c, frame, 0);
    if (!is_gen) { /* watched stdlib code: returned, or an exception is leaving it */
        if (a != NULL && (a->flags & A_RAISED)) {
            a->flags &= ~A_RAISED;
            Py_CLEAR(a->raised);
            aux_done(c, frame, a);
        }
        CodeInfo *wci = codeinfo_of(code);
        int wop = wci ? codeinfo_opcode(wci, PyFrame_GetLasti(frame)) : -1;
        PyErr_Clear();
        if (wop == avz_op.return_value || (avz_op.return_const >= 0 && wop == avz_op.return_const))
            ev_special(c, d, W_RETURN, (PyObject *)frame, arg);
        else
            ev_special(c, d, W_RAISE, (PyObject *)frame, NULL);
        Py_DECREF(code);
        return;
    }
    CodeInfo *ci = codeinfo_of(code);
    int lasti = PyFrame_GetLasti(frame);
    if (ci == NULL) {
        PyErr_Clear();
        Py_DECREF(code);
        return;
    }
    int op = codeinfo_opcode(ci, lasti);
    int is_return = op == avz_op.return_value || (avz_op.return_const >= 0 && op == avz_op.return_const);
    if (d != D_RECORD) { /* an unrecorded coroutine: only its end matters, if it ends a task */
        PyObject *exc = NULL;
        if (a != NULL && (a->flags & A_RAISED)) {
            exc = a->raised;
            a->raised = NULL;
            a->flags &= ~A_RAISED;
            aux_done(c, frame, a);
        }
        /* an exception event may have been handled (a future's StopIteration inside
         * `await`): the opcode it leaves at tells a return, a yield and an unwind apart */
        if (is_return)
            ev_return(c, (PyObject *)frame, code, ci, lasti, arg);
        else if (op != avz_op.yield_value)
            ev_unwind(c, (PyObject *)frame, code, ci, lasti, exc, 0, 0, 0);
        Py_XDECREF(exc);
        Py_DECREF(code);
        return;
    }
    if (a != NULL) {
        a->flags &= ~A_MAYBE;
        if (a->flags & A_THROWN) {
            a->flags &= ~A_THROWN;
            set_flag(frame, off_opcodes, 0);
            op = -1;
            is_return = 0;
        }
    }
    if (op == avz_op.yield_value) {
        ev_yield(c, (PyObject *)frame, code, ci, lasti, arg);
    }
    else if (is_return) {
        ev_return(c, (PyObject *)frame, code, ci, lasti, arg);
    }
    else {
        uint32_t described = c->values ? c->none_index : NO_VALUE;
        int32_t line = 0;
        if (a != NULL && (a->flags & A_EXC)) {
            described = a->exc_value;
            line = a->exc_line;
        }
        ev_unwind(c, (PyObject *)frame, code, ci, lasti, NULL, 1, described, line);
    }
    a = aux_get(c, frame, 0); /* Python may have run: look again */
    if (a != NULL) {
        a->flags &= ~A_EXC;
        aux_done(c, frame, a);
    }
    Py_DECREF(code);
}

static void note_exc(Core *c, struct Aux *a, PyObject *exc, PyObject *tb, PyFrameObject *frame)
{
    a->exc_value = core_value(c, exc);
    a->exc_line = traceback_line(tb, (PyObject *)frame, 1);
    a->flags |= A_EXC;
}

static void on_exception(Core *c, PyFrameObject *frame, PyObject *arg)
{
    if (arg == NULL || !PyTuple_Check(arg) || PyTuple_GET_SIZE(arg) < 3)
        return;
    PyObject *exc = PyTuple_GET_ITEM(arg, 1), *tb = PyTuple_GET_ITEM(arg, 2);
    PyObject *code = (PyObject *)PyFrame_GetCode(frame);
    int d;
    int flags = ((PyCodeObject *)code)->co_flags;
    if (!watched(c, code, &d) || (d == D_OUT && (!(flags & GEN_FLAGS) || c->n_roots == 0))) {
        Py_DECREF(code);
        return;
    }
    if (d != D_RECORD) { /* watched stdlib code, or a coroutine that may end a task */
        struct Aux *a = aux_get(c, frame, 1);
        if (a != NULL) {
            Py_XSETREF(a->raised, Py_NewRef(exc));
            a->flags |= A_RAISED;
        }
        Py_DECREF(code);
        return;
    }
    CodeInfo *ci = codeinfo_of(code);
    int lasti = PyFrame_GetLasti(frame);
    struct Aux *a = aux_get(c, frame, 0);
    if (ci == NULL) {
        PyErr_Clear();
    }
    else if (a != NULL && (a->flags & A_MAYBE) && a->maybe_lasti == lasti) {
        a->flags &= ~A_MAYBE;
        ev_retype_as_throw(c, (PyObject *)frame, exc);
        a = aux_get(c, frame, 1);
        if (a != NULL)
            note_exc(c, a, exc, tb, frame);
    }
    else if (a != NULL && (a->flags & A_PENDING)) {
        int64_t t = a->pending_t;
        int32_t line = a->pending_line;
        a->flags &= ~(A_PENDING | A_MAYBE);
        ev_throw(c, (PyObject *)frame, code, ci, exc, t, line);
        a = aux_get(c, frame, 1);
        if (a != NULL) {
            note_exc(c, a, exc, tb, frame);
            a->flags |= A_THROWN;
            set_flag(frame, off_opcodes, 1);
        }
    }
    else {
        if (a != NULL)
            a->flags &= ~A_MAYBE;
        int32_t oid = ptrmap_get(&c->map, frame, -1);
        if (oid >= 0 && !(oid & ROOT_FLAG)) {
            /* where it was raised: a finally it passes through moves f_lasti */
            a = aux_get(c, frame, 1);
            if (a != NULL)
                note_exc(c, a, exc, tb, frame);
        }
        else if (a != NULL) {
            aux_done(c, frame, a);
        }
    }
    Py_DECREF(code);
}

static int trace_func(PyObject *obj, PyFrameObject *frame, int what, PyObject *arg)
{
    Core *c = (Core *)obj;
    if (!c->active)
        return 0;
    switch (what) {
    case PyTrace_CALL:
        on_call(c, frame);
        break;
    case PyTrace_RETURN:
        on_return(c, frame, arg ? arg : Py_None);
        break;
    case PyTrace_EXCEPTION:
        on_exception(c, frame, arg);
        break;
    case PyTrace_LINE:
        set_flag(frame, off_lines, 0); /* a frame that began before the trace */
        break;
    case PyTrace_OPCODE: { /* the thrown exception is being handled */
        struct Aux *a = aux_get(c, frame, 0);
        if (a != NULL) {
            a->flags &= ~A_THROWN;
            aux_done(c, frame, a);
        }
        set_flag(frame, off_opcodes, 0);
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
        int wants = on_call(c, f);
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
    if (off_lines < 0) {
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
