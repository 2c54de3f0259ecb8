#include "cm_entity.h"
#include "cm_test.h"

#include <string.h>

static void read_all(cm_entity *e, size_t step, cm_buf *out)
{
    unsigned char buf[7];
    ssize_t r;

    ck_assert_uint_le(step, sizeof(buf));
    while ((r = cm_entity_read(e, buf, step)) > 0)
        cm_buf_append(out, buf, (size_t) r);
    ck_assert_int_eq(r, 0);
}

START_TEST(content_fields_then_canonical_body)
{
    cm_hdrs h;
    cm_spool *body = cm_spool_new(8, cm_test_tmp());
    cm_entity e;
    cm_buf out = CM_BUF_INIT;
    static const char raw[] = "line one\nline two\r\nbinary\0byte\n";

    cm_hdrs_init(&h, 10, 1000);
    cm_hdrs_add(&h, "From", " a@x", 4);
    cm_hdrs_add(&h, "Content-Type", " text/plain;\n charset=utf-8", 27);
    cm_hdrs_add(&h, "Subject", " s", 2);
    cm_hdrs_add(&h, "Content-Transfer-Encoding", " 8bit", 5);
    ck_assert_int_eq(cm_spool_write(body, raw, sizeof(raw) - 1), 0);
    ck_assert_int_eq(cm_entity_open(&e, &h, body), 0);
    read_all(&e, 7, &out);
    cm_entity_close(&e);
    {
        static const char want[] = "Content-Type: text/plain;\r\n charset=utf-8\r\n"
            "Content-Transfer-Encoding: 8bit\r\n\r\nline one\r\nline two\r\nbinary\0byte\r\n";

        ck_assert_uint_eq(out.len, sizeof(want) - 1);
        ck_assert_mem_eq(out.data, want, sizeof(want) - 1);
    }
    cm_buf_free(&out);
    cm_spool_free(body);
    cm_hdrs_free(&h);
}
END_TEST

START_TEST(no_content_fields)
{
    cm_hdrs h;
    cm_spool *body = cm_spool_new(1024, NULL);
    cm_entity e;
    cm_buf out = CM_BUF_INIT;

    cm_hdrs_init(&h, 10, 1000);
    cm_hdrs_add(&h, "Subject", " s", 2);
    ck_assert_int_eq(cm_entity_open(&e, &h, body), 0);
    read_all(&e, 3, &out);
    cm_entity_close(&e);
    ck_assert_str_eq(cm_buf_str(&out), "\r\n");
    cm_buf_free(&out);
    cm_spool_free(body);
    cm_hdrs_free(&h);
}
END_TEST

/* Reads large enough to go straight from the spool give the same bytes
 * as small ones: CRLF bodies pass as they are, a bare LF anywhere (also
 * right after a read that ended in CR) is made CRLF. Spooled to a file. */
START_TEST(large_reads_same_bytes)
{
    static const size_t steps[] = {4096, 5000, 32768, 65536 + 3};
    static unsigned char raw[300000], buf[65536 + 3];
    cm_hdrs h;
    cm_spool *body = cm_spool_new(1024, cm_test_tmp());
    cm_entity e;
    cm_buf out = CM_BUF_INIT, want = CM_BUF_INIT;
    cm_crlf c;
    size_t i;
    ssize_t r;

    for (i = 0; i < sizeof(raw); i++)       /* CRLF lines, a few bare LFs */
        raw[i] = (unsigned char) (i % 80 == 78 ? '\r' : i % 80 == 79 ? '\n' : 'a' + i % 26);
    raw[100000] = '\n';
    raw[4095] = '\r';
    raw[4096] = '\n';
    raw[5000 * 7 - 1] = '\r';
    raw[250000] = '\n';
    raw[sizeof(raw) - 1] = '\n';
    cm_hdrs_init(&h, 10, 1000);
    ck_assert_int_eq(cm_spool_write(body, raw, sizeof(raw)), 0);
    cm_crlf_init(&c);
    ck_assert_int_eq(cm_buf_append(&want, "\r\n", 2), 0);
    ck_assert_int_eq(cm_crlf_push(&c, raw, sizeof(raw), &want), 0);
    ck_assert_uint_gt(want.len, sizeof(raw) + 2);      /* there was a bare LF */
    ck_assert_int_eq(cm_entity_open(&e, &h, body), 0);
    for (i = 0; (r = cm_entity_read(&e, buf, steps[i % NELEM(steps)])) > 0; i++)
        ck_assert_int_eq(cm_buf_append(&out, buf, (size_t) r), 0);
    ck_assert_int_eq(r, 0);
    cm_entity_close(&e);
    ck_assert_uint_eq(out.len, want.len);
    ck_assert_mem_eq(out.data, want.data, want.len);
    cm_buf_free(&out);
    cm_buf_free(&want);
    cm_spool_free(body);
    cm_hdrs_free(&h);
}
END_TEST

static void add(Suite *s)
{
    CM_ADD(s, large_reads_same_bytes);
    CM_ADD(s, content_fields_then_canonical_body);
    CM_ADD(s, no_content_fields);
}

CM_TEST_MAIN("cm_entity", add)
