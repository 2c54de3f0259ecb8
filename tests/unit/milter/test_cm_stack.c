/* cm_stack: end of message on a stack the process keeps. */
#include "cm_stack.h"
#include "cm_test.h"

#include <pthread.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__) || defined(CM_SANITIZED)
#define POOLED 0                /* sanitizers do not follow a switch of stacks */
#else
#define POOLED 1
#endif

/* What a run saw: where its frame was, and that it ran. */
typedef struct seen {
    uintptr_t frame;
    uintptr_t deep;             /* the bottom of a large local it touched */
    int ran;
    size_t touch;               /* bytes of stack to touch */
} seen;

static void record(void *arg)
{
    seen *s = arg;
    volatile unsigned char mark = 1;

    s->frame = (uintptr_t) &mark;
    s->ran += mark;
}

/* Touches s->touch bytes below its frame, as librnp's stream structures do. */
static void touch(void *arg)
{
    seen *s = arg;
    unsigned char big[600 * 1024];
    size_t n = s->touch < sizeof(big) ? s->touch : sizeof(big);

    memset(big, 0x5a, n);
    __asm__ volatile("" : : "r"(big) : "memory");
    s->frame = (uintptr_t) &big[sizeof(big) - 1];
    s->deep = (uintptr_t) big;
    s->ran++;
}

/* fn runs, on a stack that is not the calling thread's, and says so. */
START_TEST(runs_on_a_pool_stack)
{
    seen s = {0};
    volatile char here = 0;
    uintptr_t mine = (uintptr_t) &here;

    cm_stack_run(record, &s);
    ck_assert_int_eq(s.ran, 1);
    ck_assert_int_eq(cm_stack_last_pooled(), POOLED);
    if (POOLED)     /* the thread's own stack lies within a few MiB of here */
        ck_assert(s.frame > mine + 16 * 1024 * 1024 || s.frame + 16 * 1024 * 1024 < mine);
    else
        ck_assert(s.frame < mine && mine - s.frame < 64 * 1024);
}
END_TEST

/* One run after another takes the same stack: nothing new is mapped. */
START_TEST(reuses_the_stack)
{
    seen a = {0}, b = {0};
    size_t before;

    cm_stack_run(record, &a);
    before = cm_stack_mapped();
    cm_stack_run(record, &b);
    ck_assert_int_eq(a.ran + b.ran, 2);
    ck_assert_uint_eq(cm_stack_mapped(), before);
    if (POOLED)
        ck_assert(a.frame == b.frame);
}
END_TEST

static void *thread_touch(void *arg)
{
    cm_stack_run(touch, arg);
    return NULL;
}

/* The point of the pool: the pages a run touched in a thread that has
 * since ended are still there for the next thread, not given back. */
START_TEST(pages_outlive_the_thread)
{
    seen a = {.touch = 256 * 1024}, b = {.touch = 256 * 1024};
    long pg = sysconf(_SC_PAGESIZE);
    unsigned char vec[64];
    uintptr_t page;
    size_t pages, i;
    pthread_t t;

    ck_assert_int_eq(pthread_create(&t, NULL, thread_touch, &a), 0);
    ck_assert_int_eq(pthread_join(t, NULL), 0);
    ck_assert_int_eq(a.ran, 1);
    if (!POOLED)
        return;
    /* The touched range, from its bottom: resident after the thread ended. */
    page = a.deep & ~((uintptr_t) pg - 1);
    pages = (size_t) (a.frame - page) / (size_t) pg;
    if (pages > sizeof(vec))
        pages = sizeof(vec);
    ck_assert_int_eq(mincore((void *) page, pages * (size_t) pg, vec), 0);
    for (i = 0; i < pages; i++)
        ck_assert_msg(vec[i] & 1, "page %zu of the pool stack was given back", i);
    /* And the next thread runs on that same stack. */
    ck_assert_int_eq(pthread_create(&t, NULL, thread_touch, &b), 0);
    ck_assert_int_eq(pthread_join(t, NULL), 0);
    ck_assert(b.deep == a.deep);
}
END_TEST

/* Half a MiB of locals fits (the stacks are 1 MiB, as the threads'). */
START_TEST(deep_use_fits)
{
    seen s = {.touch = 512 * 1024};

    cm_stack_run(touch, &s);
    ck_assert_int_eq(s.ran, 1);
    ck_assert_uint_ge(s.frame - s.deep, 512 * 1024);
}
END_TEST

/* A run within a run takes a second stack and both return in order. */
typedef struct nest {
    int depth, max, ran;
    uintptr_t frames[CM_STACK_KEEP + 4];
} nest;

static void nested(void *arg)
{
    nest *n = arg;
    volatile char mark = 0;

    n->frames[n->depth] = (uintptr_t) &mark;
    n->ran++;
    if (++n->depth < n->max)
        cm_stack_run(nested, n);
    /* Back on this level's stack after the inner run returned. */
    ck_assert(n->frames[n->depth - 1] == (uintptr_t) &mark);
    n->depth--;
}

START_TEST(nests)
{
    nest n = {.max = 2};

    cm_stack_run(nested, &n);
    ck_assert_int_eq(n.ran, 2);
    ck_assert_int_eq(n.depth, 0);
    if (POOLED)
        ck_assert(n.frames[0] != n.frames[1]);
}
END_TEST

/* More stacks in use at once than the pool keeps: the surplus is unmapped
 * when given back, so idle stacks never exceed CM_STACK_KEEP. */
START_TEST(keeps_at_most_keep)
{
    nest n = {.max = CM_STACK_KEEP + 3};

    cm_stack_run(nested, &n);
    ck_assert_int_eq(n.ran, CM_STACK_KEEP + 3);
    ck_assert_uint_eq(cm_stack_mapped(), POOLED ? CM_STACK_KEEP : 0);
}
END_TEST

#define THREADS 8
#define RUNS 200

static void count(void *arg)
{
    volatile unsigned char buf[4096];

    memset((void *) buf, 1, sizeof(buf));
    __atomic_add_fetch((int *) arg, buf[17], __ATOMIC_RELAXED);
}

static void *thread_runs(void *arg)
{
    int i;

    for (i = 0; i < RUNS; i++)
        cm_stack_run(count, arg);
    return NULL;
}

/* Threads at once: every run runs, and no more stacks are mapped than
 * runs were at the same time. */
START_TEST(threads_share_the_pool)
{
    pthread_t t[THREADS];
    int total = 0;
    size_t i;

    for (i = 0; i < THREADS; i++)
        ck_assert_int_eq(pthread_create(&t[i], NULL, thread_runs, &total), 0);
    for (i = 0; i < THREADS; i++)
        ck_assert_int_eq(pthread_join(t[i], NULL), 0);
    ck_assert_int_eq(total, THREADS * RUNS);
    ck_assert_uint_le(cm_stack_mapped(), POOLED ? CM_STACK_KEEP : 0);
}
END_TEST

/* What lies right below the stack a run is on: the size of the
 * inaccessible mapping there, 0 if none (from /proc/self/maps). */
typedef struct guard {
    size_t size;
    int found;
} guard;

static void find_guard(void *arg)
{
    guard *g = arg;
    volatile char here = 0;
    uintptr_t me = (uintptr_t) &here, lo, hi, prev_lo = 0, prev_hi = 0;
    char perm[5] = "", prev_perm[5] = "", line[512];
    FILE *f = fopen("/proc/self/maps", "r");

    if (f == NULL)
        return;
    while (fgets(line, sizeof(line), f) != NULL) {
        if (sscanf(line, "%lx-%lx %4s", &lo, &hi, perm) != 3)
            continue;
        if (me >= lo && me < hi) {
            g->found = 1;
            if (prev_hi == lo && strcmp(prev_perm, "---p") == 0)
                g->size = prev_hi - prev_lo;
            break;
        }
        prev_lo = lo;
        prev_hi = hi;
        memcpy(prev_perm, perm, sizeof(perm));
    }
    (void) fclose(f);
}

/* An overflow must fault, not write into the mapping below (often another
 * pool stack, with another message's frames on it). A function's first
 * store can land anywhere in its frame, and neither this build nor
 * Debian's librnp probes the stack (-fstack-clash-protection): librnp
 * 0.16 has frames of 160 and 128 KiB, so one page of guard is jumped by
 * such a call near the bottom. The guard is at least 256 KiB. */
START_TEST(guard_covers_the_largest_frames)
{
    guard g = {0, 0};

    cm_stack_run(find_guard, &g);
    if (!POOLED)
        return;
    ck_assert_int_eq(g.found, 1);
    ck_assert_msg(g.size >= 256 * 1024, "guard below the pool stack: %zu bytes", g.size);
}
END_TEST

static void add_cases(Suite *s)
{
    CM_ADD(s, runs_on_a_pool_stack);
    CM_ADD(s, reuses_the_stack);
    CM_ADD(s, pages_outlive_the_thread);
    CM_ADD(s, deep_use_fits);
    CM_ADD(s, nests);
    CM_ADD(s, keeps_at_most_keep);
    CM_ADD(s, threads_share_the_pool);
    CM_ADD(s, guard_covers_the_largest_frames);
}

CM_TEST_MAIN("cm_stack", add_cases)
