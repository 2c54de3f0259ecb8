/* cm_replay - the replay caches one process has open: one LMDB
 * environment per ReplayCache directory (cm_replaydb), opened on first
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
#include "cm_log.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct rc_node {
    struct rc_node *next;
    char *dir;
    cm_replaydb *db;
    size_t users;               /* records and counts under way */
    int retired;                /* close it when the last user is done */
} rc_node;

struct cm_replay {
    pthread_mutex_t lock;       /* the list, users, retired; open, grow, close */
    rc_node *nodes;
};

int cm_replay_id_make(const char *fpr, int64_t sigtime, const unsigned char content[CM_DIGEST_LEN],
                      cm_replay_id *id)
{
    cm_digest *d = cm_digest_new();
    char t[32];
    int r;

    if (d == NULL)
        return -1;
    snprintf(t, sizeof(t), "\n%lld\n", (long long) sigtime);
    r = cm_digest_update(d, fpr, strlen(fpr)) == 0 && cm_digest_update(d, t, strlen(t)) == 0
        && cm_digest_update(d, content, CM_DIGEST_LEN) == 0 && cm_digest_final(d, id->b) == 0
        ? 0 : -1;
    cm_digest_free(d);
    return r;
}

cm_replay *cm_replay_new(void)
{
    cm_replay *r = calloc(1, sizeof(*r));

    if (r != NULL && pthread_mutex_init(&r->lock, NULL) != 0) {
        free(r);
        return NULL;
    }
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
    cm_replaydb_close(n->db);
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
    rc_node *n;

    if (r == NULL) {
        cm_log_error("%s: ReplayCache %s: no replay cache in this process", qid, dir);
        return NULL;
    }
    set_lock(r);
    for (n = r->nodes; n != NULL; n = n->next)
        if (strcmp(n->dir, dir) == 0)
            break;
    if (n != NULL) {
        cm_replaydb_grow(n->db, mapsize, qid);
    } else if ((n = calloc(1, sizeof(*n))) == NULL || (n->dir = strdup(dir)) == NULL) {
        cm_log_error("%s: ReplayCache %s: out of memory", qid, dir);
        free(n);
        n = NULL;
    } else if ((n->db = cm_replaydb_open(dir, mapsize, now, qid)) == NULL) {
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
    st = cm_replaydb_record(n->db, id, sigtime, now, keep, qid);
    node_put(r, n);
    return st;
}

long cm_replay_count(cm_replay *r, const char *dir, uint64_t mapsize)
{
    rc_node *n = node_get(r, dir, mapsize, (int64_t) time(NULL), "-");
    long c;

    if (n == NULL)
        return -1;
    c = cm_replaydb_count(n->db);
    node_put(r, n);
    return c;
}
