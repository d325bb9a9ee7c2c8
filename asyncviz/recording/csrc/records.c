/* The clock, and the buffer the records are written to.
 *
 * Clock: the CPU's time-stamp counter where it runs at a constant rate (x86-64 with an
 * invariant TSC: ~10 ns a read against ~25 ns for clock_gettime), else the monotonic
 * clock in ns.  Records hold ticks while recording; the core turns them into ns when the
 * trace stops, with a rate measured against the monotonic clock over the process's
 * whole use of the core (the longer the span, the finer the rate).
 *
 * Buffer: address space for every record the budget allows is reserved at once and
 * committed page by page as records arrive, so the records never move (a view may read
 * them while the program runs) and a trace hands them over without a copy. */
#include "native.h"

#if defined(_WIN32)
#include <windows.h>
#else
#include <sys/mman.h>
#include <time.h>
#endif

#if defined(__x86_64__) || defined(_M_X64)
#define AVZ_X86 1
#if defined(_MSC_VER)
#include <intrin.h>
#else
#include <cpuid.h>
#include <x86intrin.h>
#endif
#endif

static int use_tsc = 0;
#if !defined(_WIN32)
static int populate_ok = 1;
#endif
static int64_t epoch_ticks = 0, epoch_ns = 0;

static int64_t monotonic_ns(void)
{
#if defined(_WIN32)
    static LARGE_INTEGER freq = {0};
    LARGE_INTEGER now;
    if (freq.QuadPart == 0)
        QueryPerformanceFrequency(&freq);
    QueryPerformanceCounter(&now);
    return (int64_t)((double)now.QuadPart * 1e9 / (double)freq.QuadPart);
#else
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
#endif
}

static int invariant_tsc(void)
{
#if defined(AVZ_X86)
#if defined(_MSC_VER)
    int r[4];
    __cpuid(r, 0x80000000);
    if ((unsigned)r[0] < 0x80000007u)
        return 0;
    __cpuid(r, 0x80000007);
    return (r[3] >> 8) & 1;
#else
    unsigned a, b, c, d;
    if (!__get_cpuid(0x80000000u, &a, &b, &c, &d) || a < 0x80000007u)
        return 0;
    if (!__get_cpuid(0x80000007u, &a, &b, &c, &d))
        return 0;
    return (d >> 8) & 1;
#endif
#else
    return 0;
#endif
}

int64_t avz_ticks(void)
{
#if defined(AVZ_X86)
    if (use_tsc)
        return (int64_t)__rdtsc();
#endif
    return monotonic_ns();
}

int avz_clock_setup(void)
{
    if (epoch_ns != 0)
        return 0;
    use_tsc = invariant_tsc() && getenv("ASYNCVIZ_NO_TSC") == NULL;
    epoch_ticks = avz_ticks();
    epoch_ns = monotonic_ns();
    return 0;
}

const char *avz_clock_name(void)
{
    return use_tsc ? "tsc" : "monotonic";
}

double avz_ns_per_tick(void)
{
    if (!use_tsc)
        return 1.0;
    int64_t ticks = avz_ticks() - epoch_ticks;
    int64_t ns = monotonic_ns() - epoch_ns;
    if (ticks <= 0 || ns <= 0)
        return 1.0;
    return (double)ns / (double)ticks;
}

/* ---- the buffer ----------------------------------------------------------------------- */

#define COMMIT_STEP ((Py_ssize_t)(1 << 20) / (Py_ssize_t)sizeof(Record))

RecordBuffer *recordbuffer_new(Py_ssize_t cap)
{
    RecordBuffer *b = PyObject_New(RecordBuffer, &RecordBufferType);
    if (b == NULL)
        return NULL;
    b->rec = NULL;
    b->cap = 0;
    b->n = 0;
    b->committed = 0;
    b->exports = 0;
    if (cap <= 0)
        return b;
    size_t bytes = (size_t)cap * sizeof(Record);
#if defined(_WIN32)
    void *p = VirtualAlloc(NULL, bytes, MEM_RESERVE, PAGE_NOACCESS);
    if (p == NULL) {
        Py_DECREF(b);
        PyErr_NoMemory();
        return NULL;
    }
#else
    int flags = MAP_PRIVATE | MAP_ANONYMOUS;
#ifdef MAP_NORESERVE
    flags |= MAP_NORESERVE;
#endif
    void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, flags, -1, 0);
    if (p == MAP_FAILED) {
        Py_DECREF(b);
        PyErr_NoMemory();
        return NULL;
    }
#endif
    b->rec = (Record *)p;
    b->cap = cap;
    return b;
}

int recordbuffer_ensure(RecordBuffer *b, Py_ssize_t n)
{
    if (n <= b->committed)
        return 0;
    if (n > b->cap)
        return -1;
#if defined(_WIN32)
    Py_ssize_t upto = b->committed + COMMIT_STEP;
    if (upto < n)
        upto = n;
    if (upto > b->cap)
        upto = b->cap;
    if (VirtualAlloc(b->rec + b->committed, (size_t)(upto - b->committed) * sizeof(Record),
                     MEM_COMMIT, PAGE_READWRITE) == NULL)
        return -1;
    b->committed = upto;
#else
    /* the kernel commits pages on first touch; where it can, ask it for a megabyte at a
     * time (one call instead of 256 page faults, each a trip through a VM's host) */
    Py_ssize_t upto = b->committed + COMMIT_STEP;
    if (upto < n)
        upto = n;
    if (upto > b->cap)
        upto = b->cap;
#ifdef MADV_POPULATE_WRITE
    if (populate_ok) {
        char *from = (char *)(b->rec + b->committed);
        char *start = (char *)((uintptr_t)from & ~(uintptr_t)4095);
        if (madvise(start, (size_t)((char *)(b->rec + upto) - start), MADV_POPULATE_WRITE) != 0)
            populate_ok = 0; /* an older kernel: pages come on first touch */
    }
#endif
    b->committed = upto;
#endif
    return 0;
}

static void recordbuffer_dealloc(RecordBuffer *b)
{
    if (b->rec != NULL) {
#if defined(_WIN32)
        VirtualFree(b->rec, 0, MEM_RELEASE);
#else
        munmap(b->rec, (size_t)b->cap * sizeof(Record));
#endif
    }
    PyObject_Free(b);
}

static int recordbuffer_getbuffer(RecordBuffer *b, Py_buffer *view, int flags)
{
    static char empty = 0;
    void *data = b->rec != NULL ? (void *)b->rec : (void *)&empty;
    if (PyBuffer_FillInfo(view, (PyObject *)b, data, b->n * (Py_ssize_t)sizeof(Record), 1,
                          flags) < 0)
        return -1;
    b->exports++;
    return 0;
}

static void recordbuffer_releasebuffer(RecordBuffer *b, Py_buffer *view)
{
    b->exports--;
}

static PyBufferProcs recordbuffer_as_buffer = {
    (getbufferproc)recordbuffer_getbuffer,
    (releasebufferproc)recordbuffer_releasebuffer,
};

static Py_ssize_t recordbuffer_length(RecordBuffer *b)
{
    return b->n;
}

static PySequenceMethods recordbuffer_as_sequence = {
    .sq_length = (lenfunc)recordbuffer_length,
};

PyTypeObject RecordBufferType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "asyncviz.recording._native.RecordBuffer",
    .tp_doc = "The records of a trace: read-only, 24 bytes each (trace.RECORD), never moved.",
    .tp_basicsize = sizeof(RecordBuffer),
    .tp_dealloc = (destructor)recordbuffer_dealloc,
    .tp_as_buffer = &recordbuffer_as_buffer,
    .tp_as_sequence = &recordbuffer_as_sequence,
    .tp_flags = Py_TPFLAGS_DEFAULT,
};
