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

int cm_wkd_cache_get(const char *dir, const char *addr, int64_t now, cm_wkd_cached *out,
                     char *err, size_t errlen)
{
    char key[512];
    unsigned char *p;
    MDB_txn *txn = NULL;
    MDB_dbi dbi;
    MDB_val k, v;
    uint64_t at = 0;
    int rc, i;

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
        if (v.mv_size != REC_LEN) {
            rc = MDB_CORRUPTED;
        } else {
            p = v.mv_data;
            for (i = 1; i < REC_LEN; i++)
                at = at << 8 | p[i];
            *out = cm_wkd_cache_judge(p[0] != 0, (int64_t) at, now);
        }
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

int cm_wkd_cache_put(const char *dir, const char *addr, int found, int64_t now, char *err,
                     size_t errlen)
{
    unsigned char rec[REC_LEN];
    uint64_t at = now < 0 ? 0 : (uint64_t) now;
    char key[512];
    MDB_txn *txn = NULL;
    MDB_dbi dbi;
    MDB_val k, v;
    int rc, i;

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
    if ((rc = mdb_txn_begin(env, NULL, 0, &txn)) == 0 && (rc = mdb_dbi_open(txn, NULL, 0, &dbi)) == 0
        && (rc = mdb_put(txn, dbi, &k, &v, 0)) == 0) {
        rc = mdb_txn_commit(txn);
        txn = NULL;
    }
    if (txn != NULL)
        mdb_txn_abort(txn);
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
