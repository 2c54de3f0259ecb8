#include "cm_base64.h"
#include "cm_test.h"

#include <string.h>

static const struct {
    const char *in, *out;
    int rc;
} cases[] = {
    {"", "", 0},
    {"Zg==", "f", 0},
    {"Zm8=", "fo", 0},
    {"Zm9v", "foo", 0},
    {"Zm9v\r\nYmFy", "foobar", 0},
    {" Zm 9v YmE= ", "fooba", 0},
    {"Zm9v!", "foo", -1},
    {"Zg==Zg==", "f", -1},      /* data after padding */
};

START_TEST(decode_table)
{
    cm_b64 d;
    cm_buf out = CM_BUF_INIT;
    int rc;

    cm_b64_init(&d);
    rc = cm_b64_decode(&d, cases[_i].in, strlen(cases[_i].in), &out, 1000);
    ck_assert_int_eq(rc, cases[_i].rc);
    if (rc == 0)
        ck_assert_str_eq(cm_buf_str(&out), cases[_i].out);
    cm_buf_free(&out);
}
END_TEST

START_TEST(incremental_and_bounded)
{
    const char *in = "SGVsbG8sIHdvcmxkIQ==";
    cm_b64 d;
    cm_buf out = CM_BUF_INIT;
    size_t i;

    cm_b64_init(&d);
    for (i = 0; in[i]; i++)
        ck_assert_int_eq(cm_b64_decode(&d, in + i, 1, &out, 1000), 0);
    ck_assert_str_eq(cm_buf_str(&out), "Hello, world!");
    cm_buf_reset(&out);
    cm_b64_init(&d);
    ck_assert_int_eq(cm_b64_decode(&d, in, strlen(in), &out, 5), 0);
    ck_assert_uint_eq(out.len, 5);
    cm_buf_free(&out);
}
END_TEST

static void add(Suite *s)
{
    CM_ADD_LOOP(s, decode_table, NELEM(cases));
    CM_ADD(s, incremental_and_bounded);
}

CM_TEST_MAIN("cm_base64", add)
