#include "cm_ctype.h"
#include "cm_test.h"

#include <string.h>

static const struct {
    const char *in, *type, *subtype, *pname, *pvalue;
    int rfc2231;
} cases[] = {
    {"text/plain", "text", "plain", NULL, NULL, 0},
    {"Text/HTML; Charset=\"UTF-8\"", "text", "html", "charset", "UTF-8", 0},
    {"multipart/encrypted; protocol=\"application/pgp-encrypted\"; boundary=foo",
     "multipart", "encrypted", "protocol", "application/pgp-encrypted", 0},
    {"multipart/mixed;\n\tboundary=\"a b;c\\\"d\"", "multipart", "mixed", "boundary", "a b;c\"d", 0},
    {"multipart/mixed (comment (nested)) ; boundary = x1", "multipart", "mixed", "boundary", "x1", 0},
    {"application/x-stuff; title*=us-ascii'en'This%20is", "application", "x-stuff", "title*",
     "us-ascii'en'This%20is", 1},
    {"multipart/mixed; boundary*0=\"ab\"; boundary*1=\"cd\"", "multipart", "mixed", "boundary", NULL, 1},
    {"text/plain; charset=us-ascii;", "text", "plain", "charset", "us-ascii", 0},
    {"text/plain; broken=\"unterminated", "text", "plain", "broken", NULL, 0},
    {"garbage", NULL, NULL, NULL, NULL, 0},
    {"", NULL, NULL, NULL, NULL, 0},
    {"text/", NULL, NULL, NULL, NULL, 0},
};

START_TEST(parse_table)
{
    cm_ctype ct;

    ck_assert_int_eq(cm_ctype_parse(cases[_i].in, &ct), 0);
    if (cases[_i].type == NULL) {
        ck_assert_msg(ct.type == NULL, "\"%s\" parsed as %s", cases[_i].in, ct.type);
    } else {
        ck_assert_str_eq(ct.type, cases[_i].type);
        ck_assert_str_eq(ct.subtype, cases[_i].subtype);
        ck_assert(cm_ctype_is(&ct, cases[_i].type, cases[_i].subtype));
    }
    if (cases[_i].pname != NULL) {
        const char *v = cm_ctype_param(&ct, cases[_i].pname);

        if (cases[_i].pvalue == NULL)
            ck_assert_msg(v == NULL, "%s: unexpected %s=%s", cases[_i].in, cases[_i].pname, v);
        else
            ck_assert_msg(v != NULL && strcmp(v, cases[_i].pvalue) == 0, "%s: %s=%s, want %s",
                          cases[_i].in, cases[_i].pname, v ? v : "(null)", cases[_i].pvalue);
    }
    ck_assert_int_eq(ct.rfc2231, cases[_i].rfc2231);
    cm_ctype_free(&ct);
}
END_TEST

static void add(Suite *s)
{
    CM_ADD_LOOP(s, parse_table, NELEM(cases));
}

CM_TEST_MAIN("cm_ctype", add)
