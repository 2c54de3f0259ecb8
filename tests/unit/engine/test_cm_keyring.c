/* cm_keyring_stamp, the check before every message: the identity it
 * takes by stat alone is the one cm_keyring_stat (open and fstat) takes,
 * for pubring.kbx, for pubring.gpg alone and with both (kbx first, as
 * gpg); it moves when the keyring is replaced or rewritten in place; and
 * what stat alone cannot vouch for (no directory, no keyring, a keyring
 * that is not a regular file) is an error, as it was before. Between gpg's
 * two renames (pubring.kbx to pubring.kbx~, the new file to pubring.kbx)
 * the keyring is looked for again, a bounded time, before that error. */
#include "cm_keyring.h"
#include "cm_test.h"

#include <fcntl.h>
#include <pthread.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static char dir[4096];

static void path_of(char *buf, size_t len, const char *name)
{
    int n = snprintf(buf, len, "%s/%s", dir, name);

    ck_assert(n > 0 && (size_t) n < len);
}

/* name in dir with text, written aside and renamed over (as a keyring
 * tool replaces it) unless in_place. */
static void put_file(const char *name, const char *text, int in_place)
{
    char path[4200], aside[4300];
    int fd;

    path_of(path, sizeof(path), name);
    snprintf(aside, sizeof(aside), "%s.new", path);
    fd = open(in_place ? path : aside, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t) strlen(text));
    ck_assert_int_eq(close(fd), 0);
    if (!in_place)
        ck_assert_int_eq(rename(aside, path), 0);
}

static void remove_file(const char *name)
{
    char path[4200];

    path_of(path, sizeof(path), name);
    (void) unlink(path);
    (void) rmdir(path);
}

static void setup(void)
{
    cm_test_path(dir, sizeof(dir), "keyring");
    ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void teardown(void)
{
    remove_file("pubring.kbx");
    remove_file("pubring.gpg");
    remove_file("pubring.kbx~");
    remove_file("pubring.kbx.tmp");
    (void) rmdir(dir);
}

/* The stamp's identity, checked against cm_keyring_stat's. */
static cm_snapshot_file stamp_ok(void)
{
    cm_snapshot_stamp s;
    cm_snapshot_file viaopen;
    char err[512];

    memset(&s, 0, sizeof(s));
    ck_assert_int_eq(cm_keyring_stamp(dir, "QID", &s), CM_OK);
    ck_assert_int_eq(cm_keyring_stat(dir, &viaopen, err, sizeof(err)), CM_KEYRING_OK);
    ck_assert(cm_snapshot_file_eq(&s.file[0], &viaopen));
    ck_assert(s.file[0].ino != 0);
    return s.file[0];
}

static cm_snapshot_file ident(const char *name)
{
    char path[4200];
    cm_snapshot_file f;

    path_of(path, sizeof(path), name);
    ck_assert_int_eq(cm_snapshot_file_stat(path, &f), 0);
    return f;
}

START_TEST(stamp_is_the_opened_identity)
{
    cm_snapshot_file a, k;

    put_file("pubring.gpg", "gpg keys", 0);
    a = stamp_ok();
    k = ident("pubring.gpg");
    ck_assert(cm_snapshot_file_eq(&a, &k));
    put_file("pubring.kbx", "kbx keys", 0);
    a = stamp_ok();
    k = ident("pubring.kbx");
    ck_assert(cm_snapshot_file_eq(&a, &k));
}
END_TEST

START_TEST(stamp_moves_with_the_file)
{
    struct timespec pause = {0, 20 * 1000 * 1000};
    cm_snapshot_file a, b, c;

    put_file("pubring.kbx", "version 1", 0);
    a = stamp_ok();
    b = stamp_ok();
    ck_assert(cm_snapshot_file_eq(&a, &b));
    put_file("pubring.kbx", "version 2", 0);        /* same size, new inode */
    b = stamp_ok();
    ck_assert(!cm_snapshot_file_eq(&a, &b));
    ck_assert_int_eq(nanosleep(&pause, NULL), 0);
    put_file("pubring.kbx", "version 3", 1);        /* in place, same size */
    c = stamp_ok();
    ck_assert(!cm_snapshot_file_eq(&b, &c));
}
END_TEST

static void stamp_fails(void)
{
    cm_snapshot_stamp s;

    memset(&s, 0, sizeof(s));
    ck_assert_int_eq(cm_keyring_stamp(dir, "QID", &s), CM_ERR_KEYRING);
}

START_TEST(stamp_fails_closed)
{
    char path[4200];

    stamp_fails();                                  /* no keyring */
    path_of(path, sizeof(path), "pubring.kbx");
    ck_assert_int_eq(mkdir(path, 0700), 0);
    put_file("pubring.gpg", "gpg keys", 0);
    stamp_fails();                                  /* kbx not a regular file */
    remove_file("pubring.kbx");
    remove_file("pubring.gpg");
    ck_assert_int_eq(rmdir(dir), 0);
    stamp_fails();                                  /* no directory */
    ck_assert_int_eq(mkdir(dir, 0700), 0);
}
END_TEST

/* gpg's second rename, made by another thread after a delay. */
static void *rename_later(void *arg)
{
    struct timespec d = {0, *(const long *) arg};
    char from[4200], to[4200];

    path_of(from, sizeof(from), "pubring.kbx.tmp");
    path_of(to, sizeof(to), "pubring.kbx");
    (void) nanosleep(&d, NULL);
    return rename(from, to) == 0 ? arg : NULL;
}

static double ms_since(const struct timespec *t0)
{
    struct timespec t;

    ck_assert_int_eq(clock_gettime(CLOCK_MONOTONIC, &t), 0);
    return (double) (t.tv_sec - t0->tv_sec) * 1e3 + (double) (t.tv_nsec - t0->tv_nsec) / 1e6;
}

/* Caught between the renames: pubring.kbx~ there, pubring.kbx not yet.
 * The message's stamp waits for the new file and takes its identity. */
START_TEST(rename_window_is_waited_out)
{
    static long delay = 15 * 1000 * 1000;
    cm_snapshot_stamp s;
    cm_snapshot_file k;
    pthread_t th;
    void *done = NULL;

    put_file("pubring.kbx~", "old keys", 1);
    put_file("pubring.kbx.tmp", "new keys", 1);
    ck_assert_int_eq(pthread_create(&th, NULL, rename_later, &delay), 0);
    memset(&s, 0, sizeof(s));
    ck_assert_int_eq(cm_keyring_stamp(dir, "QID", &s), CM_OK);
    ck_assert_int_eq(pthread_join(th, &done), 0);
    ck_assert_ptr_nonnull(done);
    k = ident("pubring.kbx");
    ck_assert(cm_snapshot_file_eq(&s.file[0], &k));
}
END_TEST

/* The backup there and no keyring ever comes: still "no public keyring"
 * (the 4xx), after the bounded wait, not more; and at once without one. */
START_TEST(rename_window_is_bounded)
{
    const double bound = CM_KEYRING_RENAME_TRIES * (CM_KEYRING_RENAME_WAIT_NS / 1e6);
    cm_snapshot_file id;
    struct timespec t0;
    char err[512] = "";
    double ms;

    ck_assert_uint_le(CM_KEYRING_RENAME_TRIES * CM_KEYRING_RENAME_WAIT_NS, 50 * 1000 * 1000);
    put_file("pubring.kbx~", "old keys", 1);
    ck_assert_int_eq(clock_gettime(CLOCK_MONOTONIC, &t0), 0);
    ck_assert_int_eq(cm_keyring_stat(dir, &id, err, sizeof(err)), CM_KEYRING_MISSING);
    ms = ms_since(&t0);
    ck_assert_ptr_nonnull(strstr(err, "holds no public keyring"));
    ck_assert_msg(ms >= bound && ms < bound + 1000, "%.1f ms, bound %.1f ms", ms, bound);
    remove_file("pubring.kbx~");
    ck_assert_int_eq(clock_gettime(CLOCK_MONOTONIC, &t0), 0);
    ck_assert_int_eq(cm_keyring_stat(dir, &id, err, sizeof(err)), CM_KEYRING_MISSING);
    ms = ms_since(&t0);
    ck_assert_msg(ms < bound, "no backup, yet %.1f ms", ms);
}
END_TEST

/* What a Web Key Directory serves is taken only as public keys: binary
 * packets with definite lengths to the end, without a secret key (tag 5)
 * or secret subkey (7) among them, nor a user ID (13) that two readers
 * may take for two addresses; the primary keys (6) are counted.
 * Hand-made packets: the checker reads no body but a user ID's. */
START_TEST(public_only)
{
    static const struct {
        const char *what;
        unsigned char p[16];
        size_t n;
        int ok;
        size_t keys;
    } t[] = {
        /* new format: key (6), user ID (13), subkey (14) */
        {"key uid subkey", {0xc6, 1, 0, 0xcd, 1, 'a', 0xce, 2, 0, 0}, 10, 1, 1},
        /* old format: two keys, a one- and a two-byte length */
        {"two keys", {0x98, 1, 0, 0x99, 0, 1, 0}, 7, 1, 2},
        {"secret key", {0xc5, 1, 0, 0xcd, 1, 'a'}, 6, 0, 0},
        {"secret subkey", {0xc6, 1, 0, 0xc7, 1, 0}, 6, 0, 0},
        {"old-format secret key", {0x94, 1, 0}, 3, 0, 0},
        {"armored", {'-', '-', '-', '-', '-', 'B'}, 6, 0, 0},
        {"cut short", {0xc6, 5, 0}, 3, 0, 0},
        {"partial length", {0xc6, 0xe1, 0}, 3, 0, 0},
        {"empty", {0}, 0, 1, 0},
        /* user IDs: one '<' is one address; two, or a NUL, may be two */
        {"uid one <", {0xc6, 1, 0, 0xcd, 5, 'a', '<', 'b', '@', '>'}, 10, 1, 1},
        {"uid two <", {0xc6, 1, 0, 0xcd, 6, '(', '<', 'a', ')', '<', '>'}, 11, 0, 0},
        {"uid NUL", {0xc6, 1, 0, 0xcd, 3, 'a', 0, '<'}, 8, 0, 0},
    };
    char err[256];
    size_t i, nkeys;

    for (i = 0; i < NELEM(t); i++) {
        cm_keyring_status ks = cm_keyring_check_public(t[i].p, t[i].n, &nkeys, err, sizeof(err));

        ck_assert_msg((ks == CM_KEYRING_OK) == t[i].ok, "%s: status %d", t[i].what, (int) ks);
        if (t[i].ok)
            ck_assert_msg(nkeys == t[i].keys, "%s: %zu keys", t[i].what, nkeys);
    }
    /* A keyring file may hold what a download may not: the old check is unchanged. */
    ck_assert_int_eq(cm_keyring_check(t[2].p, t[2].n, 0, &nkeys, err, sizeof(err)), CM_KEYRING_OK);
}
END_TEST

static void add_cases(Suite *s)
{
    TCase *tc = tcase_create("keyring");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, stamp_is_the_opened_identity);
    tcase_add_test(tc, stamp_moves_with_the_file);
    tcase_add_test(tc, stamp_fails_closed);
    tcase_add_test(tc, rename_window_is_waited_out);
    tcase_add_test(tc, rename_window_is_bounded);
    suite_add_tcase(s, tc);
    CM_ADD(s, public_only);
}

CM_TEST_MAIN("cm_keyring", add_cases)
