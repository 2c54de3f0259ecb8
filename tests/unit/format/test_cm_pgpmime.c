#include "cm_ctype.h"
#include "cm_header.h"
#include "cm_pgpmime.h"
#include "cm_test.h"

#include <string.h>

START_TEST(content_type_parses_back)
{
    char *v = cm_pgpmime_content_type("=_cm_abc");
    char *u = cm_hdr_unfold(v);
    cm_ctype ct;

    ck_assert_ptr_nonnull(strstr(v, "protocol=\"application/pgp-encrypted\""));
    ck_assert_int_eq(cm_ctype_parse(u, &ct), 0);
    ck_assert(cm_ctype_is(&ct, "multipart", "encrypted"));
    ck_assert_str_eq(cm_ctype_param(&ct, "protocol"), "application/pgp-encrypted");
    ck_assert_str_eq(cm_ctype_param(&ct, "boundary"), "=_cm_abc");
    cm_ctype_free(&ct);
    free(u);
    free(v);
}
END_TEST

START_TEST(framing_is_rfc3156)
{
    cm_spool *s = cm_spool_new(1 << 16, NULL);
    cm_buf pre = CM_BUF_INIT;
    char buf[2048] = {0};
    const char *p2;

    ck_assert_int_eq(cm_pgpmime_begin("B", &pre), 0);
    ck_assert_int_eq(cm_spool_write_buf(s, &pre), 0);
    cm_buf_free(&pre);
    ck_assert_int_eq(cm_spool_write(s, "ARMOR\r\n", 7), 0);
    ck_assert_int_eq(cm_pgpmime_end("B", s), 0);
    ck_assert_int_gt(cm_spool_read(s, buf, sizeof(buf) - 1), 0);
    ck_assert_ptr_nonnull(strstr(buf, "\r\n--B\r\nContent-Type: application/pgp-encrypted\r\n"));
    ck_assert_ptr_nonnull(strstr(buf, "\r\n\r\nVersion: 1\r\n"));
    p2 = strstr(buf, "\r\n--B\r\nContent-Type: application/octet-stream");
    ck_assert_ptr_nonnull(p2);
    ck_assert_ptr_nonnull(strstr(p2, "\r\n\r\nARMOR\r\n\r\n--B--\r\n"));
    /* 7-bit, CRLF only. */
    for (size_t i = 0; buf[i]; i++) {
        ck_assert((unsigned char) buf[i] < 128);
        if (buf[i] == '\n')
            ck_assert_int_eq(buf[i - 1], '\r');
    }
    cm_spool_free(s);
}
END_TEST

static void add(Suite *s)
{
    CM_ADD(s, content_type_parses_back);
    CM_ADD(s, framing_is_rfc3156);
}

CM_TEST_MAIN("cm_pgpmime", add)
