#include "cm_testreplay.h"

#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define SMALL (MAP / 4)

START_TEST(new_then_seen)
{
    char dir[512];
    cm_replay_id id = make_id("AAAA", NOW, 1);

    cache_dir(dir, sizeof(dir));
    ck_assert_int_eq(cm_replay_record(rp(), dir, MAP, &id, NOW, NOW, 100, "t"), CM_OK);
    ck_assert_int_eq(cm_replay_record(rp(), dir, MAP, &id, NOW, NOW + 1, 100, "t"), CM_GATE_REPLAY);
    ck_assert_int_eq(cm_replay_count(rp(), dir, MAP), 1);
    rp_close();
}
END_TEST

START_TEST(identity_parts_all_count)
{
    char dir[512];
    cm_replay_id a = make_id("AAAA", NOW, 1), b = make_id("AAAB", NOW, 1);
    cm_replay_id c = make_id("AAAA", NOW + 1, 1), d = make_id("AAAA", NOW, 2);

    cache_dir(dir, sizeof(dir));
    ck_assert_int_eq(cm_replay_record(rp(), dir, MAP, &a, NOW, NOW, 100, "t"), CM_OK);
    ck_assert_int_eq(cm_replay_record(rp(), dir, MAP, &b, NOW, NOW, 100, "t"), CM_OK);
    ck_assert_int_eq(cm_replay_record(rp(), dir, MAP, &c, NOW, NOW, 100, "t"), CM_OK);
    ck_assert_int_eq(cm_replay_record(rp(), dir, MAP, &d, NOW, NOW, 100, "t"), CM_OK);
    ck_assert_int_eq(cm_replay_count(rp(), dir, MAP), 4);
    rp_close();
}
END_TEST

START_TEST(old_entries_are_pruned_and_forgotten)
{
    char dir[512];
    cm_replay_id a = make_id("AAAA", NOW, 1), b = make_id("BBBB", NOW + 200, 1);

    cache_dir(dir, sizeof(dir));
    ck_assert_int_eq(cm_replay_record(rp(), dir, MAP, &a, NOW, NOW, 100, "t"), CM_OK);
    /* 200 s later, with 100 s kept, a is gone (the gate refuses it now);
     * shown again, the cache cannot say it is new: a replay. */
    ck_assert_int_eq(cm_replay_record(rp(), dir, MAP, &b, NOW + 200, NOW + 200, 100, "t"), CM_OK);
    ck_assert_int_eq(cm_replay_count(rp(), dir, MAP), 1);
    ck_assert_int_eq(cm_replay_record(rp(), dir, MAP, &a, NOW, NOW + 200, 100, "t"),
                     CM_GATE_REPLAY);
    ck_assert_int_eq(cm_replay_count(rp(), dir, MAP), 1);
    rp_close();
}
END_TEST

START_TEST(a_longer_keep_time_keeps_old_entries)
{
    char dir[512];
    cm_replay_id a = make_id("AAAA", NOW, 1), b = make_id("BBBB", NOW + 200, 1);

    cache_dir(dir, sizeof(dir));
    ck_assert_int_eq(cm_replay_record(rp(), dir, MAP, &a, NOW, NOW, 100, "t"), CM_OK);
    /* SignatureMaxAge raised since: a could pass the gate again, so it
     * must still be known. */
    ck_assert_int_eq(cm_replay_record(rp(), dir, MAP, &b, NOW + 200, NOW + 200, 1000, "t"), CM_OK);
    ck_assert_int_eq(cm_replay_record(rp(), dir, MAP, &a, NOW, NOW + 200, 1000, "t"),
                     CM_GATE_REPLAY);
    rp_close();
}
END_TEST

START_TEST(kept_across_reopen)
{
    char dir[512];
    cm_replay_id a = make_id("AAAA", NOW, 7);

    cache_dir(dir, sizeof(dir));
    ck_assert_int_eq(cm_replay_record(rp(), dir, MAP, &a, NOW, NOW, 100, "t"), CM_OK);
    rp_close();
    ck_assert_int_eq(cm_replay_record(rp(), dir, MAP, &a, NOW, NOW + 1, 100, "t"), CM_GATE_REPLAY);
    rp_close();
}
END_TEST

START_TEST(processes_racing_one_wins)
{
    char dir[512];
    cm_replay_id a = make_id("RACE", NOW, 3);
    pid_t pids[8];
    int i, wins = 0, replays = 0, status;

    cache_dir(dir, sizeof(dir));
    for (i = 0; i < 8; i++) {
        ck_assert((pids[i] = fork()) >= 0);
        if (pids[i] == 0) {
            cm_stat st = cm_replay_record(rp(), dir, MAP, &a, NOW, NOW, 100, "t");

            _exit(st == CM_OK ? 0 : st == CM_GATE_REPLAY ? 1 : 2);
        }
    }
    for (i = 0; i < 8; i++) {
        ck_assert(waitpid(pids[i], &status, 0) == pids[i] && WIFEXITED(status));
        wins += WEXITSTATUS(status) == 0;
        replays += WEXITSTATUS(status) == 1;
    }
    ck_assert_int_eq(wins, 1);
    ck_assert_int_eq(replays, 7);
}
END_TEST

START_TEST(full_map_is_its_own_answer)
{
    char dir[512];
    cm_stat st = CM_OK;
    int i;

    cache_dir(dir, sizeof(dir));
    /* A 64 KiB map holds a few hundred entries. */
    for (i = 0; i < 100000 && st == CM_OK; i++) {
        cm_replay_id id = make_id("FILL", NOW + i, i & 0xff);

        st = cm_replay_record(rp(), dir, 64 * 1024, &id, NOW + i, NOW, 1000000, "t");
    }
    ck_assert_int_eq(st, CM_REPLAY_FULL);
    ck_assert_int_gt(i, 10);
    rp_close();
}
END_TEST

START_TEST(unusable_directory_is_an_error_not_a_pass)
{
    char dir[512], path[600];
    cm_replay_id a = make_id("AAAA", NOW, 1);
    FILE *fp;

    cache_dir(dir, sizeof(dir));
    snprintf(path, sizeof(path), "%s/file", dir);
    ck_assert((fp = fopen(path, "w")) != NULL);
    fclose(fp);
    snprintf(path, sizeof(path), "%s/file/replay", dir);
    ck_assert_int_eq(cm_replay_record(rp(), path, MAP, &a, NOW, NOW, 100, "t"), CM_ERR_REPLAY);
    /* A directory whose data file is not a database. */
    snprintf(path, sizeof(path), "%s/data.mdb", dir);
    ck_assert((fp = fopen(path, "w")) != NULL);
    fputs("this is not an LMDB file, and it is long enough to be read as one.....", fp);
    fclose(fp);
    ck_assert_int_eq(cm_replay_record(rp(), dir, MAP, &a, NOW, NOW, 100, "t"), CM_ERR_REPLAY);
    rp_close();
}
END_TEST

/* Fill dir with n entries through a map of mapsize; CM_OK or the first
 * failure. */
static cm_stat fill(const char *dir, uint64_t mapsize, const char *tag, int n)
{
    cm_stat st = CM_OK;
    int i;

    for (i = 0; i < n && st == CM_OK; i++) {
        cm_replay_id id = make_id(tag, NOW + i, i & 0xff);

        st = cm_replay_record(rp(), dir, mapsize, &id, NOW + i, NOW, 1000000, "t");
    }
    return st;
}

/* Another process opens the cache with a larger map and grows it past
 * ours: this process adopts the new size (LMDB's MDB_MAP_RESIZED) rather
 * than failing every record until a restart, and sees the other's
 * entries. */
START_TEST(map_grown_by_another_process_is_adopted)
{
    char dir[512];
    cm_replay_id mine = make_id("MINE", NOW, 1), theirs = make_id("BIG", NOW, 0);
    int go[2], status;
    pid_t pid;
    char c = 0;

    cache_dir(dir, sizeof(dir));
    ck_assert_int_eq(pipe(go), 0);
    /* Forked before this process opens the cache: an LMDB environment
     * must not cross a fork. */
    ck_assert((pid = fork()) >= 0);
    if (pid == 0) {
        close(go[1]);
        _exit(read(go[0], &c, 1) == 1 && fill(dir, 4 * MAP, "BIG", 3000) == CM_OK ? 0 : 1);
    }
    close(go[0]);
    ck_assert_int_eq(cm_replay_record(rp(), dir, 64 * 1024, &mine, NOW, NOW, 1000000, "t"), CM_OK);
    ck_assert_int_eq(write(go[1], &c, 1), 1);
    close(go[1]);
    ck_assert(waitpid(pid, &status, 0) == pid && WIFEXITED(status));
    ck_assert_int_eq(WEXITSTATUS(status), 0);
    /* 3000 entries do not fit the 64 KiB map this process opened with. */
    ck_assert_int_eq(cm_replay_record(rp(), dir, 64 * 1024, &theirs, NOW, NOW, 1000000, "t"),
                     CM_GATE_REPLAY);
    ck_assert_int_eq(cm_replay_count(rp(), dir, 64 * 1024), 3001);
    mine = make_id("MINE", NOW, 2);
    ck_assert_int_eq(cm_replay_record(rp(), dir, 64 * 1024, &mine, NOW, NOW, 1000000, "t"), CM_OK);
    rp_close();
}
END_TEST

/* A reload that raises ReplayCacheSize grows the map this process holds
 * open: a full cache takes entries again. */
START_TEST(reload_with_a_larger_size_grows_the_map)
{
    char dir[512];

    cache_dir(dir, sizeof(dir));
    ck_assert_int_eq(fill(dir, 64 * 1024, "FILL", 100000), CM_REPLAY_FULL);
    ck_assert_int_eq(fill(dir, MAP, "MORE", 500), CM_OK);
    rp_close();
}
END_TEST

/* A full cache recovers once its entries expire (issue 22, item 6): the
 * prune does not share the insert's fate, and the cache keeps room for
 * it. A fresh signature is then recorded, and seen again is a replay. */
START_TEST(full_cache_recovers_once_entries_expire)
{
    char dir[512];
    int64_t later = NOW + 100000 + 1000000 + 1;
    cm_replay_id fresh = make_id("FRESH", later, 1);
    long full;
    int i;

    cache_dir(dir, sizeof(dir));
    /* ReplayCacheSize is at least 1M, which holds some 17,000 entries:
     * a quarter of it fills faster and has the smaller reserve. */
    ck_assert_int_eq(fill(dir, SMALL, "FILL", 100000), CM_REPLAY_FULL);
    full = cm_replay_count(rp(), dir, SMALL);
    ck_assert_int_gt(full, 1000);
    /* Every entry is now past the keep time. */
    ck_assert_int_eq(cm_replay_record(rp(), dir, SMALL, &fresh, later, later, 1000000, "t"), CM_OK);
    ck_assert_int_eq(cm_replay_record(rp(), dir, SMALL, &fresh, later, later + 1, 1000000, "t"),
                     CM_GATE_REPLAY);
    for (i = 0; i < 300; i++) {
        cm_replay_id id = make_id("NEXT", later + i, i & 0xff);

        ck_assert_int_eq(cm_replay_record(rp(), dir, SMALL, &id, later + i, later, 1000000, "t"),
                         CM_OK);
    }
    ck_assert_int_lt(cm_replay_count(rp(), dir, SMALL), full);
    /* The first entry, forgotten, is still no new signature. */
    fresh = make_id("FILL", NOW, 0);
    ck_assert_int_eq(cm_replay_record(rp(), dir, SMALL, &fresh, NOW, later, 1000000, "t"),
                     CM_GATE_REPLAY);
    rp_close();
    /* A process opening it afresh finds it usable too. */
    fresh = make_id("FRESH", later, 2);
    ck_assert_int_eq(cm_replay_record(rp(), dir, SMALL, &fresh, later, later, 1000000, "t"), CM_OK);
    rp_close();
}
END_TEST

/* A reload that names another directory closes the old environment (it
 * was not in use): used again, it is opened afresh. The directory kept
 * stays open. */
START_TEST(retire_closes_every_directory_but_the_one_kept)
{
    char a[512], b[512];
    cm_replay_id x = make_id("AAAA", NOW, 1);

    cache_dir(a, sizeof(a));
    cache_dir(b, sizeof(b));
    ck_assert_int_eq(cm_replay_record(rp(), a, MAP, &x, NOW, NOW, 100, "t"), CM_OK);
    ck_assert_int_eq(cm_replay_record(rp(), b, MAP, &x, NOW, NOW, 100, "t"), CM_OK);
    cm_replay_retire(rp(), b);
    remove_cache_files(a);
    remove_cache_files(b);
    ck_assert_int_eq(cm_replay_record(rp(), a, MAP, &x, NOW, NOW + 1, 100, "t"), CM_OK);
    ck_assert_int_eq(cm_replay_record(rp(), b, MAP, &x, NOW, NOW + 1, 100, "t"),
                     CM_GATE_REPLAY);
    cm_replay_retire(rp(), NULL);
    ck_assert_int_eq(cm_replay_count(rp(), b, MAP), 0);
    rp_close();
}
END_TEST

/* No set (a front end that made none): the gate defers, never passes. */
START_TEST(no_set_is_an_error_not_a_pass)
{
    char dir[512];
    cm_replay_id x = make_id("AAAA", NOW, 1);

    cache_dir(dir, sizeof(dir));
    ck_assert_int_eq(cm_replay_record(NULL, dir, MAP, &x, NOW, NOW, 100, "t"), CM_ERR_REPLAY);
    ck_assert_int_eq(cm_replay_count(NULL, dir, MAP), -1);
}
END_TEST

static void add(Suite *s)
{
    CM_ADD(s, new_then_seen);
    CM_ADD(s, identity_parts_all_count);
    CM_ADD(s, old_entries_are_pruned_and_forgotten);
    CM_ADD(s, a_longer_keep_time_keeps_old_entries);
    CM_ADD(s, kept_across_reopen);
    CM_ADD(s, processes_racing_one_wins);
    CM_ADD(s, full_map_is_its_own_answer);
    CM_ADD(s, map_grown_by_another_process_is_adopted);
    CM_ADD(s, reload_with_a_larger_size_grows_the_map);
    {
        /* Some 4,000 commits, each synced to disk. */
        TCase *tc = tcase_create("full_cache_recovers_once_entries_expire");

        tcase_set_timeout(tc, 300);
        tcase_add_test(tc, full_cache_recovers_once_entries_expire);
        suite_add_tcase(s, tc);
    }
    CM_ADD(s, unusable_directory_is_an_error_not_a_pass);
    CM_ADD(s, retire_closes_every_directory_but_the_one_kept);
    CM_ADD(s, no_set_is_an_error_not_a_pass);
}

CM_TEST_MAIN("cm_replay", add)
