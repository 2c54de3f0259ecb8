#include "cm_stats.h"
#include "cm_test.h"

#include <stddef.h>
#include <string.h>

/* The counters are the process's: a test reads them before and after what
 * it does and checks the difference, so it holds whether the tests run in
 * processes of their own (CK_FORK) or one after another (valgrind.sh runs
 * them with CK_FORK=no). */

/* Every field before keyring_loaded is a uint64_t counter. */
#define NCOUNTERS (offsetof(cm_stats_snap, keyring_loaded) / sizeof(uint64_t))
_Static_assert(offsetof(cm_stats_snap, keyring_loaded) % sizeof(uint64_t) == 0,
               "the counters are uint64_t fields up to keyring_loaded");

/* s becomes what moved since before. */
static void since(cm_stats_snap *s, const cm_stats_snap *before)
{
    uint64_t a[NCOUNTERS], b[NCOUNTERS];

    memcpy(a, s, sizeof(a));
    memcpy(b, before, sizeof(b));
    for (size_t i = 0; i < NCOUNTERS; i++)
        a[i] -= b[i];
    memcpy(s, a, sizeof(a));
}

static const struct {
    const char *trace;
    size_t enc, dec, skip;      /* the one counter it must move: index + 1, 0 none */
} traces[] = {
    {"encrypted pgp-mime", CM_STATS_ENC_PGPMIME + 1, 0, 0},
    {"encrypted smime", CM_STATS_ENC_SMIME + 1, 0, 0},
    {"decrypted pgp-mime", 0, CM_STATS_DEC_PGPMIME + 1, 0},
    {"decrypted pgp-inline", 0, CM_STATS_DEC_PGPINLINE + 1, 0},
    {"decrypted smime", 0, CM_STATS_DEC_SMIME + 1, 0},
    {"skipped no-key", 0, 0, CM_STATS_SKIP_NOKEY + 1},
    {"skipped oversize", 0, 0, CM_STATS_SKIP_OVERSIZE + 1},
    {"skipped already-encrypted", 0, 0, CM_STATS_SKIP_ENCRYPTED + 1},
    {"outbound passed", 0, 0, CM_STATS_SKIP_OUTBOUND + 1},
    {"outbound passed oversize", 0, 0, CM_STATS_SKIP_OUTBOUND_OVERSIZE + 1},
    {"skipped policy", 0, 0, CM_STATS_SKIP_POLICY + 1},
    {"something new", 0, 0, CM_STATS_SKIP_OTHER + 1},
    {NULL, 0, 0, CM_STATS_SKIP_OTHER + 1},
};

START_TEST(each_trace_counts_once_where_it_belongs)
{
    const size_t i = (size_t) _i;
    cm_stats_snap s, before;
    size_t k;

    cm_stats_read(&before);
    cm_stats_outcome(0, CM_OK, 0, traces[i].trace);
    cm_stats_read(&s);
    since(&s, &before);
    for (k = 0; k < CM_STATS_ENC_N; k++)
        ck_assert_uint_eq(s.encrypted[k], traces[i].enc == k + 1);
    for (k = 0; k < CM_STATS_DEC_N; k++)
        ck_assert_uint_eq(s.decrypted[k], traces[i].dec == k + 1);
    for (k = 0; k < CM_STATS_SKIP_N; k++)
        ck_assert_uint_eq(s.skipped[k], traces[i].skip == k + 1);
    ck_assert_uint_eq(cm_stats_sum_refused(&s, 0) + cm_stats_sum_refused(&s, 1), 0);
}
END_TEST

START_TEST(refusals_by_reply)
{
    cm_stats_snap s, before;

    cm_stats_read(&before);
    /* OversizeAction tempfail answers 452, reject 552. */
    cm_stats_outcome(1, CM_TOOBIG, 0, "oversize");
    cm_stats_outcome(1, CM_TOOBIG, 0, "oversize");
    cm_stats_outcome(1, CM_TOOBIG, 1, "oversize");
    /* The gate's: 5xx whatever the settings. */
    cm_stats_outcome(1, CM_GATE_REPLAY, 0, "replay");
    cm_stats_outcome(1, CM_GATE_BADSIG, 1, "bad-signature");
    /* An internal error under OnError tempfail. */
    cm_stats_outcome(1, CM_ERR_INTERNAL, 0, "internal");
    /* A trace on a refusal does not count it as a pass. */
    cm_stats_outcome(1, CM_NOKEY, 1, "encrypted pgp-mime");
    cm_stats_read(&s);
    since(&s, &before);
    ck_assert_uint_eq(s.refusals[CM_TOOBIG][0], 2);
    ck_assert_uint_eq(s.refusals[CM_TOOBIG][1], 1);
    ck_assert_uint_eq(cm_stats_sum_refused(&s, 1), 3);     /* 2 x 452, 451 */
    ck_assert_uint_eq(cm_stats_sum_refused(&s, 0), 4);     /* 552, 550, 550, 554 */
    ck_assert_uint_eq(cm_stats_sum_gate(&s), 2);
    ck_assert_uint_eq(cm_stats_replay(&s), 1);
    ck_assert_uint_eq(cm_stats_sum_encrypted(&s), 0);
    ck_assert_uint_eq(cm_stats_sum_skipped(&s), 0);
}
END_TEST

START_TEST(gate_causes)
{
    ck_assert(cm_stats_is_gate(CM_GATE_UNSIGNED));
    ck_assert(cm_stats_is_gate(CM_GATE_REPLAY));
    ck_assert(cm_stats_is_gate(CM_GATE_ORIGINATOR));
    ck_assert(!cm_stats_is_gate(CM_DECRYPT_FAILED));
    ck_assert(!cm_stats_is_gate(CM_NOKEY));
    ck_assert(!cm_stats_is_gate(CM_OK));
}
END_TEST

START_TEST(engine_times_in_buckets)
{
    cm_stats_snap s, before;

    cm_stats_read(&before);
    cm_stats_engine(CM_STATS_OP_ENCRYPT, 4000);         /* 4 ms: le 0.005 */
    cm_stats_engine(CM_STATS_OP_ENCRYPT, 5000);         /* on the bound: le 0.005 */
    cm_stats_engine(CM_STATS_OP_ENCRYPT, 5001);         /* just past: le 0.01 */
    cm_stats_engine(CM_STATS_OP_ENCRYPT, 61000000);     /* 61 s: +Inf */
    cm_stats_engine(CM_STATS_OP_DECRYPT, 2000000);      /* 2 s: le 2.5 */
    cm_stats_engine(CM_STATS_OP_N, 1);                  /* no such op: ignored */
    cm_stats_read(&s);
    since(&s, &before);
    ck_assert_uint_eq(s.bucket[CM_STATS_OP_ENCRYPT][0], 2);
    ck_assert_uint_eq(s.bucket[CM_STATS_OP_ENCRYPT][1], 1);
    ck_assert_uint_eq(s.bucket[CM_STATS_OP_ENCRYPT][CM_STATS_BUCKETS], 1);
    ck_assert_uint_eq(s.engine_count[CM_STATS_OP_ENCRYPT], 4);
    ck_assert_uint_eq(s.engine_us[CM_STATS_OP_ENCRYPT], 4000 + 5000 + 5001 + 61000000);
    ck_assert(cm_stats_bucket_le[8] == 2.5);
    ck_assert_uint_eq(s.bucket[CM_STATS_OP_DECRYPT][8], 1);
    ck_assert_uint_eq(s.engine_count[CM_STATS_OP_DECRYPT], 1);
}
END_TEST

START_TEST(names)
{
    ck_assert_str_eq(cm_stats_enc_name(CM_STATS_ENC_SMIME), "smime");
    ck_assert_str_eq(cm_stats_dec_name(CM_STATS_DEC_PGPINLINE), "pgpinline");
    ck_assert_str_eq(cm_stats_skip_name(CM_STATS_SKIP_ENCRYPTED), "already-encrypted");
    ck_assert_str_eq(cm_stats_op_name(CM_STATS_OP_DECRYPT), "decrypt");
    ck_assert_str_eq(cm_stats_skip_name(CM_STATS_SKIP_N), "?");
}
END_TEST

START_TEST(keyring_stale_counted)
{
    cm_stats_snap s;

    cm_stats_read(&s);
    ck_assert_uint_eq(s.keyring_stale, 0);
    cm_stats_keyring_stale();
    cm_stats_keyring_stale();
    cm_stats_read(&s);
    ck_assert_uint_eq(s.keyring_stale, 2);
    ck_assert_uint_eq(cm_stats_sum_refused(&s, 1), 0);     /* not a message outcome */
}
END_TEST

/* Each KeyDiscovery answer under its own counter; none is a message
 * outcome, and a value out of range counts nothing. */
START_TEST(discovery_counted)
{
    cm_stats_snap s;

    cm_stats_discovery(CM_STATS_DISCOVERY_FOUND);
    cm_stats_discovery(CM_STATS_DISCOVERY_CACHED_MISS);
    cm_stats_discovery(CM_STATS_DISCOVERY_CACHED_MISS);
    cm_stats_discovery(CM_STATS_DISCOVERY_N);
    cm_stats_read(&s);
    ck_assert_uint_eq(s.discovery[CM_STATS_DISCOVERY_FOUND], 1);
    ck_assert_uint_eq(s.discovery[CM_STATS_DISCOVERY_MISS], 0);
    ck_assert_uint_eq(s.discovery[CM_STATS_DISCOVERY_CACHED_FOUND], 0);
    ck_assert_uint_eq(s.discovery[CM_STATS_DISCOVERY_CACHED_MISS], 2);
    ck_assert_uint_eq(cm_stats_sum_refused(&s, 1) + cm_stats_sum_skipped(&s)
                      + cm_stats_sum_encrypted(&s), 0);
}
END_TEST

static void add(Suite *s)
{
    CM_ADD(s, keyring_stale_counted);
    CM_ADD(s, discovery_counted);
    CM_ADD_LOOP(s, each_trace_counts_once_where_it_belongs, sizeof(traces) / sizeof(traces[0]));
    CM_ADD(s, refusals_by_reply);
    CM_ADD(s, gate_causes);
    CM_ADD(s, engine_times_in_buckets);
    CM_ADD(s, names);
}

CM_TEST_MAIN("cm_stats", add)
