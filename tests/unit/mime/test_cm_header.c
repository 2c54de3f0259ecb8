#include "cm_header.h"
#include "cm_test.h"

#include <string.h>

static cm_hparse parse(const char *text, int eof, cm_hdrs *h, size_t *off, cm_stat *st)
{
    cm_hdrs_init(h, CM_HDR_MAX_FIELDS, CM_HDR_MAX_BYTES);
    return cm_hdrs_parse(h, (const unsigned char *) text, strlen(text), eof, off, st);
}

START_TEST(folded_fields_crlf)
{
    const char *msg = "From: a@x\r\nSubject: one\r\n two\r\n\tthree\r\nX-Empty:\r\n\r\nbody\r\n";
    cm_hdrs h;
    size_t off;
    cm_stat st;
    char *u;

    ck_assert_int_eq(parse(msg, 1, &h, &off, &st), CM_HPARSE_DONE);
    ck_assert_uint_eq(h.n, 3);
    ck_assert_str_eq(h.v[1].name, "Subject");
    ck_assert_str_eq(h.v[1].value, " one\n two\n\tthree");
    ck_assert_str_eq(h.v[1].raw, "Subject: one\n two\n\tthree");
    ck_assert_str_eq(h.v[2].value, "");
    ck_assert_str_eq(msg + off, "body\r\n");
    u = cm_hdr_unfold(h.v[1].value);
    ck_assert_str_eq(u, "one two\tthree");
    free(u);
    cm_hdrs_free(&h);
}
END_TEST

START_TEST(name_with_space_before_colon_kept_raw)
{
    cm_hdrs h;
    size_t off;
    cm_stat st;
    cm_buf out = CM_BUF_INIT;

    ck_assert_int_eq(parse("Content-Type : text/plain\n\nx", 1, &h, &off, &st), CM_HPARSE_DONE);
    ck_assert_str_eq(h.v[0].name, "Content-Type");
    ck_assert_ptr_nonnull(cm_hdrs_find(&h, "content-type", 0));
    ck_assert_int_eq(cm_hdr_write(&h.v[0], "\r\n", &out), 0);
    ck_assert_str_eq(cm_buf_str(&out), "Content-Type : text/plain\r\n");
    cm_buf_free(&out);
    cm_hdrs_free(&h);
}
END_TEST

START_TEST(non_field_line_starts_body)
{
    const char *msg = "From: a@x\nthis is not a header\nmore\n";
    cm_hdrs h;
    size_t off;
    cm_stat st;

    ck_assert_int_eq(parse(msg, 1, &h, &off, &st), CM_HPARSE_DONE);
    ck_assert_uint_eq(h.n, 1);
    ck_assert_str_eq(msg + off, "this is not a header\nmore\n");
    cm_hdrs_free(&h);
}
END_TEST

START_TEST(needs_more_until_section_ends)
{
    cm_hdrs h;
    size_t off;
    cm_stat st;

    ck_assert_int_eq(parse("From: a@x\nSubject: cut", 0, &h, &off, &st), CM_HPARSE_MORE);
    cm_hdrs_free(&h);
    /* A line break might still be followed by a continuation. */
    ck_assert_int_eq(parse("From: a@x\n", 0, &h, &off, &st), CM_HPARSE_MORE);
    cm_hdrs_free(&h);
    ck_assert_int_eq(parse("From: a@x\n", 1, &h, &off, &st), CM_HPARSE_DONE);
    ck_assert_uint_eq(off, 10);
    cm_hdrs_free(&h);
}
END_TEST

START_TEST(limits_enforced)
{
    cm_hdrs h;
    cm_buf big = CM_BUF_INIT;
    size_t off, i;
    cm_stat st;

    cm_hdrs_init(&h, 3, 1000);
    for (i = 0; i < 4; i++)
        ck_assert_int_eq(cm_buf_puts(&big, "X-A: b\n"), 0);
    ck_assert_int_eq(cm_hdrs_parse(&h, big.data, big.len, 1, &off, &st), CM_HPARSE_ERROR);
    ck_assert_int_eq(st, CM_HEADER_LIMIT);
    cm_hdrs_free(&h);
    cm_buf_reset(&big);
    cm_hdrs_init(&h, 100, 1000);
    ck_assert_int_eq(cm_buf_puts(&big, "X-Long: "), 0);
    for (i = 0; i < 1000; i++)
        ck_assert_int_eq(cm_buf_putc(&big, 'a'), 0);
    ck_assert_int_eq(cm_buf_puts(&big, "\n\n"), 0);
    ck_assert_int_eq(cm_hdrs_parse(&h, big.data, big.len, 1, &off, &st), CM_HPARSE_ERROR);
    ck_assert_int_eq(st, CM_HEADER_LIMIT);
    cm_hdrs_free(&h);
    cm_buf_free(&big);
}
END_TEST

START_TEST(nul_in_header_is_bad_input)
{
    static const unsigned char msg[] = "From: a\0b\n\nx";
    cm_hdrs h;
    size_t off;
    cm_stat st;

    cm_hdrs_init(&h, 10, 1000);
    ck_assert_int_eq(cm_hdrs_parse(&h, msg, sizeof(msg) - 1, 1, &off, &st), CM_HPARSE_ERROR);
    ck_assert_int_eq(st, CM_BAD_INPUT);
    cm_hdrs_free(&h);
}
END_TEST

START_TEST(find_count_remove)
{
    cm_hdrs h;

    cm_hdrs_init(&h, 10, 1000);
    ck_assert_int_eq(cm_hdrs_add(&h, "Received", " a", 2), CM_OK);
    ck_assert_int_eq(cm_hdrs_add(&h, "Subject", " s", 2), CM_OK);
    ck_assert_int_eq(cm_hdrs_add(&h, "received", " b", 2), CM_OK);
    ck_assert_uint_eq(cm_hdrs_count(&h, "RECEIVED"), 2);
    ck_assert_str_eq(cm_hdrs_find(&h, "Received", 1)->value, " b");
    ck_assert_ptr_null(cm_hdrs_find(&h, "Received", 2));
    cm_hdrs_remove(&h, 0);
    ck_assert_str_eq(cm_hdrs_find(&h, "Received", 0)->value, " b");
    ck_assert(cm_hdr_is_content("content-transfer-encoding"));
    ck_assert(!cm_hdr_is_content("Contents"));
    cm_hdrs_free(&h);
}
END_TEST

static void add(Suite *s)
{
    CM_ADD(s, folded_fields_crlf);
    CM_ADD(s, name_with_space_before_colon_kept_raw);
    CM_ADD(s, non_field_line_starts_body);
    CM_ADD(s, needs_more_until_section_ends);
    CM_ADD(s, limits_enforced);
    CM_ADD(s, nul_in_header_is_bad_input);
    CM_ADD(s, find_count_remove);
}

CM_TEST_MAIN("cm_header", add)
