#include "cm_boundary.h"
#include "cm_test.h"

#include <string.h>

static int fixed(unsigned char *buf, size_t len)
{
    size_t i;

    for (i = 0; i < len; i++)
        buf[i] = (unsigned char) i;
    return 0;
}

static int failing(unsigned char *buf, size_t len)
{
    (void) buf;
    (void) len;
    return -1;
}

START_TEST(injected_source_is_deterministic)
{
    char b[CM_BOUNDARY_LEN];

    cm_boundary_set_source(fixed);
    ck_assert_int_eq(cm_boundary_new(b), 0);
    ck_assert_str_eq(b, "=_cm_000102030405060708090a0b0c0d0e0f");
    cm_boundary_set_source(failing);
    ck_assert_int_eq(cm_boundary_new(b), -1);
    cm_boundary_set_source(NULL);
}
END_TEST

START_TEST(random_boundaries_differ_and_are_safe)
{
    char a[CM_BOUNDARY_LEN], b[CM_BOUNDARY_LEN];
    size_t i;

    ck_assert_int_eq(cm_boundary_new(a), 0);
    ck_assert_int_eq(cm_boundary_new(b), 0);
    ck_assert_str_ne(a, b);
    ck_assert_uint_eq(strlen(a), 37);
    /* '=' and '_' cannot both start a base64 armor line. */
    ck_assert(strncmp(a, "=_", 2) == 0);
    for (i = 5; a[i]; i++)
        ck_assert(strchr("0123456789abcdef", a[i]) != NULL);
}
END_TEST

static void add(Suite *s)
{
    CM_ADD(s, injected_source_is_deterministic);
    CM_ADD(s, random_boundaries_differ_and_are_safe);
}

CM_TEST_MAIN("cm_boundary", add)
