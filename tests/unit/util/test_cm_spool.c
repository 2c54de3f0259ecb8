#include "cm_spool.h"
#include "cm_test.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
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
typedef struct sink_log {
    cm_buf got;
    size_t calls, stop_at;  /* stop_at: return stop once it holds that many */
    int stop, fail;         /* fail: the receiver fails with EPIPE */
} sink_log;

static int sink_take(void *arg, const void *p, size_t n)
{
    sink_log *l = arg;

    l->calls++;
    if (l->fail) {
        errno = EPIPE;
        return -1;
    }
    if (cm_buf_append(&l->got, p, n) < 0)
        return -1;
    return l->stop_at != 0 && l->got.len >= l->stop_at ? l->stop : 0;
}

START_TEST(forward_spool_passes_writes_on)
{
    sink_log l = {CM_BUF_INIT, 0, 0, 0, 0};
    cm_spool *s = cm_spool_new_forward(sink_take, &l);
    char buf[8];

    ck_assert_ptr_nonnull(s);
    ck_assert_int_eq(cm_spool_write(s, "abc", 3), 0);
    ck_assert_int_eq(cm_spool_write(s, "", 0), 0);
    ck_assert_int_eq(cm_spool_write(s, "defg", 4), 0);
    ck_assert_uint_eq(l.calls, 2);
    ck_assert_uint_eq(l.got.len, 7);
    ck_assert_int_eq(memcmp(l.got.data, "abcdefg", 7), 0);
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
    cm_buf_free(&l.got);
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

/* The descriptor of the spilled file (a deleted or unnamed file in dir),
 * or -1. */
static int spill_fd(const char *dir)
{
    DIR *d = opendir("/proc/self/fd");
    struct dirent *e;
    int fd = -1;

    ck_assert_ptr_nonnull(d);
    while ((e = readdir(d)) != NULL) {
        char link[300], target[PATH_MAX];
        ssize_t n;

        snprintf(link, sizeof(link), "/proc/self/fd/%s", e->d_name);
        if ((n = readlink(link, target, sizeof(target) - 1)) <= 0)
            continue;
        target[n] = '\0';
        if (strncmp(target, dir, strlen(dir)) == 0 && strstr(target, " (deleted)") != NULL)
            fd = atoi(e->d_name);
    }
    closedir(d);
    return fd;
}

/* Even with no umask the spilled file is 0600, kept from child processes
 * (gpg), and gone with the spool. */
START_TEST(spill_file_is_private)
{
    mode_t old = umask(0);
    cm_spool *s = cm_spool_new(10, tmpdir());
    struct stat st;
    int fd;

    ck_assert_int_eq(spill_fd(tmpdir()), -1);
    ck_assert_int_eq(cm_spool_write(s, "0123456789abcdef", 16), 0);
    (void) umask(old);
    ck_assert_int_ge(fd = spill_fd(tmpdir()), 0);
    ck_assert_int_eq(fstat(fd, &st), 0);
    ck_assert_int_eq(st.st_mode & 07777, 0600);
    ck_assert_int_eq(st.st_nlink, 0);
    ck_assert(fcntl(fd, F_GETFD) & FD_CLOEXEC);
    cm_spool_free(s);
    ck_assert_int_eq(spill_fd(tmpdir()), -1);
}
END_TEST

/* Appends after a spill, and after emptying a spilled spool, land at its
 * end and nowhere else. */
START_TEST(spilled_appends_and_truncate)
{
    cm_spool *s = cm_spool_new(8, tmpdir());
    char got[32];

    ck_assert_int_eq(cm_spool_write(s, "abcdef", 6), 0);
    ck_assert_int_eq(cm_spool_write(s, "ghijkl", 6), 0);     /* spills */
    ck_assert(cm_spool_spilled(s));
    ck_assert_int_eq(cm_spool_write(s, "mn", 2), 0);
    ck_assert_int_eq(cm_spool_read_full_at(s, 0, got, sizeof(got)), 14);
    ck_assert(memcmp(got, "abcdefghijklmn", 14) == 0);
    ck_assert_int_eq(cm_spool_truncate(s), 0);
    ck_assert_int_eq(cm_spool_write(s, "xyz", 3), 0);
    ck_assert_int_eq(cm_spool_write(s, "12", 2), 0);
    ck_assert_uint_eq(cm_spool_size(s), 5);
    ck_assert_int_eq(cm_spool_read_full_at(s, 0, got, sizeof(got)), 5);
    ck_assert(memcmp(got, "xyz12", 5) == 0);
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

/* The range feeder pushes exactly the (clipped) range of a spilled spool,
 * in 16 KiB chunks, and passes on a sink's stop and failure. */
START_TEST(range_feed_pushes_the_range)
{
    static const struct {
        uint64_t off, len;
        size_t want_len, stop_at;
        int stop, fail, rc;
    } t[] = {
        {0, UINT64_MAX, 40000, 0, 0, 0, 0},
        {100, 20000, 20000, 0, 0, 0, 0},
        {39990, 1000, 10, 0, 0, 0, 0},        /* clipped at the end */
        {50000, 10, 0, 0, 0, 0, 0},           /* past the end: empty */
        {0, UINT64_MAX, 16384, 1, 7, 0, 7},   /* stopped after one chunk */
        {0, UINT64_MAX, 0, 0, 0, 1, -1},      /* the sink fails */
    };
    cm_spool *s = cm_spool_new(1024, tmpdir());
    size_t i, k;

    for (i = 0; i < 40000; i++) {
        char c = (char) ('a' + i % 26);

        ck_assert_int_eq(cm_spool_write(s, &c, 1), 0);
    }
    ck_assert(cm_spool_spilled(s));
    for (i = 0; i < NELEM(t); i++) {
        sink_log c = {CM_BUF_INIT, 0, t[i].stop_at, t[i].stop, t[i].fail};

        errno = 0;
        ck_assert_msg(cm_spool_range_feed(s, t[i].off, t[i].len, sink_take, &c) == t[i].rc,
                      "row %zu", i);
        if (t[i].fail)
            ck_assert_int_eq(errno, EPIPE);
        ck_assert_uint_eq(c.got.len, t[i].want_len);
        for (k = 0; k < c.got.len; k++)
            ck_assert_int_eq(c.got.data[k], 'a' + (t[i].off + k) % 26);
        cm_buf_free(&c.got);
    }
    cm_spool_free(s);
}
END_TEST

/* A failed read fails the feeder with its errno, and a range keeps the
 * first errno for whoever reads through it (an engine's reader). */
START_TEST(range_keeps_the_first_errno)
{
    sink_log l = {CM_BUF_INIT, 0, 0, 0, 0}, c = {CM_BUF_INIT, 0, 0, 0, 0};
    cm_spool *s = cm_spool_new_forward(sink_take, &l);   /* reads fail EINVAL */
    cm_spool_range r;
    char buf[8];

    ck_assert_int_eq(cm_spool_write(s, "abcdefg", 7), 0);
    errno = 0;
    ck_assert_int_eq(cm_spool_range_feed(s, 0, UINT64_MAX, sink_take, &c), -1);
    ck_assert_int_eq(errno, EINVAL);
    ck_assert_uint_eq(c.calls, 0);
    cm_spool_range_init(&r, s, 2, 3);
    ck_assert_int_eq(r.err, 0);
    ck_assert_int_eq(cm_spool_range_pull(&r, buf, sizeof(buf)), -1);
    ck_assert_int_eq(r.err, EINVAL);
    r.err = EIO;                                      /* as if an earlier read failed */
    ck_assert_int_eq(cm_spool_range_read(&r, buf, sizeof(buf)), -1);
    ck_assert_int_eq(errno, EINVAL);
    ck_assert_int_eq(r.err, EIO);                     /* the first one stays */
    cm_spool_free(s);
    cm_buf_free(&l.got);
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
    CM_ADD(s, range_feed_pushes_the_range);
    CM_ADD(s, range_keeps_the_first_errno);
    CM_ADD(s, full_read_at_an_offset);
    CM_ADD(s, small_message_stays_in_memory);
    CM_ADD(s, large_message_spills_and_reads_back);
    CM_ADD(s, spill_file_is_unlinked_at_once);
    CM_ADD(s, spill_file_is_private);
    CM_ADD(s, spilled_appends_and_truncate);
    CM_ADD(s, unwritable_spool_dir_fails);
    CM_ADD(s, peek_does_not_move_cursor);
}

CM_TEST_MAIN("cm_spool", add)
