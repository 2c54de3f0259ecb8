/* cm_replay - the replay caches one process has open: one store per
 * ReplayCache value, an LMDB environment (cm_replaydb) or a PostgreSQL
 * connection pool (cm_replaypg) by the value's form, opened on first
 * use, counted while a record or a count uses it, and closed by
 * cm_replay_retire once a reload names another directory and its last
 * user is done, or by cm_replay_free at exit.
 *
 * A retired environment still in use stays in the list and is the one a
 * message of the old configuration is given: LMDB allows one environment
 * per file per process (closing a second one would drop the first one's
 * locks on the lock file). */
#include "cm_replay.h"
#include "cm_replaydb.h"
#include "cm_replaypg.h"
#include "cm_replayuri.h"
#include "cm_log.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct rc_node {
    struct rc_node *next;
    char *dir;
    const cm_replay_backend *be;
    void *db;
    size_t users;               /* records and counts under way */
    int retired;                /* close it when the last user is done */
} rc_node;

struct cm_replay {
    pthread_mutex_t lock;       /* the list, users, retired, node; open, grow, close */
    rc_node *nodes;
    char node[65];              /* ReplayNode */
    uint64_t timeout_ms;        /* ReplayTimeout */
};

cm_replay *cm_replay_new(void)
{
    cm_replay *r = calloc(1, sizeof(*r));

    if (r != NULL && pthread_mutex_init(&r->lock, NULL) != 0) {
        free(r);
        return NULL;
    }
    if (r != NULL)
        r->timeout_ms = 2000;
    return r;
}

/* The lock only fails on misuse (an uninitialised or freed set). */
static void set_lock(cm_replay *r)
{
    if (pthread_mutex_lock(&r->lock) != 0)
        abort();
}

static void set_unlock(cm_replay *r)
{
    if (pthread_mutex_unlock(&r->lock) != 0)
        abort();
}

static void node_free(rc_node *n)
{
    n->be->close(n->db);
    free(n->dir);
    free(n);
}

/* Take n out of r's list and close it. Under r's lock, with no user. */
static void node_drop(cm_replay *r, rc_node *n)
{
    rc_node **pp;

    for (pp = &r->nodes; *pp != NULL; pp = &(*pp)->next)
        if (*pp == n) {
            *pp = n->next;
            break;
        }
    node_free(n);
}

/* The node of dir, its environment opened on first use and its map grown
 * if a reload asks for more; given back with node_put. NULL (logged) if it
 * cannot be opened. */
static rc_node *node_get(cm_replay *r, const char *dir, uint64_t mapsize, int64_t now,
                         const char *qid)
{
    cm_replay_opts o;
    rc_node *n;

    if (r == NULL) {
        cm_log_error("%s: ReplayCache %s: no replay cache in this process", qid, dir);
        return NULL;
    }
    set_lock(r);
    for (n = r->nodes; n != NULL; n = n->next)
        if (strcmp(n->dir, dir) == 0)
            break;
    o.mapsize = mapsize;
    o.node = r->node;
    o.timeout_ms = r->timeout_ms;
    if (n != NULL) {
        n->be->reopen(n->db, &o, qid);
    } else if ((n = calloc(1, sizeof(*n))) == NULL || (n->dir = strdup(dir)) == NULL) {
        cm_log_error("%s: ReplayCache %s: out of memory", qid, dir);
        free(n);
        n = NULL;
    } else if ((n->be = cm_replayuri_is_pg(dir) ? &cm_replaypg_backend : &cm_replaydb_backend,
                n->db = n->be->open(dir, &o, now, qid)) == NULL) {
        free(n->dir);
        free(n);
        n = NULL;
    } else {
        n->next = r->nodes;
        r->nodes = n;
    }
    if (n != NULL)
        n->users++;
    set_unlock(r);
    return n;
}

static void node_put(cm_replay *r, rc_node *n)
{
    set_lock(r);
    if (--n->users == 0 && n->retired)
        node_drop(r, n);
    set_unlock(r);
}

void cm_replay_retire(cm_replay *r, const char *keep)
{
    rc_node *n, *next;

    if (r == NULL)
        return;
    set_lock(r);
    for (n = r->nodes; n != NULL; n = next) {
        next = n->next;
        n->retired = keep == NULL || strcmp(n->dir, keep) != 0;
        if (n->retired && n->users == 0)
            node_drop(r, n);
    }
    set_unlock(r);
}

void cm_replay_free(cm_replay *r)
{
    rc_node *n, *next;

    if (r == NULL)
        return;
    for (n = r->nodes; n != NULL; n = next) {
        next = n->next;
        node_free(n);
    }
    (void) pthread_mutex_destroy(&r->lock);
    free(r);
}

cm_stat cm_replay_record(cm_replay *r, const char *dir, uint64_t mapsize, const cm_replay_id *id,
                         int64_t sigtime, int64_t now, uint64_t keep, const char *qid)
{
    rc_node *n = node_get(r, dir, mapsize, now, qid);
    cm_stat st;

    if (n == NULL)
        return CM_ERR_REPLAY;
    st = n->be->record(n->db, id, sigtime, now, keep, qid);
    node_put(r, n);
    return st;
}

long cm_replay_count(cm_replay *r, const char *dir, uint64_t mapsize)
{
    rc_node *n = node_get(r, dir, mapsize, (int64_t) time(NULL), "-");
    long c;

    if (n == NULL)
        return -1;
    c = n->be->count(n->db);
    node_put(r, n);
    return c;
}

void cm_replay_configure(cm_replay *r, const char *node, uint64_t timeout_s)
{
    if (r == NULL)
        return;
    set_lock(r);
    snprintf(r->node, sizeof(r->node), "%s", node != NULL ? node : "");
    r->timeout_ms = timeout_s > UINT64_MAX / 1000 ? UINT64_MAX : timeout_s * 1000;
    set_unlock(r);
}

int cm_replay_init(cm_replay *r, const char *dir, uint64_t mapsize, int64_t now, char *err,
                   size_t errlen)
{
    rc_node *n = node_get(r, dir, mapsize, now, "replay-init");
    int rc;

    if (n == NULL) {
        snprintf(err, errlen, "%s: cannot be opened (see the log)", dir);
        return -1;
    }
    rc = n->be->init(n->db, now, err, errlen);
    node_put(r, n);
    return rc;
}

int cm_replay_check(cm_replay *r, const char *dir, uint64_t mapsize, char *err, size_t errlen,
                    char *warn, size_t warnlen)
{
    rc_node *n = node_get(r, dir, mapsize, (int64_t) time(NULL), "-");
    int rc;

    if (warnlen > 0)
        warn[0] = 0;
    if (n == NULL) {
        snprintf(err, errlen, "cannot be opened (see the log)");
        return -1;
    }
    rc = n->be->check(n->db, err, errlen, warn, warnlen);
    node_put(r, n);
    return rc;
}
