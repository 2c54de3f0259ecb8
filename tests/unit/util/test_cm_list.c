#include "cm_list.h"
#include "cm_test.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

START_TEST(commas_and_spaces)
{
    cm_list l = {NULL, 0};
    char err[256];

    ck_assert_int_eq(cm_list_parse(&l, " a.example,b.example  c.example ,, ", err, sizeof(err)), 0);
    ck_assert_uint_eq(l.n, 3);
    ck_assert_str_eq(l.v[0], "a.example");
    ck_assert_str_eq(l.v[2], "c.example");
    ck_assert(cm_list_has_ci(&l, "B.EXAMPLE"));
    ck_assert(!cm_list_has_ci(&l, "d.example"));
    cm_list_free(&l);
}
END_TEST

START_TEST(file_with_comments)
{
    char path[512], spec[600], err[256];
    cm_list l = {NULL, 0};
    int fd = mkstemp(cm_test_path(path, sizeof(path), "cm_list_"));
    FILE *fp = fdopen(fd, "w");

    fputs("# local domains\nexample.org  # main\n\nexample.net\n", fp);
    fclose(fp);
    snprintf(spec, sizeof(spec), "file:%s", path);
    ck_assert_int_eq(cm_list_parse(&l, spec, err, sizeof(err)), 0);
    unlink(path);
    ck_assert_uint_eq(l.n, 2);
    ck_assert_str_eq(l.v[0], "example.org");
    ck_assert_str_eq(l.v[1], "example.net");
    cm_list_free(&l);
}
END_TEST

START_TEST(missing_file_is_an_error)
{
    cm_list l = {NULL, 0};
    char err[256];

    ck_assert_int_eq(cm_list_parse(&l, "file:/nonexistent/list", err, sizeof(err)), -1);
    ck_assert_ptr_nonnull(strstr(err, "/nonexistent/list"));
    ck_assert_int_eq(cm_list_parse(&l, "file:relative", err, sizeof(err)), -1);
    cm_list_free(&l);
}
END_TEST

static void add(Suite *s)
{
    CM_ADD(s, commas_and_spaces);
    CM_ADD(s, file_with_comments);
    CM_ADD(s, missing_file_is_an_error);
}

CM_TEST_MAIN("cm_list", add)
