#include "cm_log.h"
#include "cm_test.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* What the calls between capture_start and capture_end wrote to stderr. */
static int saved_fd = -1;
static FILE *capture;
static char captured[8192];

static void capture_start(void)
{
    ck_assert_int_eq(fflush(stderr), 0);
    ck_assert_ptr_nonnull(capture = tmpfile());
    ck_assert_int_ge(saved_fd = dup(STDERR_FILENO), 0);
    ck_assert_int_ge(dup2(fileno(capture), STDERR_FILENO), 0);
}

static const char *capture_end(void)
{
    size_t n;

    ck_assert_int_eq(fflush(stderr), 0);
    ck_assert_int_ge(dup2(saved_fd, STDERR_FILENO), 0);
    ck_assert_int_eq(close(saved_fd), 0);
    rewind(capture);
    n = fread(captured, 1, sizeof(captured) - 1, capture);
    captured[n] = 0;
    ck_assert_int_eq(fclose(capture), 0);
    return captured;
}

START_TEST(level_drops_less_severe)
{
    const char *out;

    cm_log_open("cmtest", 1);
    cm_log_set_level(LOG_NOTICE);
    ck_assert_int_eq(cm_log_level(), LOG_NOTICE);
    capture_start();
    cm_log_debug("d%d", 1);
    cm_log_info("i%d", 2);
    cm_log_notice("n%d", 3);
    cm_log_warn("w%d", 4);
    cm_log_error("e%d", 5);
    out = capture_end();
    ck_assert_str_eq(out, "cmtest: notice: n3\ncmtest: warning: w4\ncmtest: error: e5\n");

    cm_log_set_level(LOG_DEBUG);
    capture_start();
    cm_log_debug("now %s", "shown");
    out = capture_end();
    ck_assert_str_eq(out, "cmtest: debug: now shown\n");
    cm_log_set_level(LOG_INFO);
}
END_TEST

START_TEST(errno_appended_and_kept)
{
    const char *out;

    cm_log_open("cmtest", 1);
    cm_log_set_level(LOG_INFO);
    capture_start();
    errno = ENOENT;
    cm_log_errno("open %s", "/nonexistent");
    ck_assert_int_eq(errno, ENOENT);
    out = capture_end();
    ck_assert_str_eq(out, "cmtest: error: open /nonexistent: No such file or directory\n");
}
END_TEST

/* A line longer than the buffer is cut and marked "...", never overrun. */
START_TEST(long_line_cut_and_marked)
{
    static char big[5000];
    const char *out, *nl;

    memset(big, 'x', sizeof(big) - 1);
    cm_log_open("cmtest", 1);
    cm_log_set_level(LOG_INFO);
    capture_start();
    cm_log_info("%s", big);
    cm_log_info("next");
    out = capture_end();
    ck_assert_ptr_nonnull(nl = strchr(out, '\n'));
    ck_assert_uint_eq((size_t) (nl - out), strlen("cmtest: info: ") + 2047);
    ck_assert(memcmp(nl - 3, "...", 3) == 0);
    ck_assert_str_eq(nl + 1, "cmtest: info: next\n");
}
END_TEST

static void add(Suite *s)
{
    CM_ADD(s, level_drops_less_severe);
    CM_ADD(s, errno_appended_and_kept);
    CM_ADD(s, long_line_cut_and_marked);
}

CM_TEST_MAIN("cm_log", add)
