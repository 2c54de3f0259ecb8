#include "cm_statstext.h"
#include "cm_test.h"

#include <string.h>

static void has(const char *text, const char *line)
{
    char want[512];

    snprintf(want, sizeof(want), "\n%s\n", line);
    ck_assert_msg(strstr(text, want) != NULL, "no line \"%s\" in:\n%s", line, text);
}

static void lacks(const char *text, const char *part)
{
    ck_assert_msg(strstr(text, part) == NULL, "\"%s\" in:\n%s", part, text);
}

static char *prom(const cm_stats_snap *s, int64_t now, cm_buf *b)
{
    cm_buf_init(b);
    ck_assert_int_eq(cm_statstext_prom(s, now, b), 0);
    return (char *) b->data;
}

/* Every line a HELP, a TYPE or a sample of the cryptmilter_ prefix; the
 * text ends with a newline; every family has HELP then TYPE. */
static void well_formed(const char *text)
{
    const char *p = text, *nl;

    ck_assert(text[strlen(text) - 1] == '\n');
    for (; *p; p = nl + 1) {
        nl = strchr(p, '\n');
        ck_assert_ptr_nonnull(nl);
        if (strncmp(p, "# HELP cryptmilter_", 19) == 0) {
            const char *t = nl + 1;
            size_t n = strcspn(p + 7, " ");

            ck_assert_msg(strncmp(t, "# TYPE ", 7) == 0 && strncmp(t + 7, p + 7, n) == 0,
                          "HELP without its TYPE at %.60s", p);
            continue;
        }
        if (strncmp(p, "# TYPE cryptmilter_", 19) == 0)
            continue;
        ck_assert_msg(strncmp(p, "cryptmilter_", 12) == 0 && nl[-1] >= '0' && nl[-1] <= '9'
                      && memchr(p, ' ', (size_t) (nl - p)) != NULL, "bad line %.80s", p);
    }
}

START_TEST(zero_counters)
{
    cm_stats_snap s;
    cm_buf b;
    char *t;

    memset(&s, 0, sizeof(s));
    t = prom(&s, 1000, &b);
    well_formed(t);
    ck_assert(strncmp(t, "# HELP cryptmilter_encrypted_total ", 35) == 0);
    has(t, "# TYPE cryptmilter_encrypted_total counter");
    has(t, "cryptmilter_encrypted_total{format=\"pgpmime\"} 0");
    has(t, "cryptmilter_skipped_total{reason=\"no-key\"} 0");
    has(t, "cryptmilter_gate_refusals_total{cause=\"replay\"} 0");
    has(t, "cryptmilter_replay_hits_total 0");
    has(t, "# TYPE cryptmilter_engine_seconds histogram");
    has(t, "cryptmilter_engine_seconds_bucket{op=\"decrypt\",le=\"+Inf\"} 0");
    has(t, "cryptmilter_engine_seconds_sum{op=\"decrypt\"} 0.000000");
    has(t, "cryptmilter_keyring_reloads_total 0");
    /* Nothing refused: no series; never loaded: no age. */
    lacks(t, "cryptmilter_deferred_total{");
    lacks(t, "cryptmilter_refused_total{");
    lacks(t, "keyring_age_seconds");
    cm_buf_free(&b);
}
END_TEST

START_TEST(counts_and_labels)
{
    cm_stats_snap s;
    cm_buf b;
    char *t;

    memset(&s, 0, sizeof(s));
    s.encrypted[CM_STATS_ENC_SMIME] = 7;
    s.decrypted[CM_STATS_DEC_PGPINLINE] = 2;
    s.skipped[CM_STATS_SKIP_OUTBOUND] = 5;
    s.refusals[CM_TOOBIG][0] = 3;           /* 452 */
    s.refusals[CM_TOOBIG][1] = 1;           /* 552 */
    s.refusals[CM_GATE_REPLAY][0] = 4;      /* 550 both ways: one series */
    s.refusals[CM_GATE_REPLAY][1] = 2;
    s.refusals[CM_ERR_TIMEOUT][0] = 1;
    s.keyring_reloads = 2;
    s.keyring_loaded = 1000;
    s.keyring_stale = 5;
    s.discovery[CM_STATS_DISCOVERY_CACHED_MISS] = 9;
    t = prom(&s, 1042, &b);
    well_formed(t);
    has(t, "cryptmilter_encrypted_total{format=\"smime\"} 7");
    has(t, "cryptmilter_decrypted_total{format=\"pgpinline\"} 2");
    has(t, "cryptmilter_skipped_total{reason=\"outbound\"} 5");
    has(t, "cryptmilter_deferred_total{code=\"452\",reason=\"oversize\"} 3");
    has(t, "cryptmilter_refused_total{code=\"552\",reason=\"oversize\"} 1");
    has(t, "cryptmilter_refused_total{code=\"550\",reason=\"replay\"} 6");
    has(t, "cryptmilter_gate_refusals_total{cause=\"replay\"} 6");
    has(t, "cryptmilter_replay_hits_total 6");
    has(t, "cryptmilter_keyring_reloads_total 2");
    has(t, "cryptmilter_keyring_stale_deferrals_total 5");
    has(t, "cryptmilter_key_discovery_total{answer=\"cached_not_found\"} 9");
    has(t, "cryptmilter_key_discovery_total{answer=\"found\"} 0");
    has(t, "cryptmilter_keyring_loaded_timestamp_seconds 1000");
    has(t, "cryptmilter_keyring_age_seconds 42");
    lacks(t, "cryptmilter_deferred_total{code=\"550\"");
    lacks(t, "cryptmilter_refused_total{code=\"452\"");
    cm_buf_free(&b);
}
END_TEST

START_TEST(histogram_cumulative)
{
    cm_stats_snap s;
    cm_buf b;
    char *t;

    memset(&s, 0, sizeof(s));
    s.bucket[CM_STATS_OP_ENCRYPT][0] = 2;
    s.bucket[CM_STATS_OP_ENCRYPT][4] = 1;
    s.bucket[CM_STATS_OP_ENCRYPT][CM_STATS_BUCKETS] = 1;
    s.engine_count[CM_STATS_OP_ENCRYPT] = 4;
    s.engine_us[CM_STATS_OP_ENCRYPT] = 61234567;
    t = prom(&s, 0, &b);
    well_formed(t);
    has(t, "cryptmilter_engine_seconds_bucket{op=\"encrypt\",le=\"0.005\"} 2");
    has(t, "cryptmilter_engine_seconds_bucket{op=\"encrypt\",le=\"0.05\"} 2");
    has(t, "cryptmilter_engine_seconds_bucket{op=\"encrypt\",le=\"0.1\"} 3");
    has(t, "cryptmilter_engine_seconds_bucket{op=\"encrypt\",le=\"60\"} 3");
    has(t, "cryptmilter_engine_seconds_bucket{op=\"encrypt\",le=\"+Inf\"} 4");
    has(t, "cryptmilter_engine_seconds_sum{op=\"encrypt\"} 61.234567");
    has(t, "cryptmilter_engine_seconds_count{op=\"encrypt\"} 4");
    cm_buf_free(&b);
}
END_TEST

START_TEST(summary_line)
{
    cm_stats_snap s;
    char line[512], small[24];

    memset(&s, 0, sizeof(s));
    cm_statstext_summary(&s, 5, line, sizeof(line));
    ck_assert_str_eq(line, "stats: encrypted=0 (pgpmime=0, smime=0) skipped=0 deferred=0 refused=0"
                     " decrypted=0 gate=0 replay=0 reloads=0 keyring_age=-");
    s.encrypted[CM_STATS_ENC_PGPMIME] = 4;
    s.encrypted[CM_STATS_ENC_SMIME] = 1;
    s.skipped[CM_STATS_SKIP_NOKEY] = 2;
    s.skipped[CM_STATS_SKIP_OUTBOUND] = 1;
    s.refusals[CM_NOKEY][0] = 1;            /* 451 */
    s.refusals[CM_NOKEY][1] = 2;            /* 554 */
    s.refusals[CM_GATE_UNSIGNED][1] = 1;
    s.refusals[CM_GATE_REPLAY][0] = 1;
    s.decrypted[CM_STATS_DEC_SMIME] = 3;
    s.keyring_reloads = 1;
    s.keyring_loaded = 100;
    cm_statstext_summary(&s, 130, line, sizeof(line));
    ck_assert_str_eq(line, "stats: encrypted=5 (pgpmime=4, smime=1) skipped=3 deferred=1 refused=4"
                     " decrypted=3 gate=2 replay=1 reloads=1 keyring_age=30s");
    cm_statstext_summary(&s, 130, small, sizeof(small));
    ck_assert_uint_eq(strlen(small), sizeof(small) - 1);
}
END_TEST

static void add(Suite *s)
{
    CM_ADD(s, zero_counters);
    CM_ADD(s, counts_and_labels);
    CM_ADD(s, histogram_cumulative);
    CM_ADD(s, summary_line);
}

CM_TEST_MAIN("cm_statstext", add)
