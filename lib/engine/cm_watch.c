/* cm_watch - a deadline on an engine operation that runs child processes. */
#include "cm_watch.h"
#include "cm_log.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

struct cm_watch {
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    struct timespec deadline;   /* CLOCK_MONOTONIC */
    int stop, expired;
    int pids[2];                /* pipe: (pid, ppid) pairs from the fork handler */
    void (*cancel)(void *);
    void *arg;
    pid_t self;
    char qid[64];
};

/* The watch of this thread, seen by the fork handler in the child (the
 * child's only thread is a copy of this one). */
static _Thread_local cm_watch *tl_watch;

/* In every child of fork(2), before anything else runs there: report the
 * pid, and start with no signal blocked. Async-signal-safe calls only. */
static void child_after_fork(void)
{
    sigset_t none;

    (void) sigemptyset(&none);
    (void) sigprocmask(SIG_SETMASK, &none, NULL);
    if (tl_watch != NULL) {
        pid_t pair[2] = {getpid(), getppid()};
        ssize_t w = write(tl_watch->pids[1], pair, sizeof(pair));

        (void) w;
    }
}

static int init_rc;

static void init_once(void)
{
    int e = pthread_atfork(NULL, NULL, child_after_fork);

    if (e != 0) {
        errno = e;
        init_rc = -1;
    }
}

int cm_watch_init(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;

    if (pthread_once(&once, init_once) != 0)
        return -1;
    return init_rc;
}

/* Kill every grandchild the watched thread started: GPGME's intermediate
 * child (whose parent is us) has exited already; the engine's (whose
 * parent was that child) may still run. */
static void kill_children(cm_watch *w)
{
    pid_t pair[2];

    while (read(w->pids[0], pair, sizeof(pair)) == (ssize_t) sizeof(pair)) {
        if (pair[1] == w->self)
            continue;
        if (kill(pair[0], SIGKILL) == 0)
            cm_log_warn("%s: engine process %ld killed at its deadline", w->qid, (long) pair[0]);
    }
}

static void *watchdog(void *arg)
{
    cm_watch *w = arg;
    int rc = 0, expired = 0;

    (void) pthread_mutex_lock(&w->lock);
    while (!w->stop && rc != ETIMEDOUT)
        rc = pthread_cond_timedwait(&w->cond, &w->lock, &w->deadline);
    if (!w->stop) {
        w->expired = 1;
        expired = 1;
    }
    (void) pthread_mutex_unlock(&w->lock);
    if (expired) {
        kill_children(w);
        if (w->cancel != NULL)
            w->cancel(w->arg);
    }
    return NULL;
}

static void watch_free(cm_watch *w)
{
    (void) close(w->pids[0]);
    (void) close(w->pids[1]);
    (void) pthread_cond_destroy(&w->cond);
    (void) pthread_mutex_destroy(&w->lock);
    free(w);
}

cm_watch *cm_watch_start(uint64_t timeout, void (*cancel)(void *), void *arg, const char *qid)
{
    cm_watch *w = calloc(1, sizeof(*w));
    pthread_condattr_t ca;
    sigset_t all, old;
    int e;

    if (w == NULL)
        return NULL;
    w->cancel = cancel;
    w->arg = arg;
    w->self = getpid();
    snprintf(w->qid, sizeof(w->qid), "%s", qid != NULL ? qid : "-");
    if (pipe(w->pids) < 0) {
        free(w);
        return NULL;
    }
    if (fcntl(w->pids[0], F_SETFD, FD_CLOEXEC) < 0 || fcntl(w->pids[1], F_SETFD, FD_CLOEXEC) < 0
        || fcntl(w->pids[0], F_SETFL, O_NONBLOCK) < 0 || fcntl(w->pids[1], F_SETFL, O_NONBLOCK) < 0) {
        (void) close(w->pids[0]);
        (void) close(w->pids[1]);
        free(w);
        return NULL;
    }
    if ((e = pthread_condattr_init(&ca)) != 0
        || (e = pthread_condattr_setclock(&ca, CLOCK_MONOTONIC)) != 0
        || (e = pthread_cond_init(&w->cond, &ca)) != 0) {
        (void) close(w->pids[0]);
        (void) close(w->pids[1]);
        free(w);
        errno = e;
        return NULL;
    }
    (void) pthread_condattr_destroy(&ca);
    (void) pthread_mutex_init(&w->lock, NULL);
    (void) clock_gettime(CLOCK_MONOTONIC, &w->deadline);
    w->deadline.tv_sec += (time_t) (timeout > 86400 ? 86400 : timeout);
    /* The watchdog takes no signal meant for the process. */
    (void) sigfillset(&all);
    (void) pthread_sigmask(SIG_BLOCK, &all, &old);
    e = pthread_create(&w->thread, NULL, watchdog, w);
    (void) pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (e != 0) {
        watch_free(w);
        errno = e;
        return NULL;
    }
    tl_watch = w;
    return w;
}

int cm_watch_stop(cm_watch *w)
{
    struct timespec now;
    int expired;

    tl_watch = NULL;
    (void) pthread_mutex_lock(&w->lock);
    w->stop = 1;
    (void) pthread_cond_signal(&w->cond);
    (void) pthread_mutex_unlock(&w->lock);
    (void) pthread_join(w->thread, NULL);
    expired = w->expired;
    /* The caller's own deadline (the same timeout, taken a moment later)
     * can fire before the watchdog is scheduled on a loaded machine: the
     * caller gives up and stops the watch, and the watchdog, told to stop,
     * kills nothing. Past the deadline, stopping kills what it would have. */
    if (!expired && clock_gettime(CLOCK_MONOTONIC, &now) == 0
        && (now.tv_sec > w->deadline.tv_sec
            || (now.tv_sec == w->deadline.tv_sec && now.tv_nsec >= w->deadline.tv_nsec))) {
        kill_children(w);
        expired = 1;
    }
    watch_free(w);
    return expired;
}
