/* cm_file: a small file read whole, and never a wait on what is not a
 * regular file (a FIFO in a key file's place once hung the engine); a
 * file replaced whole, with the mode asked for, or not at all. */
#include "cm_file.h"
#include "cm_test.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
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

static int fill_text(FILE *fp, void *arg)
{
    return fputs(arg, fp) == EOF ? -1 : 0;
}

static int fill_fails(FILE *fp, void *arg)
{
    (void) arg;
    (void) fputs("half", fp);
    return -1;
}

/* Nothing but path in dir: no dot file left behind. */
static void only_one(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    int n = 0;

    ck_assert_ptr_nonnull(d);
    while ((de = readdir(d)) != NULL)
        n += strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0;
    closedir(d);
    ck_assert_int_eq(n, 1);
}

/* The mode is the one asked for whatever the umask; the old file is
 * replaced whole; a failed fill leaves the old one and no dot file. */
START_TEST(replace_whole_or_not)
{
    char dir[512], path[600], *buf;
    struct stat st;
    size_t len;
    mode_t old = umask(077);

    cm_test_path(dir, sizeof(dir), "file-replace");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/gw.pem", dir);
    ck_assert_int_eq(cm_file_replace(path, 0644, (uid_t) -1, (gid_t) -1, fill_text, "one\n"), 0);
    ck_assert_int_eq(cm_file_read(path, 1024, &buf, &len, &st), 0);
    ck_assert_str_eq(buf, "one\n");
    ck_assert_uint_eq(st.st_mode & 07777, 0644);
    free(buf);
    umask(0);
    ck_assert_int_eq(cm_file_replace(path, 0600, (uid_t) -1, (gid_t) -1, fill_text, "two\n"), 0);
    ck_assert_int_eq(cm_file_read(path, 1024, &buf, &len, &st), 0);
    ck_assert_str_eq(buf, "two\n");
    ck_assert_uint_eq(st.st_mode & 07777, 0600);
    free(buf);
    umask(old);
    errno = 0;
    ck_assert_int_eq(cm_file_replace(path, 0600, (uid_t) -1, (gid_t) -1, fill_fails, NULL), -1);
    ck_assert_int_ne(errno, 0);
    ck_assert_int_eq(cm_file_read(path, 1024, &buf, &len, &st), 0);
    ck_assert_str_eq(buf, "two\n");
    free(buf);
    only_one(dir);
    snprintf(path, sizeof(path), "%s/no-such-dir/gw.pem", dir);
    ck_assert_int_eq(cm_file_replace(path, 0600, (uid_t) -1, (gid_t) -1, fill_text, "x"), -1);
    ck_assert_int_eq(errno, ENOENT);
}
END_TEST

static void add(Suite *s)
{
    CM_ADD(s, regular_file_read_whole);
    CM_ADD(s, fifo_refused_at_once);
    CM_ADD(s, missing_and_too_large);
    CM_ADD(s, replace_whole_or_not);
}

CM_TEST_MAIN("cm_file", add)
