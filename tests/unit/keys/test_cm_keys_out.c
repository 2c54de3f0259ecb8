#include "cm_keys_out.h"
#include "cm_test.h"

#include <stdlib.h>
#include <string.h>

/* What fn writes to a memory stream, as a string (free it). */
static char *written(int (*fn)(FILE *, const void *), const void *arg, int *rc)
{
    char *p = NULL;
    size_t n = 0;
    FILE *fp = open_memstream(&p, &n);

    ck_assert_ptr_nonnull(fp);
    *rc = fn(fp, arg);
    ck_assert_int_eq(fclose(fp), 0);
    return p;
}

static int json_str(FILE *fp, const void *s)
{
    return cm_keys_out_json_str(fp, s);
}

/* Quotes, backslashes and control characters are escaped; the rest,
 * UTF-8 included, is written as it is. */
START_TEST(json_escapes)
{
    static const struct {
        const char *in, *want;
    } t[] = {
        {"ann@example.net", "\"ann@example.net\""},
        {"a\"b", "\"a\\\"b\""},
        {"O=Keys\\20Test/51", "\"O=Keys\\\\20Test/51\""},
        {"x\ny\tz\x01\x1f\x7f", "\"x\\u000ay\\u0009z\\u0001\\u001f\\u007f\""},
        {"j\xc3\xb6rg@example.net", "\"j\xc3\xb6rg@example.net\""},
        {"", "\"\""},
    };
    size_t i;

    for (i = 0; i < NELEM(t); i++) {
        int rc;
        char *out = written(json_str, t[i].in, &rc);

        ck_assert_int_eq(rc, 0);
        ck_assert_msg(strcmp(out, t[i].want) == 0, "row %zu: %s", i, out);
        free(out);
    }
}
END_TEST

START_TEST(dates)
{
    char d[32];

    cm_keys_out_date(0, d);
    ck_assert_str_eq(d, "never");
    cm_keys_out_date(1609372800, d);            /* 2020-12-31T00:00:00Z */
    ck_assert_str_eq(d, "2020-12-31");
    cm_keys_out_date(1609459199, d);            /* 2020-12-31T23:59:59Z */
    ck_assert_str_eq(d, "2020-12-31");
    ck_assert_str_eq(cm_keys_out_state(CM_KEY_NO_ENCRYPTION), "no-encryption");
    ck_assert_str_eq(cm_keys_out_state(CM_KEY_DISABLED), "disabled");
    ck_assert_str_eq(cm_keys_out_state(CM_KEY_MISSING), "missing");     /* an archive key */
}
END_TEST

typedef struct row {
    const cm_keyinfo *k;
    int json, first;
} row;

static int write_row(FILE *fp, const void *arg)
{
    const row *r = arg;

    return cm_keys_out_write(fp, "pgp", r->k, r->json, r->first);
}

/* A line is five words; objects after the first are preceded by a comma. */
START_TEST(line_and_object)
{
    cm_keyinfo k = {"a\"b@example.net", "ABCD", 1609372800, CM_KEY_EXPIRED};
    row r = {&k, 0, 1};
    int rc;
    char *out = written(write_row, &r, &rc);

    ck_assert_int_eq(rc, 0);
    ck_assert_str_eq(out, "a\"b@example.net pgp ABCD 2020-12-31 expired\n");
    free(out);
    r.json = 1;
    r.first = 0;
    out = written(write_row, &r, &rc);
    ck_assert_int_eq(rc, 0);
    ck_assert_str_eq(out, ",\n {\"address\": \"a\\\"b@example.net\", \"class\": \"pgp\", \"id\": "
                     "\"ABCD\", \"expires\": \"2020-12-31\", \"state\": \"expired\"}");
    free(out);
}
END_TEST

/* A user ID's address is the key owner's text: a space, newline or
 * escape in it must not add a word or a line to what cron mails (a forged
 * "usable" line) or reach the terminal; it is written \HH. */
START_TEST(line_escapes_address)
{
    cm_keyinfo k = {"\"a b\"@x.net\nbob@example.org pgp FF never usable\x1b[2J\\",
                    "ABCD", 0, CM_KEY_REVOKED};
    row r = {&k, 0, 1};
    int rc;
    char *out = written(write_row, &r, &rc);

    ck_assert_int_eq(rc, 0);
    ck_assert_str_eq(out, "\"a\\20b\"@x.net\\0abob@example.org\\20pgp\\20FF\\20never"
                     "\\20usable\\1b[2J\\5c pgp ABCD never revoked\n");
    free(out);
}
END_TEST

static void add(Suite *s)
{
    CM_ADD(s, json_escapes);
    CM_ADD(s, dates);
    CM_ADD(s, line_and_object);
    CM_ADD(s, line_escapes_address);
}

CM_TEST_MAIN("cm_keys_out", add)
