#include "cm_spool.h"
#include "cm_test.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *tmpdir(void)
{
    return cm_test_tmp();
}

/* Number of entries named cryptmilter.* in dir. */
static int spool_files(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;

    ck_assert_ptr_nonnull(d);
    while ((e = readdir(d)) != NULL)
        if (strncmp(e->d_name, "cryptmilter.", 12) == 0)
            n++;
    closedir(d);
    return n;
}

static void roundtrip(size_t limit, size_t total, int want_spill)
{
    cm_spool *s = cm_spool_new(limit, tmpdir());
    unsigned char chunk[1000], back[4096];
    size_t i, got = 0;
    ssize_t r;

    ck_assert_ptr_nonnull(s);
    for (i = 0; i < total; i += sizeof(chunk)) {
        size_t j;

        for (j = 0; j < sizeof(chunk); j++)
            chunk[j] = (unsigned char) ((i + j) * 7);
        ck_assert_int_eq(cm_spool_write(s, chunk, sizeof(chunk)), 0);
    }
    ck_assert_int_eq(cm_spool_spilled(s), want_spill);
    ck_assert_uint_eq(cm_spool_size(s), total);
    ck_assert_int_eq(cm_spool_rewind(s), 0);
    while ((r = cm_spool_read(s, back, sizeof(back))) > 0) {
        for (i = 0; i < (size_t) r; i++)
            ck_assert_uint_eq(back[i], (unsigned char) ((got + i) * 7));
        got += (size_t) r;
    }
    ck_assert_int_eq(r, 0);
    ck_assert_uint_eq(got, total);
    cm_spool_free(s);
}

/* A forwarding spool keeps nothing: each write goes on at once, whole and
 * in order; it cannot be read or emptied; the receiver's failure is the
 * write's, with its errno. */
typedef struct fwd_log {
    char got[64];
    size_t len, calls;
    int fail;
} fwd_log;

static int fwd_take(void *arg, const void *p, size_t n)
{
    fwd_log *l = arg;

    l->calls++;
    if (l->fail) {
        errno = EPIPE;
        return -1;
    }
    ck_assert_uint_le(l->len + n, sizeof(l->got));
    memcpy(l->got + l->len, p, n);
    l->len += n;
    return 0;
}

START_TEST(forward_spool_passes_writes_on)
{
    fwd_log l = {{0}, 0, 0, 0};
    cm_spool *s = cm_spool_new_forward(fwd_take, &l);
    char buf[8];

    ck_assert_ptr_nonnull(s);
    ck_assert_int_eq(cm_spool_write(s, "abc", 3), 0);
    ck_assert_int_eq(cm_spool_write(s, "", 0), 0);
    ck_assert_int_eq(cm_spool_write(s, "defg", 4), 0);
    ck_assert_uint_eq(l.calls, 2);
    ck_assert_uint_eq(l.len, 7);
    ck_assert_int_eq(memcmp(l.got, "abcdefg", 7), 0);
    ck_assert_uint_eq(cm_spool_size(s), 7);
    ck_assert_int_eq(cm_spool_rewind(s), 0);
    errno = 0;
    ck_assert_int_eq(cm_spool_read(s, buf, sizeof(buf)), -1);
    ck_assert_int_eq(errno, EINVAL);
    ck_assert_int_eq(cm_spool_truncate(s), -1);
    l.fail = 1;
    ck_assert_int_eq(cm_spool_write(s, "h", 1), -1);
    ck_assert_int_eq(errno, EPIPE);
    ck_assert_uint_eq(cm_spool_size(s), 7);
    cm_spool_free(s);
}
END_TEST

START_TEST(small_message_stays_in_memory)
{
    roundtrip(64 * 1024, 10000, 0);
}
END_TEST

START_TEST(large_message_spills_and_reads_back)
{
    roundtrip(4096, 300000, 1);
}
END_TEST

START_TEST(spill_file_is_unlinked_at_once)
{
    cm_spool *s = cm_spool_new(10, tmpdir());
    int before = spool_files(tmpdir());

    ck_assert_int_eq(cm_spool_write(s, "0123456789abcdef", 16), 0);
    ck_assert_int_eq(cm_spool_spilled(s), 1);
    ck_assert_int_eq(spool_files(tmpdir()), before);
    cm_spool_free(s);
}
END_TEST

START_TEST(unwritable_spool_dir_fails)
{
    cm_spool *s = cm_spool_new(4, "/nonexistent/spool");

    ck_assert_int_eq(cm_spool_write(s, "abc", 3), 0);
    ck_assert_int_eq(cm_spool_write(s, "defgh", 5), -1);
    cm_spool_free(s);
}
END_TEST

START_TEST(peek_does_not_move_cursor)
{
    cm_spool *s = cm_spool_new(4, tmpdir());
    char buf[8] = {0};

    ck_assert_int_eq(cm_spool_write(s, "hello world", 11), 0);
    ck_assert_int_eq(cm_spool_peek(s, buf, 5), 5);
    ck_assert_str_eq(buf, "hello");
    ck_assert_int_eq(cm_spool_read(s, buf, 3), 3);
    ck_assert(memcmp(buf, "hel", 3) == 0);
    cm_spool_free(s);
}
END_TEST

/* A range of a spilled spool reads back exactly, in any chunk size. */
START_TEST(range_of_a_spilled_spool)
{
    cm_spool *s = cm_spool_new(16, tmpdir());
    cm_spool_range r;
    char buf[7], got[200];
    size_t i, n = 0;
    ssize_t k;

    for (i = 0; i < 100; i++) {
        char c = (char) ('a' + i % 26);

        ck_assert_int_eq(cm_spool_write(s, &c, 1), 0);
    }
    ck_assert(cm_spool_spilled(s));
    cm_spool_range_init(&r, s, 30, 40);
    while ((k = cm_spool_range_read(&r, buf, sizeof(buf))) > 0) {
        memcpy(got + n, buf, (size_t) k);
        n += (size_t) k;
    }
    ck_assert_int_eq(k, 0);
    ck_assert_uint_eq(n, 40);
    for (i = 0; i < 40; i++)
        ck_assert_int_eq(got[i], 'a' + (30 + i) % 26);
    cm_spool_range_init(&r, s, 90, 1000);     /* clipped at the end */
    ck_assert_int_eq(cm_spool_range_read(&r, got, sizeof(got)), 10);
    cm_spool_free(s);
}
END_TEST

/* A full read at an offset returns all n bytes, fewer only at the end. */
START_TEST(full_read_at_an_offset)
{
    cm_spool *s = cm_spool_new(16, tmpdir());
    char got[200];
    size_t i;

    for (i = 0; i < 100; i++) {
        char c = (char) ('a' + i % 26);

        ck_assert_int_eq(cm_spool_write(s, &c, 1), 0);
    }
    ck_assert_int_eq(cm_spool_read_full_at(s, 30, got, 50), 50);
    for (i = 0; i < 50; i++)
        ck_assert_int_eq(got[i], 'a' + (30 + i) % 26);
    ck_assert_int_eq(cm_spool_read_full_at(s, 90, got, 50), 10);
    ck_assert_int_eq(cm_spool_read_full_at(s, 100, got, 50), 0);
    cm_spool_free(s);
}
END_TEST

static void add(Suite *s)
{
    CM_ADD(s, forward_spool_passes_writes_on);
    CM_ADD(s, range_of_a_spilled_spool);
    CM_ADD(s, full_read_at_an_offset);
    CM_ADD(s, small_message_stays_in_memory);
    CM_ADD(s, large_message_spills_and_reads_back);
    CM_ADD(s, spill_file_is_unlinked_at_once);
    CM_ADD(s, unwritable_spool_dir_fails);
    CM_ADD(s, peek_does_not_move_cursor);
}

CM_TEST_MAIN("cm_spool", add)
