#include "cm_edit.h"
#include "cm_test.h"

#include <string.h>

static void fill(cm_hdrs *h)
{
    cm_hdrs_init(h, 20, 10000);
    cm_hdrs_add(h, "Received", " r1", 3);
    cm_hdrs_add(h, "Content-Type", " text/plain", 11);
    cm_hdrs_add(h, "Received", " r2", 3);
    cm_hdrs_add(h, "Subject", " s", 2);
}

START_TEST(change_delete_add)
{
    cm_hdrs h;
    cm_edits e = {NULL, 0};

    fill(&h);
    ck_assert_int_eq(cm_edits_add(&e, CM_EDIT_DELETE, "received", 2, NULL), CM_OK);
    ck_assert_int_eq(cm_edits_add(&e, CM_EDIT_CHANGE, "Content-Type", 1, " new/type"), CM_OK);
    ck_assert_int_eq(cm_edits_add(&e, CM_EDIT_ADD, "X-New", 0, " v"), CM_OK);
    ck_assert_int_eq(cm_edits_apply(&e, &h), CM_OK);
    ck_assert_uint_eq(h.n, 4);
    ck_assert_str_eq(h.v[0].raw, "Received: r1");
    ck_assert_str_eq(h.v[1].raw, "Content-Type: new/type");   /* in place */
    ck_assert_str_eq(h.v[2].raw, "Subject: s");
    ck_assert_str_eq(h.v[3].raw, "X-New: v");
    cm_edits_free(&e);
    cm_hdrs_free(&h);
}
END_TEST

START_TEST(change_of_absent_field_appends)
{
    cm_hdrs h;
    cm_edits e = {NULL, 0};

    fill(&h);
    cm_edits_add(&e, CM_EDIT_CHANGE, "MIME-Version", 1, " 1.0");
    cm_edits_add(&e, CM_EDIT_DELETE, "Nope", 1, NULL);
    ck_assert_int_eq(cm_edits_apply(&e, &h), CM_OK);
    ck_assert_uint_eq(h.n, 5);
    ck_assert_str_eq(h.v[4].raw, "MIME-Version: 1.0");
    cm_edits_free(&e);
    cm_hdrs_free(&h);
}
END_TEST

static void add(Suite *s)
{
    CM_ADD(s, change_delete_add);
    CM_ADD(s, change_of_absent_field_appends);
}

CM_TEST_MAIN("cm_edit", add)
