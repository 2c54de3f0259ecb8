/* cm_pgconn - one libpq connection driven by its asynchronous API against
 * a deadline (CLOCK_MONOTONIC milliseconds): connect, then one statement at
 * a time; past the deadline the statement is cancelled (PQcancel, from a
 * thread of its own: it has no time limit) and the connection closed. The server also stops the statement itself
 * (statement_timeout, set at connect to the check's timeout). */
#ifndef CM_PGCONN_H
#define CM_PGCONN_H

#include <libpq-fe.h>
#include <stddef.h>
#include <stdint.h>

/* Now, in CLOCK_MONOTONIC milliseconds. */
int64_t cm_pgconn_now(void);

/* Connect to uri (a libpq URI or connection string) before deadline; the
 * session's statement_timeout is timeout_ms. NULL with err on failure. */
PGconn *cm_pgconn_open(const char *uri, uint64_t timeout_ms, int64_t deadline, char *err,
                       size_t errlen);

/* Whether an idle connection looks usable: 1, or 0 if the server closed
 * it or sent anything since (a restart's termination), which a pool then
 * drops rather than lose a message's check to it. */
int cm_pgconn_idle_ok(PGconn *c);

/* Cancel requests sent at once, at most (each in a thread of its own). */
#define CM_PGCONN_CANCELS 4

typedef enum cm_pgconn_fate {
    CM_PGCONN_DONE,         /* an answer: the result, success or error */
    CM_PGCONN_UNSENT,       /* the statement never left: safe to try elsewhere */
    CM_PGCONN_LOST,         /* the connection broke after it was sent */
    CM_PGCONN_TIMEOUT       /* the deadline passed: cancelled, connection closed */
} cm_pgconn_fate;

/* Run sql with n parameters (formats: NULL all text, else per parameter)
 * on c before deadline. DONE: *res is the statement's last result (the
 * caller PQclears it); otherwise *res is NULL and err says why. After
 * TIMEOUT c is finished (closed) and *c set to NULL. */
cm_pgconn_fate cm_pgconn_exec(PGconn **c, const char *sql, int n, const char *const *values,
                              const int *lengths, const int *formats, int64_t deadline,
                              PGresult **res, char *err, size_t errlen);

#endif
