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

/* Outbound RCPT: the first recipient sets the kind, another kind waits. */
START_TEST(rcpt_locality_table)
{
    static const struct {
        int seen, local;
        cm_stat want;
    } t[] = {
        {-1, 0, CM_OK},
        {-1, 1, CM_OK},
        {0, 0, CM_OK},
        {1, 1, CM_OK},
        {0, 1, CM_SPLIT_LOCAL},
        {1, 0, CM_SPLIT_LOCAL},
    };
    size_t i;

    for (i = 0; i < NELEM(t); i++)
        ck_assert_msg(cm_policy_rcpt_locality(t[i].seen, t[i].local) == t[i].want,
                      "row %zu: got %d", i, cm_policy_rcpt_locality(t[i].seen, t[i].local));
}
END_TEST

/* RCPT with a key lookup: split keeps to the first class (inbound only);
 * keys of two classes never share a transaction under any action. The
 * deferral names the keyed class, else the first recipient's. */
START_TEST(rcpt_class_table)
{
    enum { U = CM_KEY_UNSET, N = CM_KEY_NONE, P = CM_KEY_OPENPGP, S = CM_KEY_SMIME };
    static const struct {
        int action, as_inbound;
        cm_key_class first, keyed, cls;
        cm_stat want;
        const char *theirs;
    } t[] = {
        {CM_MISSING_SPLIT, 1, U, N, P, CM_OK, NULL},
        {CM_MISSING_SPLIT, 1, P, P, P, CM_OK, NULL},
        {CM_MISSING_SPLIT, 1, N, N, N, CM_OK, NULL},
        {CM_MISSING_SPLIT, 1, P, P, N, CM_SPLIT_CLASS, "OpenPGP"},
        {CM_MISSING_SPLIT, 1, N, N, S, CM_SPLIT_CLASS, "none"},
        {CM_MISSING_SPLIT, 1, S, S, P, CM_SPLIT_CLASS, "S/MIME"},
        {CM_MISSING_SPLIT, 0, N, N, P, CM_OK, NULL},          /* outbound external: no split */
        {CM_MISSING_PASS, 1, P, P, N, CM_OK, NULL},
        {CM_MISSING_PASS, 1, N, P, S, CM_SPLIT_CLASS, "OpenPGP"},  /* one format */
        {CM_MISSING_TEMPFAIL, 1, P, P, S, CM_SPLIT_CLASS, "OpenPGP"},
        {CM_MISSING_REJECT, 0, N, S, P, CM_SPLIT_CLASS, "S/MIME"},
        {CM_MISSING_REJECT, 1, N, P, N, CM_OK, NULL},
        {CM_MISSING_REJECT, 1, P, P, P, CM_OK, NULL},
    };
    size_t i;

    for (i = 0; i < NELEM(t); i++) {
        cm_key_class theirs = CM_KEY_UNSET;
        cm_stat st = cm_policy_rcpt_class(t[i].action, t[i].as_inbound, t[i].first, t[i].keyed,
                                          t[i].cls, &theirs);

        ck_assert_msg(st == t[i].want, "row %zu: got %d", i, st);
        if (st != CM_OK)
            ck_assert_str_eq(cm_policy_class_name(theirs), t[i].theirs);
    }
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
        {CM_MISSING_TEMPFAIL, 3, 1, CM_NOKEY, 0, 0},
        {CM_MISSING_REJECT, 3, 3, CM_NOKEY, 0, 0},
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

/* Which setting answers a refusal: each cause its own. */
START_TEST(rejects_table)
{
    static const struct {
        const char *key, *value;
        cm_stat st;
        int want;
    } t[] = {
        {"MissingKeyAction", "reject", CM_NOKEY, 1},
        {"MissingKeyAction", "tempfail", CM_NOKEY, 0},
        {"OnError", "reject", CM_NOKEY, 0},
        {"OversizeAction", "reject", CM_TOOBIG, 1},
        {"OversizeAction", "tempfail", CM_TOOBIG, 0},
        {"MissingKeyAction", "reject", CM_TOOBIG, 0},
        {"OnError", "reject", CM_ERR_KEYRING, 1},
        {"OnError", "tempfail", CM_ERR_KEYRING, 0},
        {"OversizeAction", "reject", CM_ERR_SPOOL, 0},
        {"OnError", "reject", CM_SPLIT_CLASS, 0},
        {"OnError", "reject", CM_GATE_BADSIG, 0},
    };
    size_t i;

    for (i = 0; i < NELEM(t); i++) {
        cm_config *cfg = cm_config_new();
        char err[256];

        ck_assert_ptr_nonnull(cfg);
        ck_assert_int_eq(cm_config_set(cfg, t[i].key, t[i].value, err, sizeof(err)), 0);
        ck_assert_msg(cm_policy_rejects(cfg, t[i].st) == t[i].want, "row %zu", i);
        cm_config_free(cfg);
    }
}
END_TEST

/* EncryptionPolicy at RCPT: who is refused alone, who keeps apart. */
START_TEST(rcpt_keyless_table)
{
    static const struct {
        int action, from_policy;
        cm_stat want;
    } t[] = {
        {CM_ADDRPOL_REQUIRE, 1, CM_NOKEY_POLICY},
        {CM_ADDRPOL_REQUIRE_REJECT, 1, CM_NOKEY_POLICY_REJECT},
        {CM_ADDRPOL_TEMPFAIL, 1, CM_NOKEY_POLICY},
        {CM_ADDRPOL_REJECT, 1, CM_NOKEY_POLICY_REJECT},
        {CM_ADDRPOL_PASS, 1, CM_OK},
        {CM_ADDRPOL_SPLIT, 1, CM_OK},
        {CM_ADDRPOL_NEVER, 1, CM_OK},
        {CM_MISSING_TEMPFAIL, 0, CM_OK},    /* MissingKeyAction: decided at the end */
        {CM_MISSING_REJECT, 0, CM_OK},
    };
    size_t i;

    for (i = 0; i < NELEM(t); i++)
        ck_assert_msg(cm_policy_rcpt_keyless(t[i].action, t[i].from_policy) == t[i].want, "row %zu", i);
    /* Whatever MissingKeyAction says, require never answers a pass. */
    ck_assert_int_eq(cm_stat_lookup(CM_NOKEY_POLICY)->cls, CM_CLASS_TEMP);
    ck_assert_int_eq(cm_stat_lookup(CM_NOKEY_POLICY_REJECT)->cls, CM_CLASS_PERM);
}
END_TEST

START_TEST(rcpt_mix_table)
{
    enum { U = CM_KEY_UNSET, N = CM_KEY_NONE, P = CM_KEY_OPENPGP, S = CM_KEY_SMIME };
    static const struct {
        int strict, strict_seen, mixed;
        cm_key_class first, cls;
        cm_stat want;
    } t[] = {
        {1, 0, 0, U, N, CM_OK},             /* the first recipient */
        {0, 0, 0, P, N, CM_OK},             /* MissingKeyAction pass mixes */
        {0, 0, 1, P, P, CM_OK},
        {1, 0, 0, P, N, CM_SPLIT_CLASS},    /* never after a keyed one */
        {1, 0, 0, N, P, CM_SPLIT_CLASS},    /* require (keyed) after a keyless one */
        {0, 1, 0, N, P, CM_SPLIT_CLASS},    /* keyed after a never one */
        {0, 1, 0, P, P, CM_OK},
        {1, 0, 1, P, P, CM_SPLIT_CLASS},    /* require, but someone goes in clear */
        {1, 1, 0, N, N, CM_OK},             /* never with never */
        {1, 0, 0, S, S, CM_OK},
    };
    size_t i;

    for (i = 0; i < NELEM(t); i++)
        ck_assert_msg(cm_policy_rcpt_mix(t[i].strict, t[i].strict_seen, t[i].mixed, t[i].first,
                                         t[i].cls) == t[i].want, "row %zu", i);
    ck_assert(cm_policy_strict(CM_ADDRPOL_NEVER) && cm_policy_strict(CM_ADDRPOL_REQUIRE)
              && cm_policy_strict(CM_ADDRPOL_REQUIRE_REJECT) && cm_policy_strict(CM_ADDRPOL_SPLIT));
    ck_assert(!cm_policy_strict(CM_ADDRPOL_PASS) && !cm_policy_strict(CM_ADDRPOL_TEMPFAIL)
              && !cm_policy_strict(CM_ADDRPOL_REJECT));
}
END_TEST

/* End of message with the policy's counts. */
START_TEST(outcome_table)
{
    static const struct {
        int action;
        cm_rcpt_tally t;    /* nrcpt, nkeyless, npass, nsplit, nnever, nrequired */
        cm_stat want;
        int encrypt;
        const char *trace;
    } t[] = {
        {CM_MISSING_PASS, {2, 0, 0, 0, 0, 1}, CM_OK, 1, NULL},
        {CM_MISSING_PASS, {1, 0, 0, 0, 1, 0}, CM_OK, 0, "skipped policy"},
        {CM_MISSING_REJECT, {2, 0, 0, 0, 2, 0}, CM_OK, 0, "skipped policy"},
        {CM_MISSING_PASS, {2, 1, 0, 0, 1, 0}, CM_OK, 0, "skipped no-key"},
        {CM_MISSING_PASS, {2, 0, 0, 0, 1, 0}, CM_SPLIT_CLASS, 0, NULL},   /* never + keyed */
        {CM_MISSING_PASS, {2, 1, 0, 0, 0, 1}, CM_SPLIT_CLASS, 0, NULL},   /* require + clear */
        {CM_MISSING_PASS, {2, 1, 0, 0, 0, 0}, CM_OK, 0, "skipped no-key"},
        {CM_MISSING_PASS, {2, 1, 0, 1, 0, 0}, CM_SPLIT_CLASS, 0, NULL},   /* its split */
        {CM_MISSING_SPLIT, {2, 1, 1, 0, 0, 0}, CM_OK, 0, "skipped no-key"}, /* its pass */
        {CM_MISSING_TEMPFAIL, {2, 1, 1, 0, 0, 0}, CM_OK, 0, "skipped no-key"},
        {CM_MISSING_TEMPFAIL, {3, 2, 1, 0, 0, 0}, CM_NOKEY, 0, NULL},
        {CM_MISSING_REJECT, {2, 1, 0, 0, 1, 0}, CM_NOKEY, 0, NULL},
    };
    size_t i;

    for (i = 0; i < NELEM(t); i++) {
        const char *trace = "unset";
        int enc = -1;
        cm_stat st = cm_policy_outcome(t[i].action, &t[i].t, &enc, &trace);

        ck_assert_msg(st == t[i].want && enc == t[i].encrypt, "row %zu: got %d/%d", i, st, enc);
        if (t[i].trace == NULL)
            ck_assert_msg(trace == NULL, "row %zu: trace %s", i, trace);
        else
            ck_assert_str_eq(trace, t[i].trace);
    }
}
END_TEST

/* The action of a recipient: the policy's most specific rule, else
 * MissingKeyAction. */
START_TEST(rcpt_action_from_file)
{
    static const char text[] = "@example.org require\n.example.org never\n"
                               "alice@example.org pass\n";
    cm_config *cfg = cm_config_new();
    char err[256];
    int from;

    ck_assert_ptr_nonnull(cfg);
    ck_assert_int_eq(cm_config_set(cfg, "MissingKeyAction", "tempfail", err, sizeof(err)), 0);
    ck_assert_int_eq(cm_policy_rcpt_action(cfg, "bob@example.org", NULL, &from), CM_MISSING_TEMPFAIL);
    ck_assert_int_eq(from, 0);
    ck_assert_ptr_nonnull(cfg->policy = cm_addrpol_parse("p", text, sizeof(text) - 1, err, sizeof(err)));
    ck_assert_int_eq(cm_policy_rcpt_action(cfg, "bob@example.org", NULL, &from), CM_ADDRPOL_REQUIRE);
    ck_assert_int_eq(from, 1);
    ck_assert_int_eq(cm_policy_rcpt_action(cfg, "alice+x@example.org", "alice@example.org", &from),
                     CM_ADDRPOL_PASS);
    ck_assert_int_eq(cm_policy_rcpt_action(cfg, "bob@lists.example.org", NULL, &from), CM_ADDRPOL_NEVER);
    ck_assert_int_eq(cm_policy_rcpt_action(cfg, "bob@example.net", NULL, &from), CM_MISSING_TEMPFAIL);
    ck_assert_int_eq(from, 0);
    cm_config_free(cfg);
}
END_TEST

/* KeyringMaxAge: off at 0; no stamp or one too old (or too far ahead)
 * defers; the boundary itself is still fresh. */
START_TEST(keyring_fresh_table)
{
    static const struct {
        uint64_t max_age;
        int64_t stamp, now;
        cm_stat want;
    } t[] = {
        {0, -1, 1000, CM_OK},
        {0, 10, 100000, CM_OK},
        {60, -1, 1000, CM_KEYRING_STALE},
        {60, 1000, 1000, CM_OK},
        {60, 1000, 1060, CM_OK},
        {60, 1000, 1061, CM_KEYRING_STALE},
        {60, 1000, 940, CM_OK},
        {60, 1000, 939, CM_KEYRING_STALE},
        {60, 0, 1000, CM_KEYRING_STALE},
        {60, 1000, -1, CM_KEYRING_STALE},
    };
    size_t i;

    for (i = 0; i < NELEM(t); i++)
        ck_assert_msg(cm_policy_keyring_fresh(t[i].max_age, t[i].stamp, t[i].now) == t[i].want,
                      "row %zu", i);
    /* Its reply is a 451 4.3.0 whatever OnError says. */
    {
        cm_reply r;

        cm_stat_reply(CM_KEYRING_STALE, 1, NULL, &r);
        ck_assert_str_eq(r.rcode, "451");
        ck_assert_str_eq(r.xcode, "4.3.0");
    }
}
END_TEST

static void add(Suite *s)
{
    CM_ADD(s, rcpt_keyless_table);
    CM_ADD(s, rcpt_mix_table);
    CM_ADD(s, outcome_table);
    CM_ADD(s, rcpt_action_from_file);
    CM_ADD(s, rejects_table);
    CM_ADD(s, rcpt_admits_table);
    CM_ADD(s, rcpt_locality_table);
    CM_ADD(s, rcpt_class_table);
    CM_ADD(s, missing_table);
    CM_ADD_LOOP(s, direction_table, NELEM(cases));
    CM_ADD(s, parse_names);
    CM_ADD(s, keyring_fresh_table);
}

CM_TEST_MAIN("cm_policy", add)
