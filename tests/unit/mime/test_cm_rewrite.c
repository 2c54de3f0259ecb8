#include "cm_edit.h"
#include "cm_rewrite.h"
#include "cm_test.h"

#include <string.h>

static void add_field(cm_hdrs *h, const char *name, const char *value)
{
    ck_assert_int_eq(cm_hdrs_add(h, name, value, strlen(value)), CM_OK);
}

START_TEST(encrypted_headers)
{
    cm_hdrs h;
    cm_edits e = {NULL, 0};
    cm_envelope env = {strdup(" multipart/encrypted; boundary=\"B\""), "encrypted pgp-mime", NULL, NULL, "B"};
    static const char *const want[] = {
        "Received: r", "From: a@x", "Content-Type: multipart/encrypted; boundary=\"B\"",
        "Subject: hello", "MIME-Version: 1.0", "To: b@y", "X-Cryptmilter: encrypted pgp-mime",
    };
    size_t i;

    cm_hdrs_init(&h, 50, 10000);
    add_field(&h, "Received", " r");
    add_field(&h, "X-Cryptmilter", " encrypted forged");
    add_field(&h, "From", " a@x");
    add_field(&h, "Content-Type", " text/plain");
    add_field(&h, "Content-Transfer-Encoding", " quoted-printable");
    add_field(&h, "Subject", " hello");
    add_field(&h, "Content-Disposition", " inline");
    add_field(&h, "MIME-Version", " 1.0 (produced by X)");
    add_field(&h, "content-type", " text/html");
    add_field(&h, "To", " b@y");
    ck_assert_int_eq(cm_rewrite_encrypted(&h, &env, &e), CM_OK);
    ck_assert_int_eq(cm_edits_apply(&e, &h), CM_OK);
    ck_assert_uint_eq(h.n, NELEM(want));
    for (i = 0; i < NELEM(want); i++)
        ck_assert_str_eq(h.v[i].raw, want[i]);
    cm_envelope_free(&env);
    cm_edits_free(&e);
    cm_hdrs_free(&h);
}
END_TEST

START_TEST(no_content_type_adds_one)
{
    cm_hdrs h;
    cm_edits e = {NULL, 0};
    cm_envelope env = {strdup(" multipart/encrypted"), "encrypted pgp-mime", NULL, NULL, "B"};

    cm_hdrs_init(&h, 50, 10000);
    add_field(&h, "Subject", " s");
    ck_assert_int_eq(cm_rewrite_encrypted(&h, &env, &e), CM_OK);
    ck_assert_int_eq(cm_edits_apply(&e, &h), CM_OK);
    ck_assert_ptr_nonnull(cm_hdrs_find(&h, "Content-Type", 0));
    ck_assert_str_eq(cm_hdrs_find(&h, "MIME-Version", 0)->value, " 1.0");
    ck_assert_uint_eq(cm_hdrs_count(&h, "X-Cryptmilter"), 1);
    cm_envelope_free(&env);
    cm_edits_free(&e);
    cm_hdrs_free(&h);
}
END_TEST

START_TEST(trace_replaces_forged_ones)
{
    cm_hdrs h;
    cm_edits e = {NULL, 0};

    cm_hdrs_init(&h, 50, 10000);
    add_field(&h, "X-Cryptmilter", " skipped one");
    add_field(&h, "Subject", " s");
    add_field(&h, "x-cryptmilter", " skipped two");
    ck_assert_int_eq(cm_rewrite_trace(&h, "skipped no-key", &e), CM_OK);
    ck_assert_int_eq(cm_edits_apply(&e, &h), CM_OK);
    ck_assert_uint_eq(cm_hdrs_count(&h, "X-Cryptmilter"), 1);
    ck_assert_str_eq(cm_hdrs_find(&h, "X-Cryptmilter", 0)->value, " skipped no-key");
    ck_assert_str_eq(h.v[0].name, "Subject");
    cm_edits_free(&e);
    cm_hdrs_free(&h);
}
END_TEST

static void add(Suite *s)
{
    CM_ADD(s, encrypted_headers);
    CM_ADD(s, no_content_type_adds_one);
    CM_ADD(s, trace_replaces_forged_ones);
}

CM_TEST_MAIN("cm_rewrite", add)
