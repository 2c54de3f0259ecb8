/* cm_replaypg - the replay cache in PostgreSQL.
 *
 * Tables (made by cryptmilter --replay-init, idempotent):
 *   cryptmilter_replay (id bytea primary key, sigtime bigint, owner text)
 *   cryptmilter_replay_meta (name text primary key, value bigint):
 *     "epoch": signatures made before it are refused (the stamp);
 *     "keep": the longest keep time any node asked for (monotone);
 *     "forgot": the newest signature time pruned (monotone).
 *
 * One check is one statement, one round trip: it reads epoch and forgot
 * and inserts the identity unless it is older than either, ON CONFLICT DO
 * NOTHING RETURNING owner. A row back: first use. None: seen before (the
 * primary key serialises two gateways inserting the same identity: the
 * second waits for the first's commit and inserts nothing). If the
 * connection breaks once the statement was sent, the row is read back on a
 * new connection, by a write whose commit waits for the synchronous standby
 * as the insert's did: ours passes, another's is a replay, no answer defers.
 * New connections to a server that fails are spaced (cm_pgbackoff); a
 * connection that met an error is closed, not pooled.
 * Everything is bounded by ReplayTimeout: connect, insert, read-back.
 *
 * Pruning runs after a check, at most once a minute per process, and
 * deletes at most PRUNE_MAX rows older than the stored keep time. */
#include "cm_replaypg.h"
#include "cm_log.h"
#include "cm_pgbackoff.h"
#include "cm_pgconn.h"
#include "cm_pgowner.h"
#include "cm_pgstate.h"

#include <errno.h>
#include <libpq-fe.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#define POOL_MAX 4
#define PRUNE_MAX 256
#define PRUNE_EVERY 60
#define INIT_TIMEOUT_MS 30000

typedef struct pg_store {
    pthread_mutex_t lock;       /* all below */
    char *uri;
    char node[65];
    uint64_t timeout_ms;
    PGconn *idle[POOL_MAX];
    size_t nidle;
    int64_t last_prune;
    cm_pgbackoff backoff;       /* new connections while the server fails */
} pg_store;

static const char SQL_RECORD[] =
    "WITH m AS (SELECT (SELECT value FROM cryptmilter_replay_meta WHERE name = 'epoch') AS epoch,"
    " (SELECT value FROM cryptmilter_replay_meta WHERE name = 'forgot') AS forgot),"
    " ins AS (INSERT INTO cryptmilter_replay (id, sigtime, owner)"
    " SELECT $1::bytea, $2::bigint, $3::text FROM m WHERE m.epoch IS NOT NULL"
    " AND $2::bigint >= m.epoch AND $2::bigint > coalesce(m.forgot, m.epoch - 1)"
    " ON CONFLICT (id) DO NOTHING RETURNING owner)"
    " SELECT m.epoch IS NOT NULL, (SELECT owner FROM ins) FROM m";
/* A write, not a SELECT: PostgreSQL shows a row committed on the primary
 * before its synchronous standby has it (a session ended during its commit's
 * wait for the standby leaves exactly that). This statement's own commit
 * waits for the standby, and its WAL comes after the row's: once it
 * answers, the row survives a failover. */
static const char SQL_READBACK[] =
    "UPDATE cryptmilter_replay SET owner = owner WHERE id = $1::bytea RETURNING owner";
static const char SQL_PRUNE[] =
    "WITH k AS (INSERT INTO cryptmilter_replay_meta (name, value) VALUES ('keep', $1::bigint)"
    " ON CONFLICT (name) DO UPDATE SET value = greatest(cryptmilter_replay_meta.value,"
    " EXCLUDED.value) RETURNING value),"
    " d AS (DELETE FROM cryptmilter_replay WHERE id IN (SELECT id FROM cryptmilter_replay"
    " WHERE sigtime < $2::bigint - (SELECT value FROM k) ORDER BY sigtime LIMIT 256)"
    " RETURNING sigtime)"
    " INSERT INTO cryptmilter_replay_meta (name, value) SELECT 'forgot', max(sigtime) FROM d"
    " HAVING count(*) > 0 ON CONFLICT (name) DO UPDATE SET"
    " value = greatest(cryptmilter_replay_meta.value, EXCLUDED.value)";
static const char *const SQL_SCHEMA[] = {
    "CREATE TABLE IF NOT EXISTS cryptmilter_replay (id bytea PRIMARY KEY"
    " CHECK (length(id) = 32), sigtime bigint NOT NULL, owner text NOT NULL)",
    "CREATE INDEX IF NOT EXISTS cryptmilter_replay_sigtime ON cryptmilter_replay (sigtime)",
    "CREATE TABLE IF NOT EXISTS cryptmilter_replay_meta (name text PRIMARY KEY,"
    " value bigint NOT NULL)",
};
static const char SQL_STAMP[] =
    "INSERT INTO cryptmilter_replay_meta (name, value) VALUES ('epoch', $1::bigint)"
    " ON CONFLICT (name) DO UPDATE SET value = greatest(cryptmilter_replay_meta.value,"
    " EXCLUDED.value)";
static const char SQL_CHECK[] =
    "SELECT pg_is_in_recovery(), current_setting('transaction_read_only'),"
    " current_setting('synchronous_commit'), current_setting('synchronous_standby_names'),"
    " to_regclass('cryptmilter_replay') IS NOT NULL"
    " AND to_regclass('cryptmilter_replay_meta') IS NOT NULL";
static const char SQL_EPOCH[] = "SELECT value FROM cryptmilter_replay_meta WHERE name = 'epoch'";
static const char SQL_COUNT[] = "SELECT count(*) FROM cryptmilter_replay";

/* The lock only fails on misuse. */
static void st_lock(pg_store *s)
{
    if (pthread_mutex_lock(&s->lock) != 0)
        abort();
}

static void st_unlock(pg_store *s)
{
    if (pthread_mutex_unlock(&s->lock) != 0)
        abort();
}

static void set_opts(pg_store *s, const cm_replay_opts *o)
{
    snprintf(s->node, sizeof(s->node), "%s", o->node != NULL ? o->node : "");
    s->timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : 2000;
}

static void *pg_open(const char *where, const cm_replay_opts *o, int64_t now, const char *qid)
{
    pg_store *s = calloc(1, sizeof(*s));

    (void) now;
    if (s == NULL || (s->uri = strdup(where)) == NULL) {
        free(s);
        cm_log_error("%s: ReplayCache: out of memory", qid);
        return NULL;
    }
    if (pthread_mutex_init(&s->lock, NULL) != 0) {
        free(s->uri);
        free(s);
        cm_log_error("%s: ReplayCache: cannot create a lock", qid);
        return NULL;
    }
    set_opts(s, o);
    return s;
}

static void pg_reopen(void *db, const cm_replay_opts *o, const char *qid)
{
    pg_store *s = db;

    (void) qid;
    st_lock(s);
    set_opts(s, o);
    st_unlock(s);
}

static void pg_close(void *db)
{
    pg_store *s = db;
    size_t i;

    if (s == NULL)
        return;
    for (i = 0; i < s->nidle; i++)
        PQfinish(s->idle[i]);
    (void) pthread_mutex_destroy(&s->lock);
    free(s->uri);
    free(s);
}

/* A new connection; while the server fails, one at a time and spaced
 * (cm_pgbackoff): a check waits its turn until its deadline rather than
 * open a connection of its own. NULL with err. */
static PGconn *store_connect(pg_store *s, int64_t deadline, char *err, size_t errlen)
{
    cm_pgbackoff_step step;
    struct timespec ts;
    int64_t now, wake = 0;
    uint64_t t;
    PGconn *c;

    for (;;) {
        st_lock(s);
        now = cm_pgconn_now();
        step = cm_pgbackoff_next(&s->backoff, now, &wake);
        t = s->timeout_ms;
        st_unlock(s);
        if (step != CM_PGBACKOFF_WAIT)
            break;
        if (wake >= deadline) {
            snprintf(err, errlen, "the server could not be reached a moment ago, and this "
                     "check's turn to try again came too late");
            return NULL;
        }
        ts.tv_sec = (time_t) ((wake - now) / 1000);
        ts.tv_nsec = (long) ((wake - now) % 1000) * 1000000L;
        while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
            ;
    }
    c = cm_pgconn_open(s->uri, t, deadline, err, errlen);
    st_lock(s);
    cm_pgbackoff_done(&s->backoff, step == CM_PGBACKOFF_PROBE, c != NULL, cm_pgconn_now());
    st_unlock(s);
    return c;
}

/* An idle connection (*pooled = 1) or a new one; NULL with err. */
static PGconn *conn_take(pg_store *s, int64_t deadline, int *pooled, char *err, size_t errlen)
{
    PGconn *c = NULL;

    for (;;) {
        st_lock(s);
        c = s->nidle > 0 ? s->idle[--s->nidle] : NULL;
        st_unlock(s);
        if (c == NULL || cm_pgconn_idle_ok(c))
            break;
        PQfinish(c);            /* closed by the server meanwhile (a restart) */
    }
    *pooled = c != NULL;
    return c != NULL ? c : store_connect(s, deadline, err, errlen);
}

/* Keep c for the next check if it is sound and there is room; else close it. */
static void conn_put(pg_store *s, PGconn *c)
{
    if (c == NULL)
        return;
    if (PQstatus(c) == CONNECTION_OK && PQtransactionStatus(c) == PQTRANS_IDLE) {
        st_lock(s);
        if (s->nidle < POOL_MAX) {
            s->idle[s->nidle++] = c;
            c = NULL;
        }
        st_unlock(s);
    }
    if (c != NULL)
        PQfinish(c);
}

static const char *sqlstate(const PGresult *r)
{
    return PQresultErrorField(r, PG_DIAG_SQLSTATE);
}

/* A failed result's message, first line only (it never holds mail content). */
static void result_error(const PGresult *r, char *err, size_t errlen)
{
    const char *m = PQresultErrorMessage(r);

    snprintf(err, errlen, "%.*s (SQLSTATE %s)", (int) strcspn(m, "\r\n"), m,
             sqlstate(r) != NULL ? sqlstate(r) : "none");
}

/* The connection broke after the insert was sent: whose is the row? */
static cm_stat read_back(pg_store *s, const cm_replay_id *id, const char *owner, int64_t deadline,
                         const char *qid)
{
    const char *v[1] = {(const char *) id->b};
    const int len[1] = {CM_DIGEST_LEN}, fmt[1] = {1};
    char err[512];
    PGresult *r = NULL;
    PGconn *c;
    cm_stat st = CM_ERR_REPLAY;

    if ((c = store_connect(s, deadline, err, sizeof(err))) == NULL) {
        cm_log_error("%s: ReplayCache: the connection broke, and reading the row back: %s",
                     qid, err);
        return CM_ERR_REPLAY;
    }
    if (cm_pgconn_exec(&c, SQL_READBACK, 1, v, len, fmt, deadline, &r, err, sizeof(err))
        != CM_PGCONN_DONE)
        cm_log_error("%s: ReplayCache: the connection broke, and reading the row back: %s",
                     qid, err);
    else if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        result_error(r, err, sizeof(err));
        cm_log_error("%s: ReplayCache: the connection broke, and reading the row back: %s",
                     qid, err);
    } else if (PQntuples(r) == 0)
        cm_log_error("%s: ReplayCache: the connection broke before the insert was known to "
                     "commit, and no row is there", qid);
    else
        st = strcmp(PQgetvalue(r, 0, 0), owner) == 0 ? CM_OK : CM_GATE_REPLAY;
    PQclear(r);
    conn_put(s, c);
    return st;
}

/* At most once a minute per process: raise the stored keep, prune a batch. */
static void prune(pg_store *s, PGconn **c, int64_t now, uint64_t keep, int64_t deadline,
                  const char *qid)
{
    char k[24], t[24], err[512];
    const char *v[2] = {k, t};
    PGresult *r = NULL;
    int due;

    st_lock(s);
    if ((due = now - s->last_prune >= PRUNE_EVERY || now < s->last_prune))
        s->last_prune = now;
    st_unlock(s);
    if (!due)
        return;
    snprintf(k, sizeof(k), "%llu", (unsigned long long) (keep > INT64_MAX ? INT64_MAX : keep));
    snprintf(t, sizeof(t), "%lld", (long long) now);
    if (cm_pgconn_exec(c, SQL_PRUNE, 2, v, NULL, NULL, deadline, &r, err, sizeof(err))
        != CM_PGCONN_DONE)
        cm_log_warn("%s: ReplayCache: prune: %s", qid, err);
    else if (PQresultStatus(r) != PGRES_COMMAND_OK) {
        result_error(r, err, sizeof(err));
        cm_log_warn("%s: ReplayCache: prune: %s", qid, err);
    }
    PQclear(r);
}

/* The record statement's answer. */
static cm_stat answer(const PGresult *r, int64_t sigtime, const char *qid)
{
    if (PQntuples(r) != 1 || PQnfields(r) != 2) {
        cm_log_error("%s: ReplayCache: unexpected answer", qid);
        return CM_ERR_REPLAY;
    }
    if (strcmp(PQgetvalue(r, 0, 0), "t") != 0) {
        cm_log_error("%s: ReplayCache: replay cache not initialised: run cryptmilter "
                     "--replay-init", qid);
        return CM_ERR_REPLAY;
    }
    if (!PQgetisnull(r, 0, 1))
        return CM_OK;
    cm_log_info("%s: ReplayCache: signature of %lld seen before, or older than the store's "
                "epoch or what it has forgotten", qid, (long long) sigtime);
    return CM_GATE_REPLAY;
}

static cm_stat pg_record(void *db, const cm_replay_id *id, int64_t sigtime, int64_t now,
                         uint64_t keep, const char *qid)
{
    pg_store *s = db;
    unsigned char rnd[CM_PGOWNER_RANDOM];
    char owner[160], t[24], err[512], node[65];
    const char *v[3] = {(const char *) id->b, t, owner};
    const int len[3] = {CM_DIGEST_LEN, 0, 0}, fmt[3] = {1, 0, 0};
    int64_t deadline;
    PGresult *r = NULL;
    PGconn *c;
    cm_pgconn_fate fate;
    cm_pgstate_kind kind;
    cm_stat st;
    int pooled, tries;

    st_lock(s);
    deadline = cm_pgconn_now() + (int64_t) s->timeout_ms;
    memcpy(node, s->node, sizeof(node));
    st_unlock(s);
    if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t) sizeof(rnd)
        || cm_pgowner_make(node, qid, rnd, owner, sizeof(owner)) < 0) {
        cm_log_error("%s: ReplayCache: no random owner token", qid);
        return CM_ERR_REPLAY;
    }
    snprintf(t, sizeof(t), "%lld", (long long) sigtime);
    for (tries = 0;; tries++) {
        if ((c = conn_take(s, deadline, &pooled, err, sizeof(err))) == NULL) {
            cm_log_error("%s: ReplayCache: %s", qid, err);
            return CM_ERR_REPLAY;
        }
        fate = cm_pgconn_exec(&c, SQL_RECORD, 3, v, len, fmt, deadline, &r, err, sizeof(err));
        /* An idle connection the server closed meanwhile: nothing was sent. */
        if (fate == CM_PGCONN_UNSENT && pooled && tries < POOL_MAX) {
            PQfinish(c);
            continue;
        }
        break;
    }
    if (fate == CM_PGCONN_UNSENT || fate == CM_PGCONN_TIMEOUT) {
        cm_log_error("%s: ReplayCache: %s", qid, err);
        if (c != NULL)
            PQfinish(c);
        return CM_ERR_REPLAY;
    }
    if (fate == CM_PGCONN_LOST || (PQresultStatus(r) != PGRES_TUPLES_OK
                                   && PQstatus(c) != CONNECTION_OK)) {
        PQclear(r);
        PQfinish(c);
        return read_back(s, id, owner, deadline, qid);
    }
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        kind = cm_pgstate_kind_of(sqlstate(r));
        result_error(r, err, sizeof(err));
        PQclear(r);
        if (kind == CM_PGSTATE_BROKEN) {
            PQfinish(c);
            return read_back(s, id, owner, deadline, qid);
        }
        cm_log_error("%s: ReplayCache: %s%s", qid, err, kind == CM_PGSTATE_UNINIT
                     ? ": replay cache not initialised: run cryptmilter --replay-init" : "");
        /* Not pooled: a server that turned read-only (a demoted primary
         * behind the same address, SQLSTATE 25006) would otherwise answer
         * every later check from the pool, where a new connection lets
         * libpq pick the writable host (target_session_attrs). */
        PQfinish(c);
        return cm_pgstate_stat(kind);
    }
    st = answer(r, sigtime, qid);
    PQclear(r);
    if (st == CM_OK)
        prune(s, &c, now, keep, deadline, qid);
    conn_put(s, c);
    return st;
}

/* Run one statement on a connection of its own (init, check, count). */
static PGresult *once(PGconn **c, const char *sql, int n, const char *const *v,
                      ExecStatusType want, char *err, size_t errlen)
{
    PGresult *r = NULL;

    if (*c == NULL)
        return NULL;
    if (cm_pgconn_exec(c, sql, n, v, NULL, NULL, cm_pgconn_now() + INIT_TIMEOUT_MS, &r, err,
                       errlen) != CM_PGCONN_DONE)
        return NULL;
    if (PQresultStatus(r) != want) {
        result_error(r, err, errlen);
        PQclear(r);
        return NULL;
    }
    return r;
}

static PGconn *connect_slow(pg_store *s, char *err, size_t errlen)
{
    return cm_pgconn_open(s->uri, INIT_TIMEOUT_MS, cm_pgconn_now() + INIT_TIMEOUT_MS, err,
                          errlen);
}

static long pg_count(void *db)
{
    pg_store *s = db;
    char err[512];
    PGconn *c = connect_slow(s, err, sizeof(err));
    PGresult *r;
    long n = -1;

    if (c == NULL)
        return -1;
    if ((r = once(&c, SQL_COUNT, 0, NULL, PGRES_TUPLES_OK, err, sizeof(err))) != NULL) {
        n = strtol(PQgetvalue(r, 0, 0), NULL, 10);
        PQclear(r);
    }
    if (c != NULL)
        PQfinish(c);
    return n;
}

static int pg_init(void *db, int64_t now, char *err, size_t errlen)
{
    pg_store *s = db;
    PGconn *c = connect_slow(s, err, errlen);
    PGresult *r;
    char t[24];
    const char *v[1] = {t};
    size_t i;

    if (c == NULL)
        return -1;
    snprintf(t, sizeof(t), "%lld", (long long) now);
    for (i = 0; i <= sizeof(SQL_SCHEMA) / sizeof(SQL_SCHEMA[0]); i++) {
        int last = i == sizeof(SQL_SCHEMA) / sizeof(SQL_SCHEMA[0]);

        r = once(&c, last ? SQL_STAMP : SQL_SCHEMA[i], last ? 1 : 0, last ? v : NULL,
                 PGRES_COMMAND_OK, err, errlen);
        if (r == NULL) {
            if (c != NULL)
                PQfinish(c);
            return -1;
        }
        PQclear(r);
    }
    if (c != NULL)
        PQfinish(c);
    return 0;
}

/* Writable primary, synchronous commit, schema and stamp; a warning when
 * no synchronous standby is named, or the server cannot be reached. */
static int pg_check(void *db, char *err, size_t errlen, char *warn, size_t warnlen)
{
    pg_store *s = db;
    char why[512];
    PGconn *c = connect_slow(s, why, sizeof(why));
    PGresult *r;
    int bad = -1;

    warn[0] = 0;
    /* Down now is no mistake in the file: the daemon starts (inbound
     * never waits for the store) and defers outbound until it is back. */
    if (c == NULL) {
        snprintf(warn, warnlen, "WARNING: %s: outbound decryption is deferred (451) until the "
                 "server can be reached; inbound is not affected", why);
        return 0;
    }
    if ((r = once(&c, SQL_CHECK, 0, NULL, PGRES_TUPLES_OK, err, errlen)) == NULL)
        goto done;
    if (strcmp(PQgetvalue(r, 0, 0), "t") == 0)
        snprintf(err, errlen, "the server is a standby (pg_is_in_recovery): name the primary");
    else if (strcmp(PQgetvalue(r, 0, 1), "on") == 0)
        snprintf(err, errlen, "transactions are read-only (transaction_read_only): name a "
                 "writable primary");
    else if (strcmp(PQgetvalue(r, 0, 2), "on") != 0 && strcmp(PQgetvalue(r, 0, 2), "remote_apply")
             != 0)
        snprintf(err, errlen, "synchronous_commit is %s: set it to on, or a failover can lose "
                 "an acknowledged row", PQgetvalue(r, 0, 2));
    else if (strcmp(PQgetvalue(r, 0, 4), "t") != 0)
        snprintf(err, errlen, "no replay cache schema: run cryptmilter --replay-init");
    else
        bad = 0;
    if (bad == 0 && PQgetvalue(r, 0, 3)[0] == 0)
        snprintf(warn, warnlen, "WARNING: synchronous_standby_names is empty: a row "
                 "acknowledged by this server alone is lost if it fails over; configure a "
                 "synchronous standby");
    PQclear(r);
    if (bad == 0) {
        if ((r = once(&c, SQL_EPOCH, 0, NULL, PGRES_TUPLES_OK, err, errlen)) == NULL)
            bad = -1;
        else if (PQntuples(r) == 0) {
            snprintf(err, errlen, "replay cache not initialised: run cryptmilter --replay-init");
            bad = -1;
        }
        PQclear(r);
    }
done:
    if (c != NULL)
        PQfinish(c);
    return bad;
}

const cm_replay_backend cm_replaypg_backend = {
    .name = "postgresql",
    .open = pg_open,
    .reopen = pg_reopen,
    .record = pg_record,
    .count = pg_count,
    .close = pg_close,
    .init = pg_init,
    .check = pg_check,
};
