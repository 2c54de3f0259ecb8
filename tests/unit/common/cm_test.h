/* cm_test - shared helpers for the check unit tests. */
#ifndef CM_TEST_H
#define CM_TEST_H

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

/* Run one suite made of the given TCase-building function; exit status for ctest. */
#define CM_TEST_MAIN(suite_name, add_cases) \
    int main(void) \
    { \
        Suite *s = suite_create(suite_name); \
        SRunner *sr; \
        int failed; \
        add_cases(s); \
        sr = srunner_create(s); \
        srunner_run_all(sr, CK_NORMAL); \
        failed = srunner_ntests_failed(sr); \
        srunner_free(sr); \
        return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE; \
    }

/* Add test function fn to a new TCase named after it. */
#define CM_ADD(s, fn) \
    do { \
        TCase *tc_ = tcase_create(#fn); \
        tcase_set_timeout(tc_, 60); \
        tcase_add_test(tc_, fn); \
        suite_add_tcase(s, tc_); \
    } while (0)

#define CM_ADD_LOOP(s, fn, n) \
    do { \
        TCase *tc_ = tcase_create(#fn); \
        tcase_set_timeout(tc_, 60); \
        tcase_add_loop_test(tc_, fn, 0, (int) (n)); \
        suite_add_tcase(s, tc_); \
    } while (0)

/* The test's scratch directory (CM_TEST_TMP, set by ctest), made if need be. */
static inline const char *cm_test_tmp(void)
{
    const char *d = getenv("CM_TEST_TMP");

    ck_assert_msg(d != NULL && *d, "CM_TEST_TMP is not set");
    (void) mkdir(d, 0755);
    return d;
}

/* A mkstemp/mkdtemp template "<CM_TEST_TMP>/<name>XXXXXX" in buf. */
static inline char *cm_test_path(char *buf, size_t len, const char *name)
{
    int n = snprintf(buf, len, "%s/%sXXXXXX", cm_test_tmp(), name);

    ck_assert_msg(n > 0 && (size_t) n < len, "path too long");
    return buf;
}

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

#endif
