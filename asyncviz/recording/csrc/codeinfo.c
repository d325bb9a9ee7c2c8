/* What a code object's bytecode says about its suspension points, kept on the code
 * object itself (PEP 523's co_extra): no hashing of code objects per event, and it dies
 * with the code.  The decision (recorded or not) is keyed by the core that made it, so a
 * new trace with another scope asks again.
 *
 * Offsets are in bytes, as sys.monitoring and f_lasti give them.  A YIELD_VALUE is part
 * of a `yield from` / `await` when the RESUME after it says so (oparg 2 or 3); the
 * units of a SEND (with its inline caches) are where a delegating frame stands while the
 * iterator it delegates to runs. */
#include "native.h"

Opcodes avz_op = {-1, -1, -1, -1, -1, -1};
static Py_ssize_t extra_index = -1;

static void codeinfo_free(void *p)
{
    CodeInfo *ci = (CodeInfo *)p;
    if (ci == NULL)
        return;
    PyMem_RawFree(ci->code);
    PyMem_RawFree(ci->flags);
    PyMem_RawFree(ci->lines);
    PyMem_RawFree(ci);
}

int codeinfo_setup(void)
{
    if (extra_index >= 0)
        return 0;
    extra_index = avz_RequestCodeExtraIndex(codeinfo_free);
    if (extra_index < 0) {
        PyErr_SetString(PyExc_RuntimeError,
                        "no free co_extra slot for asyncviz's code information");
        return -1;
    }
    return 0;
}

static uint8_t kind_of(int flags)
{
    if (flags & CO_ASYNC_GENERATOR)
        return O_ASYNC_GENERATOR;
    if (flags & CO_COROUTINE)
        return O_COROUTINE;
    return O_GENERATOR;
}

static CodeInfo *build(PyObject *code)
{
    PyObject *bytes = PyCode_GetCode((PyCodeObject *)code);
    if (bytes == NULL)
        return NULL;
    Py_ssize_t size = PyBytes_GET_SIZE(bytes);
    Py_ssize_t n = size / 2;
    CodeInfo *ci = PyMem_RawCalloc(1, sizeof(CodeInfo));
    uint8_t *raw = PyMem_RawMalloc((size_t)(size ? size : 1));
    uint8_t *flags = PyMem_RawCalloc((size_t)(n ? n : 1), 1);
    int32_t *lines = PyMem_RawMalloc((size_t)(n ? n : 1) * sizeof(int32_t));
    if (ci == NULL || raw == NULL || flags == NULL || lines == NULL) {
        PyMem_RawFree(ci);
        PyMem_RawFree(raw);
        PyMem_RawFree(flags);
        PyMem_RawFree(lines);
        Py_DECREF(bytes);
        PyErr_NoMemory();
        return NULL;
    }
    memcpy(raw, PyBytes_AS_STRING(bytes), (size_t)size);
    Py_DECREF(bytes);
    ci->code = raw;
    ci->flags = flags;
    ci->lines = lines;
    ci->n_units = n;
    ci->epoch = 0;
    ci->decision = D_OUT;
    PyCodeObject *co = (PyCodeObject *)code;
    ci->kind = kind_of(co->co_flags);
    ci->firstlineno = co->co_firstlineno;
    ci->start = 0;
    int found_start = 0, current = -1;
    for (Py_ssize_t i = 0; i < n; i++) {
        int op = raw[2 * i];
        lines[i] = INT32_MIN;
        if (op != avz_op.cache)
            current = op;
        if (current == avz_op.send)
            flags[i] |= F_IN_SEND;
        if (!found_start && op == avz_op.resume) {
            ci->start = (int32_t)(2 * i);
            found_start = 1;
        }
    }
    return ci;
}

CodeInfo *codeinfo_of(PyObject *code)
{
    void *extra = NULL;
    if (avz_Code_GetExtra(code, extra_index, &extra) < 0)
        return NULL;
    if (extra != NULL)
        return (CodeInfo *)extra;
    CodeInfo *ci = build(code);
    if (ci == NULL)
        return NULL;
    if (avz_Code_SetExtra(code, extra_index, ci) < 0) {
        codeinfo_free(ci);
        return NULL;
    }
    return ci;
}

int32_t codeinfo_line(CodeInfo *ci, PyObject *code, int offset)
{
    if (offset < 0)
        return 0;
    Py_ssize_t i = offset / 2;
    if (i >= ci->n_units)
        return 0;
    int32_t line = ci->lines[i];
    if (line == INT32_MIN) {
        /* the line of this unit, or of the nearest unit before it that has one */
        line = -1;
        for (Py_ssize_t j = i; j >= 0 && line < 0; j--)
            line = PyCode_Addr2Line((PyCodeObject *)code, (int)(2 * j));
        if (line < 0)
            line = ci->firstlineno;
        ci->lines[i] = line;
    }
    return line;
}

int codeinfo_opcode(const CodeInfo *ci, int offset)
{
    if (offset < 0 || offset / 2 >= ci->n_units)
        return -1;
    return ci->code[offset & ~1];
}

int codeinfo_resume_arg(const CodeInfo *ci, int offset)
{
    if (offset < 0 || offset / 2 >= ci->n_units || ci->code[offset & ~1] != avz_op.resume)
        return -1;
    return ci->code[(offset & ~1) + 1] & 3;
}

int codeinfo_delegating(CodeInfo *ci, int offset)
{
    Py_ssize_t i = offset / 2;
    if (offset < 0 || i >= ci->n_units)
        return 0;
    uint8_t f = ci->flags[i];
    if (!(f & F_SITE_KNOWN)) {
        Py_ssize_t j = i + 1;
        while (j < ci->n_units && ci->code[2 * j] == avz_op.cache)
            j++;
        int delegating = j < ci->n_units && ci->code[2 * j] == avz_op.resume
                         && ((ci->code[2 * j + 1] & 3) == 2 || (ci->code[2 * j + 1] & 3) == 3);
        f |= F_SITE_KNOWN | (delegating ? F_DELEGATING : 0);
        ci->flags[i] = f;
    }
    return (f & F_DELEGATING) != 0;
}
