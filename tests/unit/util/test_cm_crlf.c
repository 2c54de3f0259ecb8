#include "cm_crlf.h"
#include "cm_test.h"

#include <string.h>

static const struct {
    const char *in, *out;
} cases[] = {
    {"a\nb\n", "a\r\nb\r\n"},
    {"a\r\nb\r\n", "a\r\nb\r\n"},
    {"a\r\nb\nc", "a\r\nb\r\nc"},
    {"\n\n", "\r\n\r\n"},
    {"lone\rcr", "lone\rcr"},
    {"", ""},
};

START_TEST(whole_input)
{
    cm_crlf c;
    cm_buf out = CM_BUF_INIT;

    cm_crlf_init(&c);
    ck_assert_int_eq(cm_crlf_push(&c, (const unsigned char *) cases[_i].in,
                                  strlen(cases[_i].in), &out), 0);
    ck_assert_str_eq(cm_buf_str(&out), cases[_i].out);
    cm_buf_free(&out);
}
END_TEST

/* Byte-at-a-time gives the same result: CR at a chunk end is remembered. */
START_TEST(split_anywhere)
{
    cm_crlf c;
    cm_buf out = CM_BUF_INIT;
    const char *in = cases[_i].in;
    size_t i;

    cm_crlf_init(&c);
    for (i = 0; in[i]; i++)
        ck_assert_int_eq(cm_crlf_push(&c, (const unsigned char *) in + i, 1, &out), 0);
    ck_assert_str_eq(cm_buf_str(&out), cases[_i].out);
    cm_buf_free(&out);
}
END_TEST

/* cm_crlf_canonical says "unchanged" exactly when cm_crlf_push would hand
 * the chunk back as it is, whatever the previous chunk ended with, and
 * leaves the state as push would (or untouched when it says no). */
START_TEST(canonical_agrees_with_push)
{
    static const char *const more[] = {"\r", "\n", "\r\n", "x\r", "\nx", "ab\r\ncd\r\n\r\n"};
    const char *in = _i < (int) NELEM(cases) ? cases[_i].in : more[_i - (int) NELEM(cases)];
    size_t n = strlen(in);
    int prev;

    for (prev = 0; prev < 2; prev++) {
        cm_crlf a = {prev}, b = {prev};
        cm_buf out = CM_BUF_INIT;
        int same;

        ck_assert_int_eq(cm_crlf_push(&a, (const unsigned char *) in, n, &out), 0);
        same = out.len == n && memcmp(out.data == NULL ? (unsigned char *) "" : out.data, in, n) == 0;
        ck_assert_int_eq(cm_crlf_canonical(&b, (const unsigned char *) in, n), same);
        ck_assert_int_eq(b.last_cr, same ? a.last_cr : prev);
        cm_buf_free(&out);
    }
}
END_TEST

static void add(Suite *s)
{
    CM_ADD_LOOP(s, whole_input, NELEM(cases));
    CM_ADD_LOOP(s, split_anywhere, NELEM(cases));
    CM_ADD_LOOP(s, canonical_agrees_with_push, NELEM(cases) + 6);
}

CM_TEST_MAIN("cm_crlf", add)
