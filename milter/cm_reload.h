/* cm_reload - SIGHUP re-reads the configuration, without a restart.
 *
 * libmilter's signal thread sigwaits for SIGHUP, SIGTERM and SIGINT and
 * takes all three as "stop". cryptmilter defines sigwait itself: when a
 * reload hook is installed and the set being waited for holds SIGHUP, a
 * SIGHUP runs the hook in that thread and the wait goes on; every other
 * signal, and every other caller, gets sigwait's usual behaviour. That
 * waiter also takes SIGUSR1 (which libmilter does not wait for; main blocks
 * it) and logs the counters' summary line (cm_statsfile_log). There is
 * one signal thread and one waiter, so no signal is raced for. */
#ifndef CM_RELOAD_H
#define CM_RELOAD_H

/* Install hook; call before smfi_main. */
void cm_reload_install(void (*hook)(void));

/* Whether SIGTERM was taken. libmilter can report a failure for a stop that
 * races its listener's start (it finds the listening socket already closed
 * and calls that corruption); a stop that was asked for is still a clean
 * stop. */
int cm_reload_stop_requested(void);

#endif
