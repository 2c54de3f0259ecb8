/* cm_replaydb - one replay cache directory's LMDB environment.
 *
 * Databases in one environment:
 *   "bytime": signature time (8 bytes, big-endian, offset) || identity -> empty.
 *             An identity is made from its signature time, so this one key
 *             both answers "seen?" and sorts the entries for pruning.
 *   "meta":   "keep": the longest keep time any process ever asked for;
 *             "forgot": the newest signature time ever pruned (offset).
 *   "ids":    only in a cache of the first format (identity -> time);
 *             emptied a little at each record, no longer read.
 *
 * What is forgotten (issue 22, item 7): an entry is pruned once older than
 * the longest keep time ever used on this cache, kept monotone in "keep",
 * so a filter or a reload with a shorter SignatureMaxAge never forgets what
 * a process with a longer one would still accept. A limit raised above
 * every earlier one cannot bring back what was already pruned, so a
 * signature made at or before "forgot" is answered as seen before (the
 * cache cannot say it is new). A cache of the first format is given
 * "forgot" = its oldest entry's time - 1 (else the time it is opened):
 * what its earlier pruning may have dropped is refused, never taken as new.
 *
 * Recording is two write transactions (issue 22, item 6): first the prune,
 * bounded per call, halved when the map has no room for it, and committed
 * only when there is something to forget (PRUNE_LAG), then the look-up and
 * insert. An insert is refused (CM_REPLAY_FULL) while fewer than
 * a reserve of pages are free, so a prune (deletes copy pages too) always
 * fits, and a full cache takes entries again as soon as old ones expire.
 * Readers left by dead processes are cleared at open: they would pin freed
 * pages. LMDB serialises writers across processes with a robust mutex in
 * its lock file, so two processes given the same signature at the same
 * moment cannot both see it as new.
 *
 * The map size: another process sharing the directory (the filter, a
 * second daemon) may open it with a larger ReplayCacheSize and grow the
 * data past this process's map; LMDB then answers MDB_MAP_RESIZED, and the
 * new size is adopted (mdb_env_set_mapsize(0)) rather than deferring
 * every outbound message until a restart. A reload that raises
 * ReplayCacheSize grows the open map. Both need no transaction open in
 * this process: transactions hold the environment's lock shared, a resize
 * holds it exclusive. */
#include "cm_replaydb.h"
#include "cm_log.h"

#include <errno.h>
#include <lmdb.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

/* Pruned per record at most, so one message never pays for a backlog. */
#define PRUNE_MAX 256
/* A prune starts only once the oldest entry is this many seconds past the
 * keep time: then one commit forgets a minute of entries, rather than
 * every record paying a second synced commit for one. Keeping an entry
 * longer never lets a signature through. */
#define PRUNE_LAG 60
/* Pages kept free for the prune: an eighth of the map, at least
 * RESERVE_MIN (half of a map smaller than 64 pages) and at most RESERVE_MAX.
 * A prune copies the path to each leaf it changes (a few leaves of
 * PRUNE_MAX entries, depth 3 at 64M), the meta and name leaves and the
 * free list's; LMDB reuses a page only two commits after it was freed, so
 * the pages the last commit freed (as many again) do not count. */
#define RESERVE_MIN 32
#define RESERVE_MAX 64
/* LMDB's databases of its own: the free page list and the names. */
#define FREE_DBI 0
#define MAIN_DBI 1

struct cm_replaydb {
    char *dir;
    MDB_env *env;
    MDB_dbi exp, meta, ids;
    int legacy;                 /* "ids" may hold entries (only in write transactions) */
    size_t psize;
    uint64_t mapsize;           /* the largest asked for */
    pthread_rwlock_t lock;      /* shared: a transaction; exclusive: a resize */
    int has_lock;
};

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

/* Times are stored offset so that negative ones sort too. */
static uint64_t time_key(int64_t t)
{
    return (uint64_t) t ^ (UINT64_C(1) << 63);
}

/* The signature time of now - keep, without overflow. */
static int64_t cutoff_of(int64_t now, uint64_t keep)
{
    if (keep > (uint64_t) INT64_MAX || now < INT64_MIN + (int64_t) keep)
        return INT64_MIN;
    return now - (int64_t) keep;
}

/* A meta record (8 bytes): 0, MDB_NOTFOUND, or an error. */
static int meta_get(const cm_replaydb *e, MDB_txn *txn, const char *name, uint64_t *val)
{
    MDB_val k, v;
    int rc;

    k.mv_size = strlen(name);
    k.mv_data = (void *) name;
    if ((rc = mdb_get(txn, e->meta, &k, &v)) != 0)
        return rc;
    if (v.mv_size != 8)
        return MDB_CORRUPTED;
    *val = get_be64(v.mv_data);
    return 0;
}

static int meta_put(const cm_replaydb *e, MDB_txn *txn, const char *name, uint64_t val)
{
    unsigned char b[8];
    MDB_val k, v;

    put_be64(b, val);
    k.mv_size = strlen(name);
    k.mv_data = (void *) name;
    v.mv_size = sizeof(b);
    v.mv_data = b;
    return mdb_put(txn, e->meta, &k, &v, 0);
}

/* The first "forgot" of a cache: nothing for a new one; for one of the
 * first format, which pruned without saying, everything older than its
 * oldest entry (or than now, if it holds none). */
static int forgot_init(const cm_replaydb *e, MDB_txn *txn, int64_t now)
{
    MDB_cursor *cur;
    MDB_val k, v;
    uint64_t forgot = 0;
    int rc;

    if ((rc = meta_get(e, txn, "forgot", &forgot)) != MDB_NOTFOUND)
        return rc;
    if (e->legacy) {
        if ((rc = mdb_cursor_open(txn, e->exp, &cur)) != 0)
            return rc;
        rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
        mdb_cursor_close(cur);
        if (rc == 0 && k.mv_size != 8 + CM_DIGEST_LEN)
            return MDB_CORRUPTED;
        if (rc != 0 && rc != MDB_NOTFOUND)
            return rc;
        forgot = rc == 0 ? get_be64(k.mv_data) : time_key(now);
        if (forgot > 0 && rc == 0)
            forgot--;
    }
    return meta_put(e, txn, "forgot", forgot);
}

void cm_replaydb_close(cm_replaydb *e)
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

cm_replaydb *cm_replaydb_open(const char *dir, uint64_t mapsize, int64_t now, const char *qid)
{
    cm_replaydb *e = calloc(1, sizeof(*e));
    MDB_txn *txn = NULL;
    MDB_stat st;
    int rc, dead;

    if (e == NULL || (e->dir = strdup(dir)) == NULL) {
        cm_replaydb_close(e);
        cm_log_error("%s: ReplayCache %s: out of memory", qid, dir);
        return NULL;
    }
    if (pthread_rwlock_init(&e->lock, NULL) != 0) {
        cm_log_error("%s: ReplayCache %s: cannot create a lock", qid, dir);
        cm_replaydb_close(e);
        return NULL;
    }
    e->has_lock = 1;
    e->mapsize = mapsize;
    if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
        cm_log_errno("%s: ReplayCache %s: cannot create it", qid, dir);
        cm_replaydb_close(e);
        return NULL;
    }
    if ((rc = mdb_env_create(&e->env)) != 0
        || (rc = mdb_env_set_maxdbs(e->env, 3)) != 0
        || (rc = mdb_env_set_mapsize(e->env, (size_t) mapsize)) != 0
        || (rc = mdb_env_open(e->env, dir, 0, 0600)) != 0
        || (rc = mdb_reader_check(e->env, &dead)) != 0
        || (rc = mdb_env_stat(e->env, &st)) != 0
        || (rc = mdb_txn_begin(e->env, NULL, 0, &txn)) != 0
        || (rc = mdb_dbi_open(txn, "bytime", MDB_CREATE, &e->exp)) != 0
        || (rc = mdb_dbi_open(txn, "meta", MDB_CREATE, &e->meta)) != 0)
        goto failed;
    if ((rc = mdb_dbi_open(txn, "ids", 0, &e->ids)) != 0 && rc != MDB_NOTFOUND)
        goto failed;
    e->legacy = rc == 0;
    e->psize = st.ms_psize;
    if ((rc = forgot_init(e, txn, now)) != 0)
        goto failed;
    rc = mdb_txn_commit(txn);
    txn = NULL;
    if (rc == 0)
        return e;
failed:
    if (txn != NULL)
        mdb_txn_abort(txn);
    cm_log_error("%s: ReplayCache %s: %s%s", qid, dir, mdb_strerror(rc),
                 rc == MDB_MAP_FULL ? " (raise ReplayCacheSize)" : "");
    cm_replaydb_close(e);
    return NULL;
}

/* Set the map size (0: adopt the one another process set), with no
 * transaction of this process open. */
static int rc_resize(cm_replaydb *e, size_t size)
{
    int rc;

    if (pthread_rwlock_wrlock(&e->lock) != 0)
        return EINVAL;
    rc = mdb_env_set_mapsize(e->env, size);
    (void) pthread_rwlock_unlock(&e->lock);
    return rc;
}

/* Begin a transaction holding e's lock shared (txn_end releases both),
 * adopting a map another process grew. */
static int txn_begin(cm_replaydb *e, unsigned flags, MDB_txn **txn)
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
static int txn_end(cm_replaydb *e, MDB_txn *txn, int commit)
{
    int rc = 0;

    if (commit)
        rc = mdb_txn_commit(txn);
    else
        mdb_txn_abort(txn);
    (void) pthread_rwlock_unlock(&e->lock);
    return rc;
}

/* Delete up to *n of the first entries of dbi while their keys sort
 * before limit (all of them if limit is NULL), if the first sorts before
 * start; *n becomes the count left, *last the newest key deleted (8 bytes
 * of it). */
static int delete_first(MDB_txn *txn, MDB_dbi dbi, const unsigned char *start,
                        const unsigned char *limit, int *n, uint64_t *last)
{
    MDB_cursor *cur;
    MDB_val k, v;
    int rc;

    if ((rc = mdb_cursor_open(txn, dbi, &cur)) != 0)
        return rc;
    while (*n > 0 && (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST)) == 0) {
        if (limit != NULL && (k.mv_size != 8 + CM_DIGEST_LEN || memcmp(k.mv_data, limit, 8) >= 0))
            break;
        if (start != NULL && memcmp(k.mv_data, start, 8) >= 0)
            break;
        start = NULL;
        if (last != NULL)
            *last = get_be64(k.mv_data);
        if ((rc = mdb_cursor_del(cur, 0)) != 0)
            break;
        (*n)--;
    }
    mdb_cursor_close(cur);
    return rc;
}

/* One pruning transaction, of at most max deletions: raise the stored
 * keep time to keep, then forget what is older than the stored one. */
static int prune(cm_replaydb *e, int64_t now, uint64_t keep, int max)
{
    MDB_txn *txn;
    uint64_t stored = 0, forgot = 0, last = 0;
    unsigned char limit[8], start[8];
    int rc, n = max, legacy_empty = 0, changed = 0;

    if ((rc = txn_begin(e, 0, &txn)) != 0)
        return rc;
    if ((rc = meta_get(e, txn, "keep", &stored)) != 0 && rc != MDB_NOTFOUND)
        goto done;
    if (rc == MDB_NOTFOUND || keep > stored) {
        if ((rc = meta_put(e, txn, "keep", keep)) != 0)
            goto done;
        stored = keep;
        changed = 1;
    }
    if ((rc = meta_get(e, txn, "forgot", &forgot)) != 0)
        goto done;
    if (e->legacy) {
        rc = delete_first(txn, e->ids, NULL, NULL, &n, NULL);
        if (rc != 0 && rc != MDB_NOTFOUND)
            goto done;
        /* Found empty: nothing to commit for it, so no longer looked at. */
        legacy_empty = rc == MDB_NOTFOUND && n == max;
        changed |= n < max;
    }
    put_be64(limit, time_key(cutoff_of(now, stored)));
    put_be64(start, time_key(cutoff_of(now, stored > UINT64_MAX - PRUNE_LAG ? stored
                                                   : stored + PRUNE_LAG)));
    max = n;
    if ((rc = delete_first(txn, e->exp, start, limit, &n, &last)) != 0 && rc != MDB_NOTFOUND)
        goto done;
    rc = 0;
    if (n < max && last > forgot)
        rc = meta_put(e, txn, "forgot", last);
    changed |= n < max;
done:
    if (rc == 0 && legacy_empty)
        e->legacy = 0;          /* in the write transaction: writers are serialised */
    if (rc != 0 || !changed) {
        (void) txn_end(e, txn, 0);
        return rc;
    }
    return txn_end(e, txn, 1);
}

/* Whether an insert leaves the reserve free: 1, 0, or -1 (error). */
static int has_room(cm_replaydb *e, MDB_txn *txn)
{
    MDB_dbi dbis[5] = { FREE_DBI, MAIN_DBI, 0, 0, 0 };
    MDB_envinfo info;
    MDB_stat st;
    size_t used = 2, pages, reserve, i, n = 4;  /* 2: LMDB's meta pages */

    dbis[2] = e->exp;
    dbis[3] = e->meta;
    if (e->legacy)
        dbis[n++] = e->ids;
    if (mdb_env_info(e->env, &info) != 0 || e->psize == 0)
        return -1;
    for (i = 0; i < n; i++) {
        if (mdb_stat(txn, dbis[i], &st) != 0)
            return -1;
        used += st.ms_branch_pages + st.ms_leaf_pages + st.ms_overflow_pages;
    }
    pages = info.me_mapsize / e->psize;
    reserve = pages / 8 < RESERVE_MAX ? pages / 8 : RESERVE_MAX;
    if (reserve < RESERVE_MIN)
        reserve = pages / 2 < RESERVE_MIN ? pages / 2 : RESERVE_MIN;
    return used < pages && pages - used > reserve;
}

/* Prune in transactions of their own, halving the batch when the map has
 * no room for it: 0, MDB_MAP_FULL (nothing could be pruned), or an error. */
static int tidy(cm_replaydb *e, int64_t now, uint64_t keep)
{
    int rc, max, dead;

    for (max = PRUNE_MAX;; max /= 2) {
        rc = prune(e, now, keep, max);
        if ((rc != MDB_MAP_FULL && rc != MDB_TXN_FULL) || max == 1)
            break;
        if (max == PRUNE_MAX)
            (void) mdb_reader_check(e->env, &dead);
    }
    return rc == MDB_TXN_FULL ? MDB_MAP_FULL : rc;
}

cm_stat cm_replaydb_record(cm_replaydb *e, const cm_replay_id *id, int64_t sigtime, int64_t now,
                           uint64_t keep, const char *qid)
{
    const char *dir = e->dir;
    unsigned char key[8 + CM_DIGEST_LEN];
    uint64_t forgot;
    MDB_txn *txn = NULL;
    MDB_val k, v;
    int rc, room;

    if ((rc = tidy(e, now, keep)) == MDB_MAP_FULL)
        cm_log_warn("%s: ReplayCache %s: no room to prune", qid, dir);
    else if (rc != 0)
        goto failed;
    if ((rc = txn_begin(e, 0, &txn)) != 0) {
        txn = NULL;
        goto failed;
    }
    put_be64(key, time_key(sigtime));
    memcpy(key + 8, id->b, CM_DIGEST_LEN);
    k.mv_size = sizeof(key);
    k.mv_data = key;
    if ((rc = mdb_get(txn, e->exp, &k, &v)) == 0) {
        (void) txn_end(e, txn, 0);
        return CM_GATE_REPLAY;
    }
    if (rc != MDB_NOTFOUND || (rc = meta_get(e, txn, "forgot", &forgot)) != 0)
        goto failed;
    if (time_key(sigtime) <= forgot) {
        (void) txn_end(e, txn, 0);
        cm_log_info("%s: ReplayCache %s: the signature is older than entries already pruned",
                    qid, dir);
        return CM_GATE_REPLAY;
    }
    if ((room = has_room(e, txn)) < 0) {
        rc = EINVAL;
        goto failed;
    }
    if (!room) {
        rc = MDB_MAP_FULL;
        goto failed;
    }
    v.mv_size = 0;
    v.mv_data = key;
    if ((rc = mdb_put(txn, e->exp, &k, &v, MDB_NOOVERWRITE)) != 0)
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

void cm_replaydb_grow(cm_replaydb *e, uint64_t mapsize, const char *qid)
{
    int rc;

    if (mapsize <= e->mapsize)
        return;
    if ((rc = rc_resize(e, (size_t) mapsize)) != 0)
        cm_log_warn("%s: ReplayCache %s: cannot grow to %llu bytes: %s", qid, e->dir,
                    (unsigned long long) mapsize, mdb_strerror(rc));
    else
        e->mapsize = mapsize;
}

long cm_replaydb_count(cm_replaydb *e)
{
    MDB_txn *txn;
    MDB_stat st;
    long n = -1;

    if (txn_begin(e, MDB_RDONLY, &txn) != 0)
        return -1;
    if (mdb_stat(txn, e->exp, &st) == 0)
        n = (long) st.ms_entries;
    (void) txn_end(e, txn, 0);
    return n;
}

int cm_replaydb_init(cm_replaydb *e, int64_t now, char *err, size_t errlen)
{
    uint64_t forgot = 0, stamp = time_key(now > INT64_MIN ? now - 1 : now);
    MDB_txn *txn;
    int rc;

    if ((rc = txn_begin(e, 0, &txn)) != 0) {
        snprintf(err, errlen, "%s: %s", e->dir, mdb_strerror(rc));
        return -1;
    }
    if ((rc = meta_get(e, txn, "forgot", &forgot)) != 0 && rc != MDB_NOTFOUND)
        goto failed;
    if (rc == MDB_NOTFOUND || stamp > forgot) {
        if ((rc = meta_put(e, txn, "forgot", stamp)) != 0)
            goto failed;
        if ((rc = txn_end(e, txn, 1)) != 0)
            goto done;
        return 0;
    }
    (void) txn_end(e, txn, 0);
    return 0;
failed:
    (void) txn_end(e, txn, 0);
done:
    snprintf(err, errlen, "%s: %s", e->dir, mdb_strerror(rc));
    return -1;
}

/* The table's adapters. */
static void *db_open(const char *where, const cm_replay_opts *o, int64_t now, const char *qid)
{
    return cm_replaydb_open(where, o->mapsize, now, qid);
}

static void db_reopen(void *db, const cm_replay_opts *o, const char *qid)
{
    cm_replaydb_grow(db, o->mapsize, qid);
}

static cm_stat db_record(void *db, const cm_replay_id *id, int64_t sigtime, int64_t now,
                         uint64_t keep, const char *qid)
{
    return cm_replaydb_record(db, id, sigtime, now, keep, qid);
}

static long db_count(void *db)
{
    return cm_replaydb_count(db);
}

static void db_close(void *db)
{
    cm_replaydb_close(db);
}

static int db_init(void *db, int64_t now, char *err, size_t errlen)
{
    return cm_replaydb_init(db, now, err, errlen);
}

/* Opened and read: what -n can say of a directory beyond its permissions. */
static int db_check(void *db, char *err, size_t errlen, char *warn, size_t warnlen)
{
    if (warnlen > 0)
        warn[0] = 0;
    if (cm_replaydb_count(db) < 0) {
        snprintf(err, errlen, "%s: cannot be read", ((cm_replaydb *) db)->dir);
        return -1;
    }
    return 0;
}

const cm_replay_backend cm_replaydb_backend = {
    .name = "lmdb",
    .open = db_open,
    .reopen = db_reopen,
    .record = db_record,
    .count = db_count,
    .close = db_close,
    .init = db_init,
    .check = db_check,
};
