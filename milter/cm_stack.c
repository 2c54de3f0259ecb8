/* cm_stack - run a function on a stack the process keeps (see cm_stack.h).
 * A pool of mmap'd stacks, each with a guard below it; the switch is
 * swapcontext's, within the calling thread, so thread-local state, locks
 * held and libmilter's context are the caller's. */
#define _GNU_SOURCE             /* MAP_ANONYMOUS, MAP_STACK */
#include "cm_stack.h"
#include "cm_log.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#define CM_VALGRIND 1
#endif
#endif

/* As the daemon's thread stacks (cm_main.c): the suites pass with 256 KiB. */
#define STACK_SIZE (1024 * 1024)

/* Inaccessible below each stack. Pool stacks lie next to one another, so
 * what an overflow jumps to is the top of another message's stack. A
 * call's first store can land anywhere in its frame and nothing here is
 * built with stack probes (-fstack-clash-protection): librnp 0.16 has
 * frames of 160 and 128 KiB. Address space only: no page of it is ever
 * backed. */
#define GUARD_SIZE (256 * 1024)

#if defined(__SANITIZE_ADDRESS__) || defined(CM_SANITIZED)
#define CM_STACK_OFF 1
#endif

typedef struct pool_stack {
    struct pool_stack *next;
    unsigned char *map;         /* the mapping: guard, then the stack */
    size_t maplen;
    unsigned vg_id;             /* valgrind's stack id */
} pool_stack;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static size_t nmapped;
static _Thread_local int last_pooled;

#ifndef CM_STACK_OFF
static pool_stack *idle;
static size_t nidle;

/* The call a switch is for; makecontext passes only ints. */
typedef struct call {
    void (*fn)(void *);
    void *arg;
    ucontext_t back;
} call;

static _Thread_local call *current;
#endif

size_t cm_stack_mapped(void)
{
    size_t n;

    (void) pthread_mutex_lock(&lock);
    n = nmapped;
    (void) pthread_mutex_unlock(&lock);
    return n;
}

int cm_stack_last_pooled(void)
{
    return last_pooled;
}

#ifndef CM_STACK_OFF
static pool_stack *stack_new(void)
{
    long pg = sysconf(_SC_PAGESIZE);
    pool_stack *s;
    size_t guard;

    if (pg <= 0 || (s = calloc(1, sizeof(*s))) == NULL)
        return NULL;
    guard = (GUARD_SIZE + (size_t) pg - 1) / (size_t) pg * (size_t) pg;
    s->maplen = STACK_SIZE + guard;
    /* Mapped inaccessible, the stack then opened: the guard is never
     * writable, so it is not charged as memory either. The stack grows
     * down: an overflow meets the guard and faults rather than writing
     * over whatever lies below. */
    s->map = mmap(NULL, s->maplen, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    if (s->map == MAP_FAILED) {
        free(s);
        return NULL;
    }
    if (mprotect(s->map + guard, STACK_SIZE, PROT_READ | PROT_WRITE) != 0) {
        (void) munmap(s->map, s->maplen);
        free(s);
        return NULL;
    }
#ifdef CM_VALGRIND
    s->vg_id = VALGRIND_STACK_REGISTER(s->map + guard, s->map + s->maplen);
#endif
    return s;
}

static void stack_free(pool_stack *s)
{
#ifdef CM_VALGRIND
    VALGRIND_STACK_DEREGISTER(s->vg_id);
#endif
    if (munmap(s->map, s->maplen) != 0)
        cm_log_warn("munmap of a pool stack: %s", strerror(errno));
    free(s);
}

static pool_stack *stack_get(void)
{
    pool_stack *s;

    (void) pthread_mutex_lock(&lock);
    if ((s = idle) != NULL) {
        idle = s->next;
        nidle--;
    }
    (void) pthread_mutex_unlock(&lock);
    if (s != NULL)
        return s;
    if ((s = stack_new()) != NULL) {
        (void) pthread_mutex_lock(&lock);
        nmapped++;
        (void) pthread_mutex_unlock(&lock);
    }
    return s;
}

static void stack_put(pool_stack *s)
{
    (void) pthread_mutex_lock(&lock);
    if (nidle < CM_STACK_KEEP) {
        s->next = idle;
        idle = s;
        nidle++;
        s = NULL;
    } else {
        nmapped--;
    }
    (void) pthread_mutex_unlock(&lock);
    if (s != NULL)
        stack_free(s);
}

static void trampoline(void)
{
    call *c = current;

    c->fn(c->arg);
    /* Returning resumes uc_link: the caller's context in swapcontext. */
}

/* fn(arg) on s; 0 once it has run, -1 if it could not be switched to.
 * Apart, so that no variable of the caller lives across getcontext (which
 * the compiler treats as returning twice). */
static int run_on(pool_stack *const volatile s, call *const volatile c)
{
    ucontext_t run;

    if (getcontext(&run) != 0)
        return -1;
    run.uc_stack.ss_sp = s->map + (s->maplen - STACK_SIZE);
    run.uc_stack.ss_size = STACK_SIZE;
    run.uc_link = &c->back;
    makecontext(&run, trampoline, 0);
    current = c;
    return swapcontext(&c->back, &run) != 0 ? -1 : 0;
}
#endif

void cm_stack_run(void (*fn)(void *), void *arg)
{
#ifndef CM_STACK_OFF
    pool_stack *s;
    call c = {fn, arg, {0}};
    call *outer = current;
    int rc;

    last_pooled = 0;
    if ((s = stack_get()) == NULL) {
        fn(arg);
        return;
    }
    rc = run_on(s, &c);
    current = outer;
    stack_put(s);
    if (rc < 0) {
        /* Not switched: fn has not run. */
        fn(arg);
        return;
    }
    last_pooled = 1;
#else
    last_pooled = 0;
    fn(arg);
#endif
}
