/* cm_replay - the signature replay cache on LMDB.
 *
 * Two databases in one environment:
 *   "ids":    identity (32 bytes) -> signature time (8 bytes, big-endian)
 *   "bytime": signature time (8 bytes, big-endian, offset) || identity -> empty
 * Every record is one write transaction: prune the signatures too old to
 * pass the gate now (in time order, a bounded number per call), look the
 * identity up, add it. What is too old is decided with the keep time of
 * the call, not of the day an entry was written: raising SignatureMaxAge
 * keeps old entries longer, so no signature the gate would now accept has
 * been forgotten. LMDB serialises writers across processes with a robust mutex
 * in its lock file, so two processes given the same signature at the
 * same moment cannot both see it as new.
 *
 * The map size: another process sharing the directory (the filter, a
 * second daemon) may open it with a larger ReplayCacheSize and grow the
 * data past this process's map; LMDB then answers MDB_MAP_RESIZED, and the
 * new size is adopted (mdb_env_set_mapsize(0)) rather than deferring
 * every outbound message until a restart. A reload that raises
 * ReplayCacheSize grows the open map. Both need no transaction open in
 * this process: transactions hold the environment's lock shared, a resize
 * holds it exclusive. */
#include "cm_replay.h"
#include "cm_log.h"

#include <errno.h>
#include <lmdb.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Pruned per record at most, so one message never pays for a backlog. */
#define PRUNE_MAX 256

typedef struct rc_env {
    struct rc_env *next;
    char *dir;
    MDB_env *env;
    MDB_dbi ids, exp;
    uint64_t mapsize;           /* the largest asked for */
    pthread_rwlock_t lock;      /* shared: a transaction; exclusive: a resize */
    int has_lock;
} rc_env;

static pthread_mutex_t rc_lock = PTHREAD_MUTEX_INITIALIZER;
static rc_env *rc_envs;

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

static void put_be64(unsigned char *p, uint64_t v)
{
    int i;

    for (i = 7; i >= 0; i--, v >>= 8)
        p[i] = (unsigned char) v;
}

static uint64_t get_be64(const unsigned char *p)
{
    uint64_t v = 0;
    int i;

    for (i = 0; i < 8; i++)
        v = v << 8 | p[i];
    return v;
}

static void rc_free(rc_env *e)
{
    if (e == NULL)
        return;
    if (e->env != NULL)
        mdb_env_close(e->env);
    if (e->has_lock)
        (void) pthread_rwlock_destroy(&e->lock);
    free(e->dir);
    free(e);
}

/* Open (creating) the environment at dir. Under rc_lock. */
static rc_env *rc_open(const char *dir, uint64_t mapsize, const char *qid)
{
    rc_env *e = calloc(1, sizeof(*e));
    MDB_txn *txn = NULL;
    int rc;

    if (e == NULL || (e->dir = strdup(dir)) == NULL) {
        rc_free(e);
        cm_log_error("%s: ReplayCache %s: out of memory", qid, dir);
        return NULL;
    }
    if (pthread_rwlock_init(&e->lock, NULL) != 0) {
        cm_log_error("%s: ReplayCache %s: cannot create a lock", qid, dir);
        rc_free(e);
        return NULL;
    }
    e->has_lock = 1;
    e->mapsize = mapsize;
    if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
        cm_log_errno("%s: ReplayCache %s: cannot create it", qid, dir);
        rc_free(e);
        return NULL;
    }
    if ((rc = mdb_env_create(&e->env)) != 0
        || (rc = mdb_env_set_maxdbs(e->env, 2)) != 0
        || (rc = mdb_env_set_mapsize(e->env, (size_t) mapsize)) != 0
        || (rc = mdb_env_open(e->env, dir, 0, 0600)) != 0
        || (rc = mdb_txn_begin(e->env, NULL, 0, &txn)) != 0
        || (rc = mdb_dbi_open(txn, "ids", MDB_CREATE, &e->ids)) != 0
        || (rc = mdb_dbi_open(txn, "bytime", MDB_CREATE, &e->exp)) != 0
        || (rc = mdb_txn_commit(txn)) != 0) {
        if (txn != NULL && rc != 0)
            mdb_txn_abort(txn);
        cm_log_error("%s: ReplayCache %s: %s", qid, dir, mdb_strerror(rc));
        rc_free(e);
        return NULL;
    }
    return e;
}

/* Set the map size (0: adopt the one another process set), with no
 * transaction of this process open. */
static int rc_resize(rc_env *e, size_t size)
{
    int rc;

    if (pthread_rwlock_wrlock(&e->lock) != 0)
        return EINVAL;
    rc = mdb_env_set_mapsize(e->env, size);
    (void) pthread_rwlock_unlock(&e->lock);
    return rc;
}

/* The environment for dir, opened on first use; its map grown if a
 * reload asks for more. */
static rc_env *rc_get(const char *dir, uint64_t mapsize, const char *qid)
{
    rc_env *e;
    int rc;

    if (pthread_mutex_lock(&rc_lock) != 0)
        return NULL;
    for (e = rc_envs; e != NULL; e = e->next)
        if (strcmp(e->dir, dir) == 0)
            break;
    if (e == NULL && (e = rc_open(dir, mapsize, qid)) != NULL) {
        e->next = rc_envs;
        rc_envs = e;
    } else if (e != NULL && mapsize > e->mapsize) {
        if ((rc = rc_resize(e, (size_t) mapsize)) != 0)
            cm_log_warn("%s: ReplayCache %s: cannot grow to %llu bytes: %s", qid, dir,
                           (unsigned long long) mapsize, mdb_strerror(rc));
        else
            e->mapsize = mapsize;
    }
    (void) pthread_mutex_unlock(&rc_lock);
    return e;
}

/* Begin a transaction holding e's lock shared (txn_end releases both),
 * adopting a map another process grew. */
static int txn_begin(rc_env *e, unsigned flags, MDB_txn **txn)
{
    int rc, tries;

    for (tries = 0; tries < 3; tries++) {
        if (pthread_rwlock_rdlock(&e->lock) != 0)
            return EINVAL;
        if ((rc = mdb_txn_begin(e->env, NULL, flags, txn)) == 0)
            return 0;
        (void) pthread_rwlock_unlock(&e->lock);
        if (rc != MDB_MAP_RESIZED)
            return rc;
        if ((rc = rc_resize(e, 0)) != 0)
            return rc;
    }
    return MDB_MAP_RESIZED;
}

/* Commit (or abort, if !commit) and release the lock. */
static int txn_end(rc_env *e, MDB_txn *txn, int commit)
{
    int rc = 0;

    if (commit)
        rc = mdb_txn_commit(txn);
    else
        mdb_txn_abort(txn);
    (void) pthread_rwlock_unlock(&e->lock);
    return rc;
}

void cm_replay_close_all(void)
{
    rc_env *e, *next;

    (void) pthread_mutex_lock(&rc_lock);
    for (e = rc_envs; e != NULL; e = next) {
        next = e->next;
        rc_free(e);
    }
    rc_envs = NULL;
    (void) pthread_mutex_unlock(&rc_lock);
}

/* Times are stored offset so that negative ones sort too. */
static uint64_t time_key(int64_t t)
{
    return (uint64_t) t ^ (UINT64_C(1) << 63);
}

/* Delete up to PRUNE_MAX entries of signatures made before cutoff. */
static int prune(rc_env *e, MDB_txn *txn, int64_t cutoff)
{
    MDB_cursor *cur;
    MDB_val k, v;
    int rc, n = 0;

    if ((rc = mdb_cursor_open(txn, e->exp, &cur)) != 0)
        return rc;
    while (n < PRUNE_MAX && (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST)) == 0) {
        MDB_val id;

        if (k.mv_size != 8 + CM_DIGEST_LEN || get_be64(k.mv_data) >= time_key(cutoff))
            break;
        id.mv_size = CM_DIGEST_LEN;
        id.mv_data = (unsigned char *) k.mv_data + 8;
        if ((rc = mdb_del(txn, e->ids, &id, NULL)) != 0 && rc != MDB_NOTFOUND)
            break;
        if ((rc = mdb_cursor_del(cur, 0)) != 0)
            break;
        n++;
    }
    mdb_cursor_close(cur);
    return rc == MDB_NOTFOUND ? 0 : rc;
}

cm_stat cm_replay_record(const char *dir, uint64_t mapsize, const cm_replay_id *id,
                         int64_t sigtime, int64_t now, uint64_t keep, const char *qid)
{
    rc_env *e = rc_get(dir, mapsize, qid);
    unsigned char ekey[8 + CM_DIGEST_LEN], eval[8];
    MDB_txn *txn = NULL;
    MDB_val k, v;
    int rc;

    if (e == NULL)
        return CM_ERR_REPLAY;
    if ((rc = txn_begin(e, 0, &txn)) != 0) {
        txn = NULL;
        goto failed;
    }
    if ((rc = prune(e, txn, keep > (uint64_t) INT64_MAX ? INT64_MIN : now - (int64_t) keep)) != 0)
        goto failed;
    k.mv_size = CM_DIGEST_LEN;
    k.mv_data = (void *) id->b;
    rc = mdb_get(txn, e->ids, &k, &v);
    if (rc == 0) {
        (void) txn_end(e, txn, 0);
        return CM_GATE_REPLAY;
    }
    if (rc != MDB_NOTFOUND)
        goto failed;
    put_be64(eval, time_key(sigtime));
    memcpy(ekey, eval, 8);
    memcpy(ekey + 8, id->b, CM_DIGEST_LEN);
    v.mv_size = 8;
    v.mv_data = eval;
    if ((rc = mdb_put(txn, e->ids, &k, &v, 0)) != 0)
        goto failed;
    k.mv_size = sizeof(ekey);
    k.mv_data = ekey;
    v.mv_size = 0;
    v.mv_data = eval;
    if ((rc = mdb_put(txn, e->exp, &k, &v, 0)) != 0)
        goto failed;
    rc = txn_end(e, txn, 1);
    txn = NULL;
    if (rc != 0)
        goto failed;
    return CM_OK;
failed:
    if (txn != NULL)
        (void) txn_end(e, txn, 0);
    cm_log_error("%s: ReplayCache %s: %s%s", qid, dir, mdb_strerror(rc),
                 rc == MDB_MAP_FULL ? " (raise ReplayCacheSize, or lower SignatureMaxAge)" : "");
    return rc == MDB_MAP_FULL ? CM_REPLAY_FULL : CM_ERR_REPLAY;
}

long cm_replay_count(const char *dir, uint64_t mapsize)
{
    rc_env *e = rc_get(dir, mapsize, "-");
    MDB_txn *txn;
    MDB_stat st;
    long n = -1;

    if (e == NULL || txn_begin(e, MDB_RDONLY, &txn) != 0)
        return -1;
    if (mdb_stat(txn, e->ids, &st) == 0)
        n = (long) st.ms_entries;
    (void) txn_end(e, txn, 0);
    return n;
}
