/* cm_watch - a deadline on an engine operation that runs child processes.
 *
 * GPGME starts gpg with a double fork, so gpg is nobody's child and GPGME
 * never kills it: a hung gpg would hold its caller forever. While a watch
 * is active in a thread, every process that thread forks reports its pid
 * (from a pthread_atfork handler, with write(2) only); when the deadline
 * passes, the watchdog kills them and calls the caller's cancel function.
 * The same fork handler gives every child an empty signal mask, so a gpg
 * spawned from a thread that blocks SIGTERM can still be killed. */
#ifndef CM_WATCH_H
#define CM_WATCH_H

#include <stdint.h>

typedef struct cm_watch cm_watch;

/* Once per process, before threads fork: install the fork handler.
 * 0, or -1 with errno. */
int cm_watch_init(void);
/* Start a watch of timeout seconds over the calling thread's forks.
 * cancel(arg) runs in the watchdog thread when the deadline passes; qid
 * (copied) names the message in the log.
 * NULL on failure (errno). */
cm_watch *cm_watch_start(uint64_t timeout, void (*cancel)(void *), void *arg, const char *qid);
/* End the watch; 1 if the deadline had passed, 0 if not. */
int cm_watch_stop(cm_watch *w);

#endif
