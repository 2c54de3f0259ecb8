/* cm_reload - SIGHUP as "reload", SIGUSR1 as "log the counters", under
 * libmilter's signal thread. */
#include "cm_reload.h"
#include "cm_statsfile.h"

#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stddef.h>

/* Written once before smfi_main creates the signal thread, which reads it:
 * thread creation orders the two. */
static void (*reload_hook)(void);
static atomic_int stop_requested;

void cm_reload_install(void (*hook)(void))
{
    reload_hook = hook;
}

/* Interposes libc's sigwait for the whole process (the executable's symbol
 * is found first, by libmilter too); exported explicitly at link time.
 * sigwaitinfo is a different symbol, so there is no recursion. */
int sigwait(const sigset_t *restrict set, int *restrict sig)
{
    sigset_t with_usr1 = *set;

    /* libmilter's set lacks SIGUSR1: its waiter takes it too (main blocks
     * it in every thread), when it is the one that handles SIGHUP. */
    if (reload_hook != NULL && sigismember(set, SIGHUP) == 1 && sigaddset(&with_usr1, SIGUSR1) < 0)
        return errno;
    for (;;) {
        int s = sigwaitinfo(&with_usr1, NULL);

        if (s < 0) {
            if (errno == EINTR)
                continue;
            return errno;
        }
        if (s == SIGHUP && reload_hook != NULL) {
            reload_hook();
            continue;
        }
        if (s == SIGUSR1 && !sigismember(set, SIGUSR1)) {
            cm_statsfile_log();
            continue;
        }
        if (s == SIGTERM)
            atomic_store(&stop_requested, 1);
        *sig = s;
        return 0;
    }
}

int cm_reload_stop_requested(void)
{
    return atomic_load(&stop_requested);
}
