#include "cm_syncstamp.h"
#include "cm_test.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char *scratch(char *buf, size_t len)
{
    cm_test_path(buf, len, "syncstamp");
    ck_assert_ptr_nonnull(mkdtemp(buf));
    return buf;
}

/* Never stamped: ENOENT, which the daemon tells from a read failure. */
START_TEST(missing_is_enoent)
{
    char dir[4096];
    int64_t when = 7;

    scratch(dir, sizeof(dir));
    errno = 0;
    ck_assert_int_eq(cm_syncstamp_read(dir, &when), -1);
    ck_assert_int_eq(errno, ENOENT);
    ck_assert_int_eq(when, 7);
}
END_TEST

/* What is written is read back, text and time; a second stamp replaces it
 * and leaves no temporary file behind. */
START_TEST(write_then_read)
{
    char dir[4096], path[4200], text[64] = "";
    int64_t when = 0;
    FILE *f;

    scratch(dir, sizeof(dir));
    ck_assert_int_eq(cm_syncstamp_write(dir, 1700000000), 0);
    ck_assert_int_eq(cm_syncstamp_read(dir, &when), 0);
    ck_assert_int_eq(when, 1700000000);
    ck_assert_int_eq(cm_syncstamp_write(dir, 1700000123), 0);
    ck_assert_int_eq(cm_syncstamp_read(dir, &when), 0);
    ck_assert_int_eq(when, 1700000123);
    snprintf(path, sizeof(path), "%s/%s", dir, CM_SYNCSTAMP_NAME);
    ck_assert_ptr_nonnull(f = fopen(path, "r"));
    ck_assert_ptr_nonnull(fgets(text, sizeof(text), f));
    fclose(f);
    ck_assert_str_eq(text, "1700000123\n");
    snprintf(path, sizeof(path), "%s/.%s.new", dir, CM_SYNCSTAMP_NAME);
    ck_assert_int_eq(access(path, F_OK), -1);
}
END_TEST

/* A directory in the stamp's place is no stamp; a directory that is not
 * there cannot be stamped. */
START_TEST(not_a_file)
{
    char dir[4096], path[4200];
    int64_t when;

    scratch(dir, sizeof(dir));
    snprintf(path, sizeof(path), "%s/%s", dir, CM_SYNCSTAMP_NAME);
    ck_assert_int_eq(mkdir(path, 0700), 0);
    ck_assert_int_eq(cm_syncstamp_read(dir, &when), -1);
    snprintf(path, sizeof(path), "%s/none", dir);
    ck_assert_int_eq(cm_syncstamp_write(path, 1), -1);
}
END_TEST

static void add(Suite *s)
{
    CM_ADD(s, missing_is_enoent);
    CM_ADD(s, write_then_read);
    CM_ADD(s, not_a_file);
}

CM_TEST_MAIN("cm_syncstamp", add)
