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

static void add(Suite *s)
{
    CM_ADD(s, content_fields_then_canonical_body);
    CM_ADD(s, no_content_fields);
}

CM_TEST_MAIN("cm_entity", add)
