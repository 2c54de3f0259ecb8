#include "cm_gate.h"
#include "cm_test.h"

#include <string.h>

#define NOW 1800000000
#define FPR "CEA8AD13282B75F5E426832F3A2E9608C41D374E"

static cm_sig good(int64_t created)
{
    cm_sig s;

    memset(&s, 0, sizeof(s));
    s.status = CM_SIG_GOOD;
    strcpy(s.fpr, FPR);
    strcpy(s.keyid, "3A2E9608C41D374E");
    s.created = created;
    return s;
}

typedef struct gate_case {
    const char *name;
    size_t nsigs;           /* signatures reported */
    cm_sig_status status;   /* of the first */
    int64_t age;            /* now - created of the first */
    int owns;               /* the first's key has the sender's address */
    const char *from;
    uint64_t max_age;
    cm_stat want;
    const char *detail;     /* substring of the detail, or NULL */
} gate_case;

static const gate_case cases[] = {
    {"good", 1, CM_SIG_GOOD, 10, 1, "alice@example.org", 3600, CM_OK, NULL},
    {"unsigned", 0, CM_SIG_GOOD, 10, 1, "alice@example.org", 3600, CM_GATE_UNSIGNED, NULL},
    {"bad", 1, CM_SIG_BAD, 10, 1, "alice@example.org", 3600, CM_GATE_BADSIG, "changed"},
    {"no key", 1, CM_SIG_NOKEY, 10, 1, "alice@example.org", 3600, CM_GATE_UNKNOWN_SIGNER, "key 3A2E"},
    {"key expired", 1, CM_SIG_KEY_EXPIRED, 10, 1, "alice@example.org", 3600, CM_GATE_BADSIG, "expired"},
    {"key revoked", 1, CM_SIG_KEY_REVOKED, 10, 1, "alice@example.org", 3600, CM_GATE_BADSIG, "revoked"},
    {"unreadable", 1, CM_SIG_ERROR, 10, 1, "alice@example.org", 3600, CM_GATE_BADSIG, NULL},
    {"not the sender's key", 1, CM_SIG_GOOD, 10, 0, "alice@example.org", 3600, CM_GATE_WRONG_SIGNER,
     "<alice@example.org>"},
    {"From: another", 1, CM_SIG_GOOD, 10, 1, "boss@example.org", 3600, CM_GATE_FROM, "boss@"},
    {"From: none or several", 1, CM_SIG_GOOD, 10, 1, NULL, 3600, CM_GATE_FROM, "missing"},
    {"at the age limit", 1, CM_SIG_GOOD, 3600, 1, "alice@example.org", 3600, CM_OK, NULL},
    {"a second too old", 1, CM_SIG_GOOD, 3601, 1, "alice@example.org", 3600, CM_GATE_STALE, "limit is 60m"},
    {"two hours old", 1, CM_SIG_GOOD, 7300, 1, "alice@example.org", 3600, CM_GATE_STALE, "is 2h old"},
    {"five minutes ahead", 1, CM_SIG_GOOD, -300, 1, "alice@example.org", 3600, CM_OK, NULL},
    {"six minutes ahead", 1, CM_SIG_GOOD, -360, 1, "alice@example.org", 3600, CM_GATE_FUTURE, "6m ahead"},
    {"too many", CM_SIGS_MAX + 1, CM_SIG_GOOD, 10, 1, "alice@example.org", 3600, CM_GATE_BADSIG, "more than"},
};

START_TEST(gate_table)
{
    const gate_case *c = &cases[_i];
    cm_sigs ss;
    int owns[CM_SIGS_MAX] = {1, 1, 1, 1};
    cm_gate_in in;
    char detail[256];
    size_t i;
    cm_stat st;

    memset(&ss, 0, sizeof(ss));
    ss.seen = c->nsigs;
    ss.n = c->nsigs > CM_SIGS_MAX ? CM_SIGS_MAX : c->nsigs;
    for (i = 0; i < ss.n; i++)
        ss.v[i] = good(NOW - 5);
    if (ss.n > 0) {
        ss.v[0].status = c->status;
        ss.v[0].created = NOW - c->age;
        owns[0] = c->owns;
    }
    in.sigs = &ss;
    in.owns = owns;
    in.sender = "alice@example.org";
    in.from = c->from;
    in.now = NOW;
    in.max_age = c->max_age;
    st = cm_gate_check(&in, detail, sizeof(detail));
    ck_assert_msg(st == c->want, "%s: got %d want %d (%s)", c->name, st, c->want, detail);
    if (c->detail != NULL)
        ck_assert_msg(strstr(detail, c->detail) != NULL, "%s: detail \"%s\" lacks \"%s\"", c->name,
                      detail, c->detail);
}
END_TEST

START_TEST(one_bad_signature_among_good_ones_refuses)
{
    cm_sigs ss;
    int owns[CM_SIGS_MAX] = {1, 0};
    cm_gate_in in = {&ss, owns, "alice@example.org", "alice@example.org", NOW, 3600};
    char detail[256];

    memset(&ss, 0, sizeof(ss));
    ss.n = ss.seen = 2;
    ss.v[0] = good(NOW);
    ss.v[1] = good(NOW);
    ck_assert_int_eq(cm_gate_check(&in, detail, sizeof(detail)), CM_GATE_WRONG_SIGNER);
    owns[1] = 1;
    ss.v[1].created = NOW - 4000;
    ck_assert_int_eq(cm_gate_check(&in, detail, sizeof(detail)), CM_GATE_STALE);
}
END_TEST

/* S/MIME: the engine's note is the reason; a certificate is named as one. */
START_TEST(certificate_signers_read_as_certificates)
{
    cm_sigs ss;
    int owns = 0;
    cm_gate_in in = {&ss, &owns, "alice@example.org", "alice@example.org", NOW, 3600};
    char detail[256];

    memset(&ss, 0, sizeof(ss));
    ss.n = ss.seen = 1;
    ss.v[0] = good(NOW - 10);
    ss.v[0].x509 = 1;
    ck_assert_int_eq(cm_gate_check(&in, detail, sizeof(detail)), CM_GATE_WRONG_SIGNER);
    ck_assert_msg(strstr(detail, "certificate " FPR " is not for <alice@example.org>") != NULL,
                  "%s", detail);
    owns = 1;
    ss.v[0].status = CM_SIG_NOKEY;
    strcpy(ss.v[0].note, "not issued by a CA in the gateway's TrustAnchors");
    ck_assert_int_eq(cm_gate_check(&in, detail, sizeof(detail)), CM_GATE_UNKNOWN_SIGNER);
    ck_assert_str_eq(detail, "not issued by a CA in the gateway's TrustAnchors");
    ss.v[0].status = CM_SIG_ERROR;
    strcpy(ss.v[0].note, "the signature has no signing time");
    ck_assert_int_eq(cm_gate_check(&in, detail, sizeof(detail)), CM_GATE_BADSIG);
    ck_assert_str_eq(detail, "the signature has no signing time");
}
END_TEST

START_TEST(durations_read_like_a_person_writes_them)
{
    char b[32];

    cm_gate_duration(45, b, sizeof(b));
    ck_assert_str_eq(b, "45s");
    cm_gate_duration(119, b, sizeof(b));
    ck_assert_str_eq(b, "119s");
    cm_gate_duration(5400, b, sizeof(b));
    ck_assert_str_eq(b, "90m");
    cm_gate_duration(7300, b, sizeof(b));
    ck_assert_str_eq(b, "2h");
    cm_gate_duration(3 * 86400, b, sizeof(b));
    ck_assert_str_eq(b, "3d");
}
END_TEST

static void add(Suite *s)
{
    CM_ADD_LOOP(s, gate_table, NELEM(cases));
    CM_ADD(s, one_bad_signature_among_good_ones_refuses);
    CM_ADD(s, durations_read_like_a_person_writes_them);
    CM_ADD(s, certificate_signers_read_as_certificates);
}

CM_TEST_MAIN("cm_gate", add)
