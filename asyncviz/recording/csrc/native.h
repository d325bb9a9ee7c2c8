/* The native recording core: what its parts share.
 *
 * The core owns the hot path of a recording: the interpreter's callbacks (sys.monitoring
 * on 3.12+, the trace hook on 3.11), the map from a running generator to its traced
 * object, each object's state and the running stack, the record buffer, and the values
 * it can describe without Python (None, bools, small ints, short strs, builtin
 * exceptions without arguments).  The first sight of a code object or an object, the
 * asyncio hooks and every other value go to the Python registry (recording/registry.py),
 * which the Python core (recording/pycore.py) shares: both keep the same promises, event
 * for event.
 *
 * Numbers that Python knows too (states, object kinds, decisions, record layout) are
 * checked against recording/protocol.py and trace.py by the test suite.
 */
#ifndef ASYNCVIZ_NATIVE_H
#define ASYNCVIZ_NATIVE_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <frameobject.h>
#include <stdint.h>

#if PY_VERSION_HEX < 0x030B0000
#error "asyncviz's native core needs Python 3.11 or newer"
#endif
#define AVZ_MONITORING (PY_VERSION_HEX >= 0x030C0000)

#if PY_VERSION_HEX >= 0x030C0000 /* the same functions, under their 3.12 names */
#define avz_RequestCodeExtraIndex PyUnstable_Eval_RequestCodeExtraIndex
#define avz_Code_GetExtra PyUnstable_Code_GetExtra
#define avz_Code_SetExtra PyUnstable_Code_SetExtra
#else
#define avz_RequestCodeExtraIndex _PyEval_RequestCodeExtraIndex
#define avz_Code_GetExtra _PyCode_GetExtra
#define avz_Code_SetExtra _PyCode_SetExtra
#endif

/* states (events.STATES order) */
enum { S_CREATED = 0, S_RUNNING = 1, S_SUSPENDED = 2, S_CLOSED = 3 };
/* object kinds (events.OBJECT_KINDS order) */
enum { O_GENERATOR = 0, O_COROUTINE = 1, O_ASYNC_GENERATOR = 2, O_TASK = 3, O_FUTURE = 4 };
/* event kinds (events.KINDS order: stored in records and files) */
enum { K_CREATE = 0, K_START, K_RESUME, K_THROW, K_YIELD, K_AWAIT, K_RETURN, K_RAISE,
       K_CLOSE, K_CANCEL };
/* decisions about a code object (protocol.py) */
enum { D_OUT = 0, D_RECORD = 1, D_CREATE_TASK = 2, D_SELECT = 3, D_UNAWAITED = 4,
       D_TASK_NAME = 5, D_CANCELS = 6, D_WAITS = 8 };
/* the events reported for the stdlib code watched for asyncio (tasks.py) */
enum { W_START = 0, W_RETURN = 1, W_RAISE = 2 };

#define NO_VALUE 0xFFFFFFFFu
#define INLINE_INT 0x80000000u
#define INLINE_BIAS (1LL << 30)
#define INLINE_MIN (-INLINE_BIAS)
#define INLINE_MAX (INLINE_BIAS - 2)
#define NO_TARGET (-1)
#define NUMBER_BASE 0x40000000u
#define OBJECT_COST 8
#define STRING_COST_BYTES 24
#define SHORT_STR 60
#define STR_CACHE_MAX 100000
#define GEN_FLAGS (CO_GENERATOR | CO_COROUTINE | CO_ITERABLE_COROUTINE | CO_ASYNC_GENERATOR)
#define MAX_SPECIAL 32
#define ROOT_FLAG 0x40000000  /* a map value naming a task whose unrecorded coroutine this is */

/* one event: 24 bytes, the layout of trace.RECORD ("<qIiII") on a little-endian machine */
typedef struct {
    int64_t t;
    uint32_t obj;
    int32_t target;
    uint32_t value;
    uint32_t line_kind; /* line << 8 | kind */
} Record;

/* ---- ptrmap.c: pointer -> int32, open addressing --------------------------------- */
typedef struct {
    uintptr_t key;  /* 0: empty, 1: deleted */
    int32_t value;
} PtrSlot;          /* key and value side by side: one cache line read per probe */

typedef struct {
    PtrSlot *slots;
    Py_ssize_t cap, used, filled;
    int shift;      /* 64 - log2(cap) */
} PtrMap;

int ptrmap_init(PtrMap *m);
void ptrmap_free(PtrMap *m);
int32_t ptrmap_get(const PtrMap *m, const void *key, int32_t missing);
int ptrmap_set(PtrMap *m, const void *key, int32_t value);
void ptrmap_del(PtrMap *m, const void *key);

/* ---- codeinfo.c: what a code object's bytecode says, kept on the code object -------- */
typedef struct {
    uint32_t epoch;       /* the core whose decision this is */
    uint32_t kept;        /* the core that keeps the code alive (in its `codes`) */
    int8_t decision;
    uint8_t kind;         /* object kind of its instances */
    int32_t firstlineno;
    int32_t start;        /* byte offset of the first RESUME: at or before it, not started */
    Py_ssize_t n_units;
    uint8_t *code;        /* the bytecode (2 bytes a unit: opcode, arg) */
    uint8_t *flags;       /* per unit: F_IN_SEND | F_SITE_KNOWN | F_DELEGATING */
    int32_t *lines;       /* per unit, computed on first use (INT32_MIN: not yet) */
} CodeInfo;

enum { F_IN_SEND = 1, F_SITE_KNOWN = 2, F_DELEGATING = 4 };

typedef struct {
    int resume, yield_value, send, cache, return_value, return_const;
} Opcodes;
extern Opcodes avz_op;

int codeinfo_setup(void);
CodeInfo *codeinfo_of(PyObject *code); /* NULL with an exception set */
int32_t codeinfo_line(CodeInfo *ci, PyObject *code, int offset);
int codeinfo_delegating(CodeInfo *ci, int offset);
int codeinfo_opcode(const CodeInfo *ci, int offset);
int codeinfo_resume_arg(const CodeInfo *ci, int offset); /* -1: not a RESUME */
static inline int codeinfo_in_send(const CodeInfo *ci, int offset)
{
    Py_ssize_t i = offset / 2;
    return offset >= 0 && i < ci->n_units && (ci->flags[i] & F_IN_SEND);
}

/* ---- records.c: the clock and the record buffer ------------------------------------- */
int64_t avz_ticks(void);
double avz_ns_per_tick(void);
int avz_clock_setup(void);
const char *avz_clock_name(void);

typedef struct {
    PyObject_HEAD
    Record *rec;
    Py_ssize_t cap;      /* records reserved (never moved) */
    Py_ssize_t n;        /* records written */
    Py_ssize_t committed;
    Py_ssize_t exports;
} RecordBuffer;
extern PyTypeObject RecordBufferType;
RecordBuffer *recordbuffer_new(Py_ssize_t cap);
int recordbuffer_ensure(RecordBuffer *b, Py_ssize_t n); /* committed for n records */

/* ---- tracehook.c (3.11): what the trace hook notes about a frame between its events ---- */
struct Aux {
    int64_t pending_t;     /* an exception thrown in: when, and at which line */
    int32_t pending_line;
    uint32_t exc_value;    /* the exception passing through it, described */
    int32_t exc_line;
    int32_t maybe_lasti;   /* re-entered at its SEND: a throw if an exception comes here */
    uint8_t flags;
    PyObject *raised;      /* watched stdlib code or a task's coroutine: what left it */
};

struct Number {
    int is_float;
    union {
        long long i;
        double f;
    } v;
};

/* ---- core.c: the core object ------------------------------------------------------- */
typedef struct {
    /* read at every event: first */
    uint8_t state, kind;
    uint8_t merged;        /* a cell: its statements' coroutines are its parts (merge) */
    uint8_t pending;       /* made by tasks.c, and the registry has no Traced for it yet */
    int32_t task;          /* task whose coroutine chain it belongs to, or -1 */
    int32_t root_of;       /* the task whose coroutine it is, or -1 */
    int32_t line;          /* line of its last suspension point */
    int64_t resume_at;     /* record of its last start/resume, or -1 */
    int64_t began;         /* ticks of its last start/resume/throw (the watchdog asks) */
    PyObject *frame;       /* the map knows it by its frame's address (borrowed; the frame
                            * lives as long)... */
    CodeInfo *info;        /* of its code (the code is kept alive by the core) */
    void *key;             /* ...and by its own */
    PyObject *ref;         /* weak reference to it (owned), or NULL */
    void *root_key;        /* a task: the address of its unrecorded coroutine */
    void *root_frame;      /* ...and of that coroutine's frame */
    PyObject *root_ref;    /* ... and a weak reference to that coroutine */
    /* what the registry is told when it builds the Traced of an object made by tasks.c
     * (a task and its coroutine, seen made by create_task) */
    PyObject *code;        /* its code (borrowed: the core keeps it alive), or NULL */
    int32_t parent;        /* the object that made it, or -1 */
    int32_t coro;          /* a task: its coroutine's id, or -1 */
    int8_t initial;        /* its state when first seen, if it existed before (-1: none) */
    uint8_t given;         /* a task: the program gave it a name (create_task's `name`) */
    PyObject *first_name;  /* a task: its name right after it was made (owned) */
    PyObject *last_name;   /* a task: its name as last read, at its end or by the registry */
} ObjState;

/* a create_task call running: the coroutine it was given and the task's id (-1: none) */
typedef struct {
    PyObject *coro; /* owned while the call runs */
    int32_t oid;
} Creating;

typedef struct {
    PyObject_HEAD
    /* what Python gave */
    PyObject *registry, *decide, *first_sight, *describe, *target, *special_event;
    PyObject *cancel_reached, *on_spent, *watch_end;
    PyObject *watch_calls;         /* 3.12+: code that names `cancel` (cancels.py), or NULL */
    PyObject *strings, *index;     /* the registry's string table: list, dict */
    PyObject *numbers;             /* the registry's numbers: filled when the trace stops */
    PyObject *strcache;            /* short str -> index */
    PyObject *exccache;            /* exception type -> index of "Name()" */
    PyObject *codes;               /* code objects decided in this trace (kept alive) */
    PyObject *collect;             /* bound method: the weak references' callback */
    PyObject *disable;             /* sys.monitoring.DISABLE */
    PyObject *special_codes[MAX_SPECIAL];
    int special_decisions[MAX_SPECIAL];
    int n_special;
    uint64_t special_bloom;        /* a bit per watched code's address: most misses in one test */
    unsigned long thread;
    uint32_t epoch;
    int values, active, spent, monitoring, trace_installed;
    /* the record */
    RecordBuffer *buf;
    int64_t budget, used, dropped;
    int64_t t0, last_t, duration;
    double scale;                  /* ns per tick, fixed when the trace finishes */
    uint32_t none_index, true_index, false_index;
    struct Number *nums;           /* wide ints and floats, as values (no objects kept) */
    Py_ssize_t n_nums, cap_nums;
    /* objects */
    ObjState *objs;
    Py_ssize_t n_objs, cap_objs;
    PtrMap map;        /* object address -> oid (| ROOT_FLAG: a task's unrecorded coroutine) */
    PtrMap refs;       /* weak reference address -> oid (| ROOT_FLAG: the root's reference) */
    Py_ssize_t n_roots;
    int32_t *stack;
    Py_ssize_t n_stack, cap_stack;
    void *pending_key; /* a delegating frame, after the frame it delegates to yielded */
    int32_t pending_oid;
    void *just_died;   /* the frame of the object whose weak reference just died (its
                        * finaliser is next) */
    int32_t just_died_oid; /* ... and its id */
    /* tasks.c: create_task calls running, and what the registry has not been told */
    Creating *creating;
    Py_ssize_t n_creating, cap_creating;
    int32_t *followed;  /* tasks made here, in the order their create_task returned */
    Py_ssize_t n_followed, cap_followed;
    /* 3.11: per-frame notes of the trace hook */
    PtrMap aux;
    struct Aux *auxes;
    Py_ssize_t n_aux, cap_aux;
} Core;

extern PyTypeObject CoreType;
extern Core *avz_current; /* the core the rewritten cell code reports to */

static inline int64_t core_now(Core *c) { return avz_ticks() - c->t0; }

/* a small int argument (an offset) without the general conversion */
static inline long small_int(PyObject *v)
{
#if PY_VERSION_HEX >= 0x030C0000
    if (PyUnstable_Long_IsCompact((PyLongObject *)v))
        return (long)PyUnstable_Long_CompactValue((PyLongObject *)v);
#endif
    return PyLong_AsLong(v);
}
int64_t core_emit(Core *c, int64_t t, int32_t oid, int kind, uint32_t value, int32_t line,
                  int32_t target);
void core_drop(Core *c);
int core_take(Core *c, int64_t cost); /* room in the budget (else recording stops) */
uint32_t core_value(Core *c, PyObject *v);          /* NO_VALUE with no exception on failure */
int64_t core_intern(Core *c, PyObject *text);       /* -1 with an exception */
void core_pop(Core *c, int32_t oid);
int core_push(Core *c, int32_t oid);
/* -1 with an exception set; -2: the budget is spent */
int32_t core_add(Core *c, int kind, int state, int32_t task, int32_t line, PyObject *code,
                 PyObject *obj, int watch, PyObject *frame);
int32_t core_lookup(Core *c, PyObject *obj);
void core_end_task(Core *c, int32_t task, int64_t t, int kind, uint32_t value);

/* ---- tasks.c: asyncio's create_task seen without the registry, tasks' names ------- */
int tk_create_start(Core *c, PyObject *frame, PyObject *coro); /* 1: done here */
int tk_create_end(Core *c, int event, PyObject *task);         /* 1: done here */
void tk_read_end_name(Core *c, int32_t task); /* into last_name */
int tk_traverse(Core *c, visitproc visit, void *arg);
void tk_clear(Core *c, int names); /* names: also the tasks' names */
extern PyMethodDef avz_task_methods[];
extern PyMethodDef avz_told_methods[]; /* told.c: their Traced, for the registry */
void core_unroot(Core *c, int32_t task); /* its unrecorded coroutine is no longer known */
/* `frame` (of `gen`, running `code`) is a part of object `oid` from now on; -1 on error */
int core_merge(Core *c, int32_t oid, PyObject *frame, PyObject *gen, PyObject *code);
void core_part_done(Core *c, int32_t oid); /* its running part ended: known by it no more */
void core_report(Core *c, const char *where); /* an error inside a hook: say it, go on */
int core_numbers_out(Core *c);                /* the numbers into the registry's list */
int core_keep_code(Core *c, CodeInfo *ci, PyObject *code); /* alive while the trace is */
PyObject *core_collected(Core *c, PyObject *ref);  /* weak references' callback */
PyObject *core_referent(PyObject *ref);            /* borrowed, NULL when dead */

/* ---- events.c: the transitions, shared by both hooks ------------------------------- */
int core_decide(Core *c, CodeInfo *ci, PyObject *code, PyObject *frame);
void ev_start(Core *c, PyObject *frame, PyObject *code, CodeInfo *ci, int offset);
void ev_resume(Core *c, PyObject *frame, PyObject *code, CodeInfo *ci, int offset);
void ev_throw(Core *c, PyObject *frame, PyObject *code, CodeInfo *ci, PyObject *exc,
              int64_t t, int32_t line);
void ev_yield(Core *c, PyObject *frame, PyObject *code, CodeInfo *ci, int offset,
              PyObject *value);
void ev_return(Core *c, PyObject *frame, PyObject *code, CodeInfo *ci, int offset,
               PyObject *value);
void ev_unwind(Core *c, PyObject *frame, PyObject *code, CodeInfo *ci, int offset,
               PyObject *exc, int has_described, uint32_t described, int32_t line);
void ev_root_end(Core *c, PyObject *frame, int kind, PyObject *value, int has_described,
                 uint32_t described);
void ev_retype_as_throw(Core *c, PyObject *frame, PyObject *exc);
/* the same, for a caller who found the object already (-1: not known) */
void ev_yield_of(Core *c, int32_t oid, PyObject *frame, PyObject *code, CodeInfo *ci,
                 int offset, PyObject *value);
void ev_resume_of(Core *c, int32_t oid, PyObject *frame, PyObject *code, CodeInfo *ci,
                  int offset);
void ev_special(Core *c, int decision, int event, PyObject *frame, PyObject *value);
void ev_special_start(Core *c, int decision, PyObject *frame); /* with its argument */
int ev_special_decision(Core *c, PyObject *code);
int ev_names_cancel(PyObject *code);  /* does `code` name `cancel` (co_names)? */
void ev_watch_calls(Core *c, PyObject *code, PyObject *frame);
/* the bloom bit of a code object's address (code objects are 16-byte aligned) */
static inline uint64_t special_bit(PyObject *code)
{
    return (uint64_t)1 << (((uintptr_t)code >> 4) & 63);
}
PyObject *ev_sent(Core *c, PyObject *value);
PyObject *ev_frame_var(PyObject *frame, const char *name); /* a frame's local, or NULL */
int32_t traceback_line(PyObject *exc_or_tb, PyObject *frame, int is_tb);

/* the object a running frame belongs to (frames and objects are both keys of the map) */
static inline int32_t object_of_frame(Core *c, PyObject *frame)
{
    int32_t oid = ptrmap_get(&c->map, frame, -1);
    return (oid & ROOT_FLAG) ? -1 : oid;
}

/* the object running `frame` when it is the innermost one running: no lookup at all */
static inline int32_t running_object(Core *c, PyObject *frame)
{
    if (c->n_stack) {
        int32_t top = c->stack[c->n_stack - 1];
        if (c->objs[top].frame == frame)
            return top;
    }
    return object_of_frame(c, frame);
}

/* ---- monitor.c (3.12+) and tracehook.c (3.11) --------------------------------------- */
extern PyMethodDef avz_monitor_methods[];
extern PyMethodDef avz_trace_methods[];
int tracehook_setup(void);
#if !AVZ_MONITORING
enum { A_PENDING = 1, A_EXC = 2, A_THROWN = 4, A_MAYBE = 8, A_RAISED = 16 }; /* Aux.flags */
extern Py_ssize_t th_off_lines, th_off_opcodes; /* the frame's flags, checked at import */
static inline void th_set_flag(PyFrameObject *frame, Py_ssize_t off, char value)
{
    if (off >= 0 && Py_IS_TYPE(frame, &PyFrame_Type))
        ((char *)frame)[off] = value;
}
struct Aux *aux_get(Core *c, PyFrameObject *frame, int create);
void aux_done(Core *c, PyFrameObject *frame, struct Aux *a);
int th_call(Core *c, PyFrameObject *frame);  /* 1: the frame wants its later events */
void th_return(Core *c, PyFrameObject *frame, PyObject *arg);
void th_exception(Core *c, PyFrameObject *frame, PyObject *arg);
#endif
PyObject *tracehook_call(PyObject *self, PyObject *args, PyObject *kwargs);
int tracehook_traverse(Core *c, visitproc visit, void *arg);
int coretype_ready(void);
extern PyMethodDef avz_core_methods[];  /* coreapi.c: the protocol */
void core_clear_refs(Core *c);          /* drop every weak reference the core holds */

#endif
