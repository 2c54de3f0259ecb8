#include "cm_base64.h"
#include "cm_test.h"

#include <string.h>

#include <openssl/evp.h>

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

/* The encoder, fed in chunks of every size from 1 to 7 and whole (its
 * whole-line path), matches OpenSSL's one-shot encoding cut into lines of
 * 76 with CRLF. */
START_TEST(encode_lines_any_chunking)
{
    size_t len = (size_t) _i * 37, chunk, i, off;
    unsigned char *in = malloc(len + 1), *ref = malloc(len * 2 + 8);
    cm_buf want = CM_BUF_INIT;
    int n;

    for (i = 0; i < len; i++)
        in[i] = (unsigned char) (i * 131 + 7);
    n = EVP_EncodeBlock(ref, in, (int) len);
    for (off = 0; off < (size_t) n; off += 76) {
        size_t l = (size_t) n - off < 76 ? (size_t) n - off : 76;

        ck_assert_int_eq(cm_buf_append(&want, ref + off, l), 0);
        ck_assert_int_eq(cm_buf_append(&want, "\r\n", 2), 0);
    }
    for (chunk = 1; chunk <= 8; chunk++) {
        size_t step = chunk == 8 ? len + 1 : chunk;
        cm_buf got = CM_BUF_INIT;
        cm_b64enc e;

        cm_b64enc_init(&e);
        for (off = 0; off < len; off += step)
            ck_assert_int_eq(cm_b64enc_push(&e, in + off, len - off < step ? len - off : step,
                                            &got), 0);
        ck_assert_int_eq(cm_b64enc_finish(&e, &got), 0);
        ck_assert_uint_eq(got.len, want.len);
        ck_assert(got.len == 0 || memcmp(got.data, want.data, got.len) == 0);
        cm_buf_free(&got);
    }
    cm_buf_free(&want);
    free(in);
    free(ref);
}
END_TEST

static void add(Suite *s)
{
    CM_ADD_LOOP(s, decode_table, NELEM(cases));
    CM_ADD(s, incremental_and_bounded);
    CM_ADD_LOOP(s, encode_lines_any_chunking, 60);
}

CM_TEST_MAIN("cm_base64", add)
