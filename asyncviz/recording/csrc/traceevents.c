/* Python 3.11: what each trace-hook event means (see tracehook.c for the hook itself).
 *
 * A 'call' at a RESUME is a start (oparg 0) or a resume; at the YIELD_VALUE it is an
 * exception thrown in, which arrives with the next 'exception'; a 'return' is a yield or a
 * return by the opcode at f_lasti, otherwise the exception unwinding.  It mirrors
 * recording/pysettrace.py. */
#include "native.h"

#if !AVZ_MONITORING

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

static inline int is_return_op(int op)
{
    return op == avz_op.return_value || (avz_op.return_const >= 0 && op == avz_op.return_const);
}

/* ---- 'call': a frame starts or resumes ----------------------------------------------- */

/* an exception thrown in at the YIELD_VALUE (or before the first RESUME): it arrives with
 * the next 'exception' event */
static void note_pending_throw(Core *c, PyFrameObject *frame, PyObject *code, CodeInfo *ci,
                               int lasti)
{
    int32_t oid = object_of_frame(c, (PyObject *)frame);
    int32_t line;
    if (oid >= 0) {
        line = c->objs[oid].line;
    }
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

/* a recorded frame runs: which transition it is, by where it stands */
static void enter_recorded(Core *c, PyFrameObject *frame, PyObject *code, CodeInfo *ci)
{
    int lasti = PyFrame_GetLasti(frame);
    int arg = codeinfo_resume_arg(ci, lasti);
    if (arg == 0) {
        ev_start(c, (PyObject *)frame, code, ci, lasti);
    }
    else if (arg > 0) {
        ev_resume(c, (PyObject *)frame, code, ci, lasti);
    }
    else if (lasti > ci->start && codeinfo_opcode(ci, lasti) != avz_op.yield_value) {
        /* back at its SEND after the iterator it delegates to ended on the throw path:
         * a resume if that returned, a throw if it raised (the next event tells) */
        ev_resume(c, (PyObject *)frame, code, ci, lasti);
        struct Aux *a = aux_get(c, frame, 1);
        if (a != NULL) {
            a->flags |= A_MAYBE;
            a->maybe_lasti = lasti;
        }
    }
    else {
        note_pending_throw(c, frame, code, ci, lasti);
    }
}

/* a frame the core knows, resumed at a RESUME: no question about its code */
static int resumed_known(Core *c, PyFrameObject *frame, PyObject *code)
{
    int32_t oid = object_of_frame(c, (PyObject *)frame);
    if (oid < 0 || c->objs[oid].state != S_SUSPENDED || c->objs[oid].info == NULL)
        return 0;
    int lasti = PyFrame_GetLasti(frame);
    if (codeinfo_resume_arg(c->objs[oid].info, lasti) <= 0)
        return 0;
    ev_resume_of(c, oid, (PyObject *)frame, code, c->objs[oid].info, lasti);
    return 1;
}

static int call_generator(Core *c, PyFrameObject *frame, PyObject *code)
{
    if (resumed_known(c, frame, code))
        return 1;
    CodeInfo *ci = codeinfo_of(code);
    if (ci == NULL) {
        core_report(c, "code information");
        return 0;
    }
    int d = ci->epoch == c->epoch ? ci->decision : core_decide(c, ci, code, (PyObject *)frame);
    if (d > D_RECORD) { /* a stdlib coroutine watched for asyncio: each step starts it */
        ev_special_start(c, d, (PyObject *)frame);
        return 1;
    }
    if (d != D_RECORD)
        return c->n_roots > 0; /* maybe a task's coroutine: its end matters */
    enter_recorded(c, frame, code, ci);
    return 1;
}

/* returns 1 when the frame wants its later events (for the Python-level mode) */
int th_call(Core *c, PyFrameObject *frame)
{
    th_set_flag(frame, th_off_lines, 0);
    PyObject *code = (PyObject *)PyFrame_GetCode(frame);
    int wants = 0;
    if (((PyCodeObject *)code)->co_flags & GEN_FLAGS) {
        wants = call_generator(c, frame, code);
    }
    else {
        int d = c->n_special ? ev_special_decision(c, code) : D_OUT;
        if (d != D_OUT) {
            ev_special_start(c, d, (PyObject *)frame);
            wants = 1;
        }
    }
    Py_DECREF(code);
    return wants;
}

/* ---- 'return': a yield, a return, or an exception leaving the frame ------------------- */

/* the common case: a running object the core knows yields or returns, and no exception is
 * in the air (no notes about any frame) */
static int return_fast(Core *c, PyFrameObject *frame, PyObject *code, PyObject *arg)
{
    if (!(((PyCodeObject *)code)->co_flags & GEN_FLAGS) || c->aux.used != 0)
        return 0;
    int32_t oid = running_object(c, (PyObject *)frame);
    if (oid < 0 || c->objs[oid].state != S_RUNNING || c->objs[oid].info == NULL)
        return 0;
    CodeInfo *ci = c->objs[oid].info;
    int lasti = PyFrame_GetLasti(frame);
    int op = codeinfo_opcode(ci, lasti);
    if (op == avz_op.yield_value)
        ev_yield_of(c, oid, (PyObject *)frame, code, ci, lasti, arg);
    else if (is_return_op(op))
        ev_return(c, (PyObject *)frame, code, ci, lasti, arg);
    else
        return 0;
    return 1;
}

static PyObject *take_raised(Core *c, PyFrameObject *frame, struct Aux *a)
{
    if (a == NULL || !(a->flags & A_RAISED))
        return NULL;
    PyObject *exc = a->raised;
    a->raised = NULL;
    a->flags &= ~A_RAISED;
    aux_done(c, frame, a);
    return exc;
}

/* watched stdlib code returned, or an exception is leaving it (the 'exception' event may
 * have been one it handled: the opcode it leaves at tells) */
static void return_watched(Core *c, PyFrameObject *frame, PyObject *code, int d, PyObject *arg)
{
    Py_XDECREF(take_raised(c, frame, aux_get(c, frame, 0)));
    CodeInfo *ci = codeinfo_of(code);
    int op = ci ? codeinfo_opcode(ci, PyFrame_GetLasti(frame)) : -1;
    PyErr_Clear();
    if (is_return_op(op))
        ev_special(c, d, W_RETURN, (PyObject *)frame, arg);
    else
        ev_special(c, d, W_RAISE, (PyObject *)frame, NULL);
}

/* an unrecorded coroutine: only its end matters, if it ends a task.  An exception event
 * may have been handled (a future's StopIteration inside `await`): the opcode it leaves at
 * tells a return, a yield and an unwind apart */
static void return_root(Core *c, PyFrameObject *frame, PyObject *code, CodeInfo *ci,
                        int lasti, PyObject *arg)
{
    PyObject *exc = take_raised(c, frame, aux_get(c, frame, 0));
    int op = codeinfo_opcode(ci, lasti);
    if (is_return_op(op))
        ev_return(c, (PyObject *)frame, code, ci, lasti, arg);
    else if (op != avz_op.yield_value)
        ev_unwind(c, (PyObject *)frame, code, ci, lasti, exc, 0, 0, 0);
    Py_XDECREF(exc);
}

static void return_recorded(Core *c, PyFrameObject *frame, PyObject *code, CodeInfo *ci,
                            int lasti, PyObject *arg)
{
    struct Aux *a = aux_get(c, frame, 0);
    int op = codeinfo_opcode(ci, lasti);
    if (a != NULL) {
        a->flags &= ~A_MAYBE;
        if (a->flags & A_THROWN) { /* thrown in, no instruction since: it is unwinding */
            a->flags &= ~A_THROWN;
            th_set_flag(frame, th_off_opcodes, 0);
            op = -1;
        }
    }
    if (op == avz_op.yield_value) {
        ev_yield(c, (PyObject *)frame, code, ci, lasti, arg);
    }
    else if (is_return_op(op)) {
        ev_return(c, (PyObject *)frame, code, ci, lasti, arg);
    }
    else {
        int has = a != NULL && (a->flags & A_EXC);
        uint32_t described = has ? a->exc_value : c->values ? c->none_index : NO_VALUE;
        ev_unwind(c, (PyObject *)frame, code, ci, lasti, NULL, 1, described,
                  has ? a->exc_line : 0);
    }
    a = aux_get(c, frame, 0); /* Python may have run: look again */
    if (a != NULL) {
        a->flags &= ~A_EXC;
        aux_done(c, frame, a);
    }
}

void th_return(Core *c, PyFrameObject *frame, PyObject *arg)
{
    PyObject *code = (PyObject *)PyFrame_GetCode(frame);
    int d;
    if (return_fast(c, frame, code, arg) || !watched(c, code, &d)) {
        Py_DECREF(code);
        return;
    }
    if (!(((PyCodeObject *)code)->co_flags & GEN_FLAGS) || d > D_RECORD) {
        return_watched(c, frame, code, d, arg);
    }
    else if (d == D_RECORD || c->n_roots > 0) {
        CodeInfo *ci = codeinfo_of(code);
        int lasti = PyFrame_GetLasti(frame);
        if (ci == NULL)
            PyErr_Clear();
        else if (d == D_RECORD)
            return_recorded(c, frame, code, ci, lasti, arg);
        else
            return_root(c, frame, code, ci, lasti, arg);
    }
    Py_DECREF(code);
}

/* ---- 'exception' ------------------------------------------------------------------------ */

static void note_exc(Core *c, PyFrameObject *frame, PyObject *exc, PyObject *tb)
{
    struct Aux *a = aux_get(c, frame, 1);
    if (a == NULL)
        return;
    uint32_t v = core_value(c, exc);
    a = aux_get(c, frame, 1); /* Python may have run: look again */
    if (a == NULL)
        return;
    a->exc_value = v;
    a->exc_line = traceback_line(tb, (PyObject *)frame, 1);
    a->flags |= A_EXC;
}

static void exception_recorded(Core *c, PyFrameObject *frame, PyObject *code, PyObject *exc,
                               PyObject *tb)
{
    CodeInfo *ci = codeinfo_of(code);
    int lasti = PyFrame_GetLasti(frame);
    struct Aux *a = aux_get(c, frame, 0);
    if (ci == NULL) {
        PyErr_Clear();
        return;
    }
    if (a != NULL && (a->flags & A_MAYBE) && a->maybe_lasti == lasti) {
        a->flags &= ~A_MAYBE; /* re-entered at its SEND, and the iterator raised: a throw */
        ev_retype_as_throw(c, (PyObject *)frame, exc);
        note_exc(c, frame, exc, tb);
    }
    else if (a != NULL && (a->flags & A_PENDING)) {
        int64_t t = a->pending_t;
        int32_t line = a->pending_line;
        a->flags &= ~(A_PENDING | A_MAYBE);
        ev_throw(c, (PyObject *)frame, code, ci, exc, t, line);
        note_exc(c, frame, exc, tb);
        a = aux_get(c, frame, 1);
        if (a != NULL) {
            a->flags |= A_THROWN;
            th_set_flag(frame, th_off_opcodes, 1);
        }
    }
    else {
        if (a != NULL)
            a->flags &= ~A_MAYBE;
        if (object_of_frame(c, (PyObject *)frame) >= 0)
            note_exc(c, frame, exc, tb); /* where it was raised: a finally moves f_lasti */
        else if (a != NULL)
            aux_done(c, frame, a);
    }
}

void th_exception(Core *c, PyFrameObject *frame, PyObject *arg)
{
    if (arg == NULL || !PyTuple_Check(arg) || PyTuple_GET_SIZE(arg) < 3)
        return;
    PyObject *exc = PyTuple_GET_ITEM(arg, 1), *tb = PyTuple_GET_ITEM(arg, 2);
    PyObject *code = (PyObject *)PyFrame_GetCode(frame);
    int d;
    int is_gen = ((PyCodeObject *)code)->co_flags & GEN_FLAGS;
    if (!watched(c, code, &d) || (d == D_OUT && (!is_gen || c->n_roots == 0))) {
        Py_DECREF(code);
        return;
    }
    if (d == D_RECORD) {
        exception_recorded(c, frame, code, exc, tb);
    }
    else { /* watched stdlib code, or a coroutine that may end a task: what is leaving */
        struct Aux *a = aux_get(c, frame, 1);
        if (a != NULL) {
            Py_XSETREF(a->raised, Py_NewRef(exc));
            a->flags |= A_RAISED;
        }
    }
    Py_DECREF(code);
}

#endif
