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

static void add(Suite *s)
{
    CM_ADD_LOOP(s, direction_table, NELEM(cases));
    CM_ADD(s, parse_names);
}

CM_TEST_MAIN("cm_policy", add)
