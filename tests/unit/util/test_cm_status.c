#include "cm_status.h"
#include "cm_test.h"

#include <string.h>
#include <sysexits.h>

/* Every status has a well-formed reply whose classes agree. */
START_TEST(table_is_consistent)
{
    int i;

    for (i = 1; i < CM_STAT_COUNT; i++) {     /* CM_OK is no refusal */
        const cm_stat_info *si = cm_stat_lookup((cm_stat) i);

        ck_assert_int_eq(si->stat, i);
        ck_assert_uint_eq(strlen(si->rcode), 3);
        ck_assert_int_eq(si->xcode[0], si->rcode[0]);
        ck_assert_int_eq(si->xcode[1], '.');
        ck_assert_uint_gt(strlen(si->text), 10);
        if (si->cls == CM_CLASS_PERM)
            ck_assert_int_eq(si->rcode[0], '5');
        if (si->cls == CM_CLASS_INTERNAL || si->cls == CM_CLASS_TEMP || si->cls == CM_CLASS_ACTION)
            ck_assert_int_eq(si->rcode[0], '4');
    }
}
END_TEST

START_TEST(internal_errors_tempfail_unless_onerror_reject)
{
    cm_reply r;

    cm_stat_reply(CM_ERR_KEYRING, 0, NULL, &r);
    ck_assert_str_eq(r.rcode, "451");
    ck_assert_str_eq(r.xcode, "4.3.0");
    ck_assert_int_eq(r.sysexit, EX_TEMPFAIL);
    cm_stat_reply(CM_ERR_KEYRING, 1, NULL, &r);
    ck_assert_str_eq(r.rcode, "554");
    ck_assert_str_eq(r.xcode, "5.3.0");
    ck_assert_int_eq(r.sysexit, EX_UNAVAILABLE);
    /* A policy deferral is not an error: OnError does not touch it. */
    cm_stat_reply(CM_SPLIT_CLASS, 1, NULL, &r);
    ck_assert_str_eq(r.rcode, "452");
    ck_assert_str_eq(r.xcode, "4.5.3");
}
END_TEST

/* One cause, two actions: tempfail and reject each keep their own reply
 * (SPEC §3.3, §3.5), byte for byte. */
START_TEST(action_picks_the_reply)
{
    static const struct {
        cm_stat st;
        int reject;
        const char *rcode, *xcode, *text;
        int sysexit;
    } t[] = {
        {CM_NOKEY, 0, "451", "4.7.4", "No encryption key for recipient, delivery deferred",
         EX_TEMPFAIL},
        {CM_NOKEY, 1, "554", "5.7.4",
         "No encryption key for recipient; mail to this address must be encrypted",
         EX_UNAVAILABLE},
        {CM_TOOBIG, 0, "452", "4.3.4",
         "Message too large for the encryption gateway, try again later", EX_TEMPFAIL},
        {CM_TOOBIG, 1, "552", "5.3.4", "Message too large for the encryption gateway",
         EX_UNAVAILABLE},
        {CM_HEADER_LIMIT, 0, "552", "5.3.4",
         "Message header section too large or has too many fields", EX_UNAVAILABLE},
    };
    size_t i;
    cm_reply r;

    for (i = 0; i < NELEM(t); i++) {
        cm_stat_reply(t[i].st, t[i].reject, NULL, &r);
        ck_assert_str_eq(r.rcode, t[i].rcode);
        ck_assert_str_eq(r.xcode, t[i].xcode);
        ck_assert_str_eq(r.text, t[i].text);
        ck_assert_int_eq(r.sysexit, t[i].sysexit);
    }
}
END_TEST

START_TEST(detail_is_sanitised)
{
    cm_reply r;

    cm_stat_reply(CM_NOKEY, 1, "bob@x\r\n250 ok\x01", &r);
    ck_assert_str_eq(r.rcode, "554");
    ck_assert_ptr_nonnull(strstr(r.text, ": bob@x??250 ok?"));
    ck_assert_ptr_null(strchr(r.text, '\n'));
    ck_assert_int_eq(r.sysexit, EX_UNAVAILABLE);
}
END_TEST

static void add(Suite *s)
{
    CM_ADD(s, table_is_consistent);
    CM_ADD(s, internal_errors_tempfail_unless_onerror_reject);
    CM_ADD(s, action_picks_the_reply);
    CM_ADD(s, detail_is_sanitised);
}

CM_TEST_MAIN("cm_status", add)
