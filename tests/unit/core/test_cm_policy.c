#include "cm_policy.h"
#include "cm_test.h"

#include <string.h>

static const struct {
    const char *auth, *addr, *daemon;
    cm_direction want;
    const char *why;
} cases[] = {
    {NULL, "203.0.113.5", "smtpd", CM_DIR_INBOUND, "external"},
    {"", "203.0.113.5", NULL, CM_DIR_INBOUND, "external"},
    {"alice", "203.0.113.5", "smtpd", CM_DIR_OUTBOUND, "authenticated"},
    {NULL, "192.0.2.44", "smtpd", CM_DIR_OUTBOUND, "internal-host"},
    {NULL, "203.0.113.5", "Submission", CM_DIR_OUTBOUND, "outbound-daemon"},
    {NULL, NULL, NULL, CM_DIR_INBOUND, "external"},
};

START_TEST(direction_table)
{
    cm_config *cfg = cm_config_new();
    char err[256];
    cm_conn_facts f = {cases[_i].auth, cases[_i].addr, cases[_i].daemon};
    const char *why;

    ck_assert_int_eq(cm_config_set(cfg, "InternalHosts", "192.0.2.0/24", err, sizeof(err)), 0);
    ck_assert_int_eq(cm_config_set(cfg, "OutboundDaemons", "submission, smtps", err, sizeof(err)), 0);
    ck_assert_int_eq(cm_policy_direction(cfg, &f, &why), cases[_i].want);
    ck_assert_str_eq(why, cases[_i].why);
    cm_config_free(cfg);
}
END_TEST

START_TEST(parse_names)
{
    cm_direction d;

    ck_assert_int_eq(cm_direction_parse("Outbound", &d), 0);
    ck_assert_int_eq(d, CM_DIR_OUTBOUND);
    ck_assert_int_eq(cm_direction_parse("sideways", &d), -1);
    ck_assert_str_eq(cm_direction_name(CM_DIR_INBOUND), "inbound");
}
END_TEST

/* RCPT under each MissingKeyAction: only split defers, and only a
 * recipient whose class differs from the first accepted one. */
START_TEST(rcpt_admits_table)
{
    static const struct {
        int action;
        cm_key_class first, cls;
        int want;
    } t[] = {
        {CM_MISSING_SPLIT, CM_KEY_UNSET, CM_KEY_NONE, 1},
        {CM_MISSING_SPLIT, CM_KEY_UNSET, CM_KEY_OPENPGP, 1},
        {CM_MISSING_SPLIT, CM_KEY_OPENPGP, CM_KEY_OPENPGP, 1},
        {CM_MISSING_SPLIT, CM_KEY_NONE, CM_KEY_NONE, 1},
        {CM_MISSING_SPLIT, CM_KEY_OPENPGP, CM_KEY_NONE, 0},
        {CM_MISSING_SPLIT, CM_KEY_NONE, CM_KEY_OPENPGP, 0},
        {CM_MISSING_PASS, CM_KEY_OPENPGP, CM_KEY_NONE, 1},
        {CM_MISSING_TEMPFAIL, CM_KEY_NONE, CM_KEY_OPENPGP, 1},
        {CM_MISSING_REJECT, CM_KEY_OPENPGP, CM_KEY_NONE, 1},
    };
    size_t i;

    for (i = 0; i < NELEM(t); i++)
        ck_assert_msg(cm_policy_rcpt_admits(t[i].action, t[i].first, t[i].cls) == t[i].want,
                      "row %zu: got %d, want %d", i,
                      cm_policy_rcpt_admits(t[i].action, t[i].first, t[i].cls), t[i].want);
}
END_TEST

/* End of message: encrypt, pass, or which refusal. */
START_TEST(missing_table)
{
    static const struct {
        int action;
        size_t nrcpt, nkeyless;
        cm_stat want;
        int encrypt, pass;
    } t[] = {
        {CM_MISSING_SPLIT, 2, 0, CM_OK, 1, 0},
        {CM_MISSING_PASS, 2, 0, CM_OK, 1, 0},
        {CM_MISSING_TEMPFAIL, 1, 0, CM_OK, 1, 0},
        {CM_MISSING_SPLIT, 2, 2, CM_OK, 0, 1},
        {CM_MISSING_SPLIT, 2, 1, CM_SPLIT_CLASS, 0, 0},
        {CM_MISSING_PASS, 3, 1, CM_OK, 0, 1},
        {CM_MISSING_TEMPFAIL, 3, 1, CM_NOKEY_TEMP, 0, 0},
        {CM_MISSING_REJECT, 3, 3, CM_NOKEY_REJECT, 0, 0},
    };
    size_t i;

    for (i = 0; i < NELEM(t); i++) {
        int enc = -1, pass = -1;
        cm_stat st = cm_policy_missing(t[i].action, t[i].nrcpt, t[i].nkeyless, &enc, &pass);

        ck_assert_msg(st == t[i].want && enc == t[i].encrypt && pass == t[i].pass,
                      "row %zu: got %d/%d/%d", i, st, enc, pass);
    }
}
END_TEST

static void add(Suite *s)
{
    CM_ADD(s, rcpt_admits_table);
    CM_ADD(s, missing_table);
    CM_ADD_LOOP(s, direction_table, NELEM(cases));
    CM_ADD(s, parse_names);
}

CM_TEST_MAIN("cm_policy", add)
