/* The replay cache's keep time (issue 22, item 7): processes sharing one
 * cache with different SignatureMaxAge, a reload that lowers then raises
 * it, and a cache written by the first format (two databases). */
#include "cm_testreplay.h"

#include <lmdb.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define SHORT 100
#define LONG 1000

/* The cm_stat a child process exited with. */
static cm_stat child_status(pid_t pid)
{
    int status;

    ck_assert(waitpid(pid, &status, 0) == pid && WIFEXITED(status));
    return (cm_stat) WEXITSTATUS(status);
}

/* A process that keeps signatures SHORT seconds records x, then 200 s
 * later another signature (pruning what it thinks too old). */
static pid_t short_process(const char *dir, const cm_replay_id *x)
{
    pid_t pid = fork();

    ck_assert(pid >= 0);
    if (pid == 0) {
        cm_replay_id y = make_id("YYYY", NOW + 200, 1);
        cm_stat st = cm_replay_record(rp(), dir, MAP, x, NOW, NOW, SHORT, "short");

        if (st == CM_OK)
            st = cm_replay_record(rp(), dir, MAP, &y, NOW + 200, NOW + 200, SHORT, "short");
        _exit((int) st);
    }
    return pid;
}

/* A daemon keeping LONG seconds holds the cache open (it has recorded a
 * signature) while a filter run keeping SHORT records x and prunes; the
 * daemon is then shown x again, within its own limit: a replay. */
START_TEST(a_shorter_limit_elsewhere_does_not_forget_for_a_longer_one)
{
    char dir[512], c = 0;
    cm_replay_id x = make_id("XXXX", NOW, 1);
    int ack[2], go[2];
    pid_t daemon;

    cache_dir(dir, sizeof(dir));
    ck_assert_int_eq(pipe(ack), 0);
    ck_assert_int_eq(pipe(go), 0);
    ck_assert((daemon = fork()) >= 0);
    if (daemon == 0) {
        cm_replay_id z = make_id("ZZZZ", NOW, 1), w = make_id("WWWW", NOW + 250, 1);
        cm_stat st = cm_replay_record(rp(), dir, MAP, &z, NOW, NOW, LONG, "long");

        if (st != CM_OK || write(ack[1], &c, 1) != 1 || read(go[0], &c, 1) != 1)
            _exit(99);
        /* A signature never seen passes. */
        if (cm_replay_record(rp(), dir, MAP, &w, NOW + 250, NOW + 300, LONG, "long") != CM_OK)
            _exit(98);
        _exit((int) cm_replay_record(rp(), dir, MAP, &x, NOW, NOW + 300, LONG, "long"));
    }
    ck_assert_int_eq(read(ack[0], &c, 1), 1);
    ck_assert_int_eq(child_status(short_process(dir, &x)), CM_OK);
    ck_assert_int_eq(write(go[1], &c, 1), 1);
    ck_assert_int_eq(child_status(daemon), CM_GATE_REPLAY);
    /* The short process kept what the long one still needs. */
    ck_assert_int_eq(cm_replay_count(rp(), dir, MAP), 4);
    rp_close();
}
END_TEST

/* The process with the longer limit starts only after the shorter one has
 * forgotten x: the cache cannot say x is new, so it is refused. A
 * signature made after everything forgotten passes. */
START_TEST(a_longer_limit_started_later_refuses_what_was_forgotten)
{
    char dir[512];
    cm_replay_id x = make_id("XXXX", NOW, 1);
    pid_t daemon;

    cache_dir(dir, sizeof(dir));
    ck_assert_int_eq(child_status(short_process(dir, &x)), CM_OK);
    ck_assert((daemon = fork()) >= 0);
    if (daemon == 0) {
        cm_replay_id w = make_id("WWWW", NOW + 150, 1);

        if (cm_replay_record(rp(), dir, MAP, &w, NOW + 150, NOW + 300, LONG, "long") != CM_OK)
            _exit(98);
        _exit((int) cm_replay_record(rp(), dir, MAP, &x, NOW, NOW + 300, LONG, "long"));
    }
    ck_assert_int_eq(child_status(daemon), CM_GATE_REPLAY);
}
END_TEST

/* A reload lowers SignatureMaxAge, then raises it again. */
START_TEST(a_reload_lowering_then_raising_the_limit_forgets_nothing)
{
    char dir[512];
    cm_replay_id x = make_id("XXXX", NOW, 1), y = make_id("YYYY", NOW + 200, 1);

    cache_dir(dir, sizeof(dir));
    ck_assert_int_eq(cm_replay_record(rp(), dir, MAP, &x, NOW, NOW, LONG, "t"), CM_OK);
    ck_assert_int_eq(cm_replay_record(rp(), dir, MAP, &y, NOW + 200, NOW + 200, SHORT, "t"), CM_OK);
    ck_assert_int_eq(cm_replay_count(rp(), dir, MAP), 2);
    ck_assert_int_eq(cm_replay_record(rp(), dir, MAP, &x, NOW, NOW + 300, LONG, "t"),
                     CM_GATE_REPLAY);
    /* Past the longest limit x is forgotten, and still refused. */
    ck_assert_int_eq(cm_replay_record(rp(), dir, MAP, &y, NOW + 200, NOW + 1150, LONG, "t"),
                     CM_GATE_REPLAY);
    ck_assert_int_eq(cm_replay_count(rp(), dir, MAP), 1);
    ck_assert_int_eq(cm_replay_record(rp(), dir, MAP, &x, NOW, NOW + 1150, LONG, "t"),
                     CM_GATE_REPLAY);
    rp_close();
}
END_TEST

static void put_be64(unsigned char *p, uint64_t v)
{
    int i;

    for (i = 7; i >= 0; i--, v >>= 8)
        p[i] = (unsigned char) v;
}

/* Write a cache as the first format did: "ids" (identity -> time) and
 * "bytime" (time || identity -> empty), times offset by 2^63. */
static void old_cache(const char *dir, const cm_replay_id *ids, const int64_t *times, int n)
{
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi byid, bytime;
    int i;

    ck_assert_int_eq(mdb_env_create(&env), 0);
    ck_assert_int_eq(mdb_env_set_maxdbs(env, 2), 0);
    ck_assert_int_eq(mdb_env_set_mapsize(env, MAP), 0);
    ck_assert_int_eq(mdb_env_open(env, dir, 0, 0600), 0);
    ck_assert_int_eq(mdb_txn_begin(env, NULL, 0, &txn), 0);
    ck_assert_int_eq(mdb_dbi_open(txn, "ids", MDB_CREATE, &byid), 0);
    ck_assert_int_eq(mdb_dbi_open(txn, "bytime", MDB_CREATE, &bytime), 0);
    for (i = 0; i < n; i++) {
        unsigned char t[8], tk[8 + CM_DIGEST_LEN];
        MDB_val k = { CM_DIGEST_LEN, (void *) ids[i].b }, v = { 8, t };

        put_be64(t, (uint64_t) times[i] ^ (UINT64_C(1) << 63));
        memcpy(tk, t, 8);
        memcpy(tk + 8, ids[i].b, CM_DIGEST_LEN);
        ck_assert_int_eq(mdb_put(txn, byid, &k, &v, 0), 0);
        k.mv_size = sizeof(tk);
        k.mv_data = tk;
        v.mv_size = 0;
        ck_assert_int_eq(mdb_put(txn, bytime, &k, &v, 0), 0);
    }
    ck_assert_int_eq(mdb_txn_commit(txn), 0);
    mdb_env_close(env);
}

/* A cache written before the keep time was stored: its entries are still
 * known, and what it may already have forgotten (anything older than its
 * oldest entry) is refused rather than taken as new. */
START_TEST(a_cache_of_the_first_format_is_read_conservatively)
{
    char dir[512];
    cm_replay_id a = make_id("AAAA", NOW + 50, 1), b = make_id("BBBB", NOW + 60, 1);
    cm_replay_id old = make_id("OLD", NOW + 10, 1), fresh = make_id("NEW", NOW + 55, 1);
    cm_replay_id v[2] = { a, b };
    int64_t t[2] = { NOW + 50, NOW + 60 };
    int i;

    cache_dir(dir, sizeof(dir));
    old_cache(dir, v, t, 2);
    ck_assert_int_eq(cm_replay_count(rp(), dir, MAP), 2);
    ck_assert_int_eq(cm_replay_record(rp(), dir, MAP, &b, NOW + 60, NOW + 100, LONG, "t"),
                     CM_GATE_REPLAY);
    ck_assert_int_eq(cm_replay_record(rp(), dir, MAP, &old, NOW + 10, NOW + 100, LONG, "t"),
                     CM_GATE_REPLAY);
    ck_assert_int_eq(cm_replay_record(rp(), dir, MAP, &fresh, NOW + 55, NOW + 100, LONG, "t"),
                     CM_OK);
    ck_assert_int_eq(cm_replay_record(rp(), dir, MAP, &a, NOW + 50, NOW + 100, LONG, "t"),
                     CM_GATE_REPLAY);
    rp_close();
    /* Reopened (the conversion is done once): the same answers. */
    for (i = 0; i < 2; i++) {
        ck_assert_int_eq(cm_replay_record(rp(), dir, MAP, &a, NOW + 50, NOW + 101, LONG, "t"),
                         CM_GATE_REPLAY);
        ck_assert_int_eq(cm_replay_record(rp(), dir, MAP, &old, NOW + 10, NOW + 101, LONG, "t"),
                         CM_GATE_REPLAY);
        ck_assert_int_eq(cm_replay_count(rp(), dir, MAP), 3);
        rp_close();
    }
}
END_TEST

static void add(Suite *s)
{
    CM_ADD(s, a_shorter_limit_elsewhere_does_not_forget_for_a_longer_one);
    CM_ADD(s, a_longer_limit_started_later_refuses_what_was_forgotten);
    CM_ADD(s, a_reload_lowering_then_raising_the_limit_forgets_nothing);
    CM_ADD(s, a_cache_of_the_first_format_is_read_conservatively);
}

CM_TEST_MAIN("cm_replay_keep", add)
