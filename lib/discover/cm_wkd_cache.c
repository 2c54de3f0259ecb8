/* cm_wkd_cache - the Web Key Directory's answers by address, in LMDB. */
#include "cm_wkd_cache.h"

#include <errno.h>
#include <lmdb.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define REC_LEN 9           /* found (1 byte), then the time, 8 bytes big-endian */

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static MDB_env *env;        /* under lock, with the directory it is open on */
static char *env_dir;

cm_wkd_cached cm_wkd_cache_judge(int found, int64_t at, int64_t now)
{
    int64_t ttl = found ? CM_WKD_CACHE_FOUND_TTL : CM_WKD_CACHE_MISS_TTL;

    if (at > now || now - at >= ttl)
        return CM_WKD_CACHED_NONE;
    return found ? CM_WKD_CACHED_FOUND : CM_WKD_CACHED_MISS;
}

int cm_wkd_cache_key(const char *addr, char *out, size_t outlen)
{
    size_t i, n = strlen(addr);

    if (n == 0 || n >= outlen)
        return -1;
    for (i = 0; i <= n; i++)
        out[i] = addr[i] >= 'A' && addr[i] <= 'Z' ? (char) (addr[i] - 'A' + 'a') : addr[i];
    return 0;
}

static void close_locked(void)
{
    if (env != NULL)
        mdb_env_close(env);
    env = NULL;
    free(env_dir);
    env_dir = NULL;
}

/* The environment on dir, opened if need be (under lock). 0 or -1. */
static int open_locked(const char *dir, char *err, size_t errlen)
{
    int rc;

    if (env != NULL && strcmp(env_dir, dir) == 0)
        return 0;
    close_locked();
    if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
        snprintf(err, errlen, "KeyDiscoveryCache %s: %s", dir, strerror(errno));
        return -1;
    }
    if ((env_dir = strdup(dir)) == NULL) {
        snprintf(err, errlen, "KeyDiscoveryCache %s: out of memory", dir);
        return -1;
    }
    if ((rc = mdb_env_create(&env)) != 0
        || (rc = mdb_env_set_mapsize(env, CM_WKD_CACHE_MAPSIZE)) != 0
        || (rc = mdb_env_open(env, dir, 0, 0600)) != 0) {
        snprintf(err, errlen, "KeyDiscoveryCache %s: %s", dir, mdb_strerror(rc));
        close_locked();
        return -1;
    }
    return 0;
}

/* A record's verdict at now; a malformed one is stale. */
static cm_wkd_cached judge_rec(const MDB_val *v, int64_t now)
{
    const unsigned char *p = v->mv_data;
    uint64_t at = 0;
    int i;

    if (v->mv_size != REC_LEN)
        return CM_WKD_CACHED_NONE;
    for (i = 1; i < REC_LEN; i++)
        at = at << 8 | p[i];
    return cm_wkd_cache_judge(p[0] != 0, (int64_t) at, now);
}

int cm_wkd_cache_get(const char *dir, const char *addr, int64_t now, cm_wkd_cached *out,
                     char *err, size_t errlen)
{
    char key[512];
    MDB_txn *txn = NULL;
    MDB_dbi dbi;
    MDB_val k, v;
    int rc;

    *out = CM_WKD_CACHED_NONE;
    if (cm_wkd_cache_key(addr, key, sizeof(key)) < 0)
        return 0;       /* too long to be remembered: asked every time */
    pthread_mutex_lock(&lock);
    if (open_locked(dir, err, errlen) < 0) {
        pthread_mutex_unlock(&lock);
        return -1;
    }
    k.mv_data = key;
    k.mv_size = strlen(key);
    if ((rc = mdb_txn_begin(env, NULL, MDB_RDONLY, &txn)) == 0
        && (rc = mdb_dbi_open(txn, NULL, 0, &dbi)) == 0
        && (rc = mdb_get(txn, dbi, &k, &v)) == 0) {
        if (v.mv_size != REC_LEN)
            rc = MDB_CORRUPTED;
        else
            *out = judge_rec(&v, now);
    }
    if (txn != NULL)
        mdb_txn_abort(txn);
    pthread_mutex_unlock(&lock);
    if (rc != 0 && rc != MDB_NOTFOUND) {
        snprintf(err, errlen, "KeyDiscoveryCache %s: %s", dir, mdb_strerror(rc));
        return -1;
    }
    return 0;
}

/* Do the records take more than half the map (under lock)? LMDB hands
 * a transaction's freed pages out only two transactions later, so room
 * is made while there is still room to make it in. 0 (*crowded set) or
 * an LMDB error. */
static int crowded_locked(int *crowded)
{
    MDB_txn *txn = NULL;
    MDB_envinfo info;
    MDB_stat es, ds;
    MDB_dbi dbi;
    int rc;

    *crowded = 0;
    if ((rc = mdb_env_info(env, &info)) != 0 || (rc = mdb_env_stat(env, &es)) != 0
        || (rc = mdb_txn_begin(env, NULL, MDB_RDONLY, &txn)) != 0)
        return rc;
    if ((rc = mdb_dbi_open(txn, NULL, 0, &dbi)) == 0)
        rc = mdb_stat(txn, dbi, &ds);
    mdb_txn_abort(txn);
    if (rc == 0)
        *crowded = (ds.ms_branch_pages + ds.ms_leaf_pages + ds.ms_overflow_pages) * es.ms_psize * 2
                   > info.me_mapsize;
    return rc;
}

/* Room in a crowded map (under lock): the records no longer believed
 * deleted; if that leaves it crowded, all of them (a cache: what is lost
 * is asked again). 0 or an LMDB error. */
static int make_room_locked(int64_t now)
{
    MDB_txn *txn = NULL;
    MDB_cursor *cur = NULL;
    MDB_dbi dbi;
    MDB_val k, v;
    int rc, crowded;

    if ((rc = mdb_txn_begin(env, NULL, 0, &txn)) == 0 && (rc = mdb_dbi_open(txn, NULL, 0, &dbi)) == 0
        && (rc = mdb_cursor_open(txn, dbi, &cur)) == 0) {
        while ((rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) == 0)
            if (judge_rec(&v, now) == CM_WKD_CACHED_NONE && (rc = mdb_cursor_del(cur, 0)) != 0)
                break;
        mdb_cursor_close(cur);
        if (rc == MDB_NOTFOUND)
            rc = mdb_txn_commit(txn);
        else
            mdb_txn_abort(txn);
        txn = NULL;
    }
    if (txn != NULL)
        mdb_txn_abort(txn);
    if (rc != 0 || (rc = crowded_locked(&crowded)) != 0 || !crowded)
        return rc;
    if ((rc = mdb_txn_begin(env, NULL, 0, &txn)) == 0 && (rc = mdb_dbi_open(txn, NULL, 0, &dbi)) == 0
        && (rc = mdb_drop(txn, dbi, 0)) == 0)
        return mdb_txn_commit(txn);
    if (txn != NULL)
        mdb_txn_abort(txn);
    return rc;
}

/* Put k's record v (under lock). 0 or an LMDB error. */
static int put_locked(MDB_val *k, MDB_val *v)
{
    MDB_txn *txn = NULL;
    MDB_dbi dbi;
    int rc;

    if ((rc = mdb_txn_begin(env, NULL, 0, &txn)) == 0 && (rc = mdb_dbi_open(txn, NULL, 0, &dbi)) == 0
        && (rc = mdb_put(txn, dbi, k, v, 0)) == 0) {
        rc = mdb_txn_commit(txn);
        txn = NULL;
    }
    if (txn != NULL)
        mdb_txn_abort(txn);
    return rc;
}

int cm_wkd_cache_put(const char *dir, const char *addr, int found, int64_t now, char *err,
                     size_t errlen)
{
    unsigned char rec[REC_LEN];
    uint64_t at = now < 0 ? 0 : (uint64_t) now;
    char key[512];
    MDB_val k, v;
    int rc, i, crowded;

    if (cm_wkd_cache_key(addr, key, sizeof(key)) < 0)
        return 0;
    rec[0] = found != 0;
    for (i = REC_LEN - 1; i >= 1; i--, at >>= 8)
        rec[i] = (unsigned char) (at & 0xff);
    k.mv_data = key;
    k.mv_size = strlen(key);
    v.mv_data = rec;
    v.mv_size = sizeof(rec);
    pthread_mutex_lock(&lock);
    if (open_locked(dir, err, errlen) < 0) {
        pthread_mutex_unlock(&lock);
        return -1;
    }
    /* Records are only replaced, never expire by themselves: a full map
     * would refuse every answer from then on. */
    if ((rc = crowded_locked(&crowded)) == 0 && crowded)
        rc = make_room_locked(now);
    if (rc == 0)
        rc = put_locked(&k, &v);
    pthread_mutex_unlock(&lock);
    if (rc != 0) {
        snprintf(err, errlen, "KeyDiscoveryCache %s: %s", dir, mdb_strerror(rc));
        return -1;
    }
    return 0;
}

void cm_wkd_cache_close(void)
{
    pthread_mutex_lock(&lock);
    close_locked();
    pthread_mutex_unlock(&lock);
}
