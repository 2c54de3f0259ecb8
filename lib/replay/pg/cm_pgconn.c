/* cm_pgconn - a libpq connection bounded by a deadline.
 *
 * PQconnectStartParams resolves a host name synchronously, with no bound:
 * the configuration refuses a URI that names its server by a name without
 * hostaddr= (cm_replayuri_check_host), so nothing here waits on DNS. */
#include "cm_pgconn.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

int64_t cm_pgconn_now(void)
{
    struct timespec ts;

    if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
        return 0;
    return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait for events on fd until deadline: 1 ready, 0 past it, -1 error. */
static int wait_fd(int fd, short events, int64_t deadline)
{
    struct pollfd pfd;
    int64_t left;
    int r;

    if (fd < 0)
        return -1;
    for (;;) {
        left = deadline - cm_pgconn_now();
        if (left <= 0)
            return 0;
        pfd.fd = fd;
        pfd.events = events;
        pfd.revents = 0;
        r = poll(&pfd, 1, left > 60000 ? 60000 : (int) left);
        if (r > 0)
            return 1;
        if (r < 0 && errno != EINTR)
            return -1;
    }
}

/* libpq's message, its first line: one log line. */
static void say(char *err, size_t errlen, const char *what, const PGconn *c)
{
    const char *m = c != NULL ? PQerrorMessage(c) : "";
    size_t n = strcspn(m, "\r\n");

    snprintf(err, errlen, "%s%s%.*s", what, n ? ": " : "", (int) n, m);
}

PGconn *cm_pgconn_open(const char *uri, uint64_t timeout_ms, int64_t deadline, char *err,
                       size_t errlen)
{
    static const char *const kw[] = {"dbname", "options", "application_name", NULL};
    const char *val[4];
    char opt[64];
    PostgresPollingStatusType ps = PGRES_POLLING_WRITING;
    PGconn *c;
    int r;

    snprintf(opt, sizeof(opt), "-c statement_timeout=%llu", (unsigned long long) timeout_ms);
    val[0] = uri;
    val[1] = opt;
    val[2] = "cryptmilter";
    val[3] = NULL;
    if ((c = PQconnectStartParams(kw, val, 1)) == NULL) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    if (PQstatus(c) == CONNECTION_BAD) {
        say(err, errlen, "cannot connect", c);
        PQfinish(c);
        return NULL;
    }
    while (ps != PGRES_POLLING_OK) {
        if (ps == PGRES_POLLING_FAILED) {
            say(err, errlen, "cannot connect", c);
            PQfinish(c);
            return NULL;
        }
        r = wait_fd(PQsocket(c), ps == PGRES_POLLING_READING ? POLLIN : POLLOUT, deadline);
        if (r <= 0) {
            snprintf(err, errlen, r == 0 ? "connect timed out" : "cannot connect: %s",
                     strerror(errno));
            PQfinish(c);
            return NULL;
        }
        ps = PQconnectPoll(c);
    }
    if (PQsetnonblocking(c, 1) != 0) {
        say(err, errlen, "cannot connect", c);
        PQfinish(c);
        return NULL;
    }
    return c;
}

int cm_pgconn_idle_ok(PGconn *c)
{
    struct pollfd pfd;
    int r;

    if (PQstatus(c) != CONNECTION_OK || (pfd.fd = PQsocket(c)) < 0)
        return 0;
    pfd.events = POLLIN;
    pfd.revents = 0;
    while ((r = poll(&pfd, 1, 0)) < 0 && errno == EINTR)
        ;
    return r == 0;
}

/* Cancel requests under way in their own threads. */
static atomic_int cancels;

static void *cancel_run(void *arg)
{
    PGcancel *k = arg;
    char why[256];

    (void) PQcancel(k, why, (int) sizeof(why));
    PQfreeCancel(k);
    atomic_fetch_sub(&cancels, 1);
    return NULL;
}

/* Send c's cancel request from a detached thread: PQcancel connects and
 * then waits for the server to close, with no time limit (libpq 15), so a
 * server that accepts and never answers would hold the caller forever.
 * At most CM_PGCONN_CANCELS at once; past that, or if no thread can be
 * made, none is sent: the session's statement_timeout stops the
 * statement on the server all the same. */
static void cancel_detached(PGconn *c)
{
    PGcancel *k;
    pthread_attr_t a;
    pthread_t t;
    int made = 0;

    if (atomic_fetch_add(&cancels, 1) >= CM_PGCONN_CANCELS || (k = PQgetCancel(c)) == NULL) {
        atomic_fetch_sub(&cancels, 1);
        return;
    }
    if (pthread_attr_init(&a) == 0) {
        made = pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED) == 0
            && pthread_create(&t, &a, cancel_run, k) == 0;
        (void) pthread_attr_destroy(&a);
    }
    if (!made) {
        PQfreeCancel(k);
        atomic_fetch_sub(&cancels, 1);
    }
}

/* Past the deadline: ask the server to stop the statement, then close. */
static cm_pgconn_fate timed_out(PGconn **c, char *err, size_t errlen)
{
    cancel_detached(*c);
    PQfinish(*c);
    *c = NULL;
    snprintf(err, errlen, "timed out");
    return CM_PGCONN_TIMEOUT;
}

cm_pgconn_fate cm_pgconn_exec(PGconn **c, const char *sql, int n, const char *const *values,
                              const int *lengths, const int *formats, int64_t deadline,
                              PGresult **res, char *err, size_t errlen)
{
    PGresult *last = NULL, *r;
    int f, w;

    *res = NULL;
    if (PQstatus(*c) != CONNECTION_OK || !PQsendQueryParams(*c, sql, n, NULL, values, lengths,
                                                            formats, 0)) {
        say(err, errlen, "cannot send", *c);
        return CM_PGCONN_UNSENT;
    }
    while ((f = PQflush(*c)) == 1) {
        if ((w = wait_fd(PQsocket(*c), POLLOUT | POLLIN, deadline)) == 0)
            return timed_out(c, err, errlen);
        if (w < 0 || !PQconsumeInput(*c)) {
            say(err, errlen, "connection lost", *c);
            return CM_PGCONN_LOST;
        }
    }
    if (f < 0) {
        say(err, errlen, "connection lost", *c);
        return CM_PGCONN_LOST;
    }
    for (;;) {
        while (!PQisBusy(*c)) {
            if ((r = PQgetResult(*c)) == NULL) {
                if (last == NULL || PQstatus(*c) == CONNECTION_BAD) {
                    say(err, errlen, "connection lost", *c);
                    PQclear(last);
                    return CM_PGCONN_LOST;
                }
                *res = last;
                return CM_PGCONN_DONE;
            }
            PQclear(last);
            last = r;
        }
        if ((w = wait_fd(PQsocket(*c), POLLIN, deadline)) == 0) {
            PQclear(last);
            return timed_out(c, err, errlen);
        }
        if (w < 0 || !PQconsumeInput(*c)) {
            say(err, errlen, "connection lost", *c);
            PQclear(last);
            return CM_PGCONN_LOST;
        }
    }
}
