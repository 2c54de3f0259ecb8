/* cm_file: a small file read whole, and never a wait on what is not a
 * regular file (a FIFO in a key file's place once hung the engine). */
#include "cm_file.h"
#include "cm_test.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void write_file(const char *path, const char *data)
{
    FILE *f = fopen(path, "wb");

    ck_assert(f != NULL);
    ck_assert_uint_eq(fwrite(data, 1, strlen(data), f), strlen(data));
    ck_assert_int_eq(fclose(f), 0);
}

START_TEST(regular_file_read_whole)
{
    char path[512], *buf;
    struct stat st;
    size_t len;

    cm_test_path(path, sizeof(path), "file-regular");
    write_file(path, "-----BEGIN X509 CRL-----\n");
    ck_assert_int_eq(cm_file_read(path, 1024, &buf, &len, &st), 0);
    ck_assert_uint_eq(len, 25);
    ck_assert_str_eq(buf, "-----BEGIN X509 CRL-----\n");
    ck_assert(S_ISREG(st.st_mode));
    free(buf);
    ck_assert_int_eq(unlink(path), 0);
}
END_TEST

START_TEST(fifo_refused_at_once)
{
    char path[512], *buf = (char *) 1;
    struct stat st;
    size_t len;

    cm_test_path(path, sizeof(path), "file-fifo");
    (void) unlink(path);
    ck_assert_int_eq(mkfifo(path, 0600), 0);
    alarm(5);       /* a wait for a writer would hang here: fail instead */
    ck_assert_int_eq(cm_file_read(path, 1024, &buf, &len, &st), -2);
    ck_assert_int_eq(cm_file_open_regular(path, &st), -2);
    alarm(0);
    ck_assert(buf == NULL);
    ck_assert_int_eq(unlink(path), 0);
}
END_TEST

START_TEST(missing_and_too_large)
{
    char path[512], *buf;
    struct stat st;
    size_t len;

    cm_test_path(path, sizeof(path), "file-none");
    (void) unlink(path);
    ck_assert_int_eq(cm_file_read(path, 1024, &buf, &len, &st), -1);
    ck_assert_int_eq(errno, ENOENT);
    write_file(path, "0123456789");
    ck_assert_int_eq(cm_file_read(path, 9, &buf, &len, &st), -1);
    ck_assert_int_eq(errno, EFBIG);
    ck_assert(buf == NULL);
    ck_assert_int_eq(cm_file_read(path, 10, &buf, &len, &st), 0);
    free(buf);
    ck_assert_int_eq(unlink(path), 0);
}
END_TEST

static void add(Suite *s)
{
    CM_ADD(s, regular_file_read_whole);
    CM_ADD(s, fifo_refused_at_once);
    CM_ADD(s, missing_and_too_large);
}

CM_TEST_MAIN("cm_file", add)
