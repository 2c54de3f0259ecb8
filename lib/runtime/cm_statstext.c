/* cm_statstext - the counters as Prometheus text and as a log line. */
#include "cm_statstext.h"
#include "cm_status.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static int head(cm_buf *out, const char *name, const char *type, const char *help)
{
    return cm_buf_printf(out, "# HELP cryptmilter_%s %s\n# TYPE cryptmilter_%s %s\n",
                         name, help, name, type);
}

/* One series: name{label="value"} n, or name n when label is NULL. */
static int series(cm_buf *out, const char *name, const char *label, const char *value, uint64_t n)
{
    if (label == NULL)
        return cm_buf_printf(out, "cryptmilter_%s %" PRIu64 "\n", name, n);
    return cm_buf_printf(out, "cryptmilter_%s{%s=\"%s\"} %" PRIu64 "\n", name, label, value, n);
}

/* The refusals answered 4xx (temp) or 5xx, one series per reply code and
 * reason (the stat's log name); only those that happened. */
static int refusals(const cm_stats_snap *s, int temp, cm_buf *out)
{
    const char *name = temp ? "deferred_total" : "refused_total";
    int rc = head(out, name, "counter", temp ? "Messages deferred (4xx), by reply code and reason."
                                             : "Messages refused (5xx), by reply code and reason.");
    size_t i, j;

    for (i = 0; i < CM_STAT_COUNT; i++) {
        cm_reply r[2];
        int same;

        cm_stat_reply((cm_stat) i, 0, NULL, &r[0]);
        cm_stat_reply((cm_stat) i, 1, NULL, &r[1]);
        same = strcmp(r[0].rcode, r[1].rcode) == 0;
        for (j = 0; j < (same ? 1u : 2u); j++) {
            /* Both settings give one reply: one series for the two. */
            uint64_t n = same ? s->refusals[i][0] + s->refusals[i][1] : s->refusals[i][j];

            if (n == 0 || (r[j].rcode[0] == '4') != (temp != 0))
                continue;
            rc |= cm_buf_printf(out, "cryptmilter_%s{code=\"%s\",reason=\"%s\"} %" PRIu64 "\n",
                                name, r[j].rcode, cm_stat_lookup((cm_stat) i)->name, n);
        }
    }
    return rc;
}

static int histogram(const cm_stats_snap *s, cm_buf *out)
{
    int rc = head(out, "engine_seconds", "histogram",
                  "Time the engines took per message, by operation.");
    size_t op, b;

    for (op = 0; op < CM_STATS_OP_N; op++) {
        const char *name = cm_stats_op_name((cm_stats_op) op);
        uint64_t cum = 0;

        for (b = 0; b <= CM_STATS_BUCKETS; b++) {
            cum += s->bucket[op][b];
            if (b < CM_STATS_BUCKETS)
                rc |= cm_buf_printf(out, "cryptmilter_engine_seconds_bucket{op=\"%s\",le=\"%g\"} %"
                                    PRIu64 "\n", name, cm_stats_bucket_le[b], cum);
            else
                rc |= cm_buf_printf(out, "cryptmilter_engine_seconds_bucket{op=\"%s\",le=\"+Inf\"} %"
                                    PRIu64 "\n", name, cum);
        }
        rc |= cm_buf_printf(out, "cryptmilter_engine_seconds_sum{op=\"%s\"} %" PRIu64 ".%06" PRIu64
                            "\n", name, s->engine_us[op] / 1000000u, s->engine_us[op] % 1000000u);
        rc |= cm_buf_printf(out, "cryptmilter_engine_seconds_count{op=\"%s\"} %" PRIu64 "\n", name,
                            s->engine_count[op]);
    }
    return rc;
}

static int keyring(const cm_stats_snap *s, int64_t now, cm_buf *out)
{
    size_t i;
    int rc = head(out, "keyring_reloads_total", "counter",
                  "Times the keyring was read again because it changed.");

    rc |= series(out, "keyring_reloads_total", NULL, NULL, s->keyring_reloads);
    rc |= head(out, "keyring_stale_deferrals_total", "counter",
               "Recipients deferred because the synchronised keyring is older than KeyringMaxAge.");
    rc |= series(out, "keyring_stale_deferrals_total", NULL, NULL, s->keyring_stale);
    rc |= head(out, "key_discovery_total", "counter",
               "KeyDiscovery lookups by answer, asked of the directory or from the cache.");
    for (i = 0; i < CM_STATS_DISCOVERY_N; i++)
        rc |= series(out, "key_discovery_total", "answer", cm_stats_discovery_name[i],
                     s->discovery[i]);
    if (s->keyring_loaded == 0)
        return rc;      /* not loaded yet: no age to give */
    rc |= head(out, "keyring_loaded_timestamp_seconds", "gauge",
               "When the keyring in use was loaded (seconds since the epoch).");
    rc |= cm_buf_printf(out, "cryptmilter_keyring_loaded_timestamp_seconds %" PRId64 "\n",
                        s->keyring_loaded);
    rc |= head(out, "keyring_age_seconds", "gauge", "Seconds since the keyring in use was loaded.");
    rc |= cm_buf_printf(out, "cryptmilter_keyring_age_seconds %" PRId64 "\n",
                        now > s->keyring_loaded ? now - s->keyring_loaded : 0);
    return rc;
}

int cm_statstext_prom(const cm_stats_snap *s, int64_t now, cm_buf *out)
{
    int rc = head(out, "encrypted_total", "counter", "Messages encrypted, by format.");
    size_t i;

    for (i = 0; i < CM_STATS_ENC_N; i++)
        rc |= series(out, "encrypted_total", "format", cm_stats_enc_name((cm_stats_enc) i),
                     s->encrypted[i]);
    rc |= head(out, "decrypted_total", "counter", "Outbound messages decrypted, by format.");
    for (i = 0; i < CM_STATS_DEC_N; i++)
        rc |= series(out, "decrypted_total", "format", cm_stats_dec_name((cm_stats_dec) i),
                     s->decrypted[i]);
    rc |= head(out, "skipped_total", "counter", "Messages let through unencrypted, by reason.");
    for (i = 0; i < CM_STATS_SKIP_N; i++)
        rc |= series(out, "skipped_total", "reason", cm_stats_skip_name((cm_stats_skip) i),
                     s->skipped[i]);
    rc |= refusals(s, 1, out);
    rc |= refusals(s, 0, out);
    rc |= head(out, "gate_refusals_total", "counter",
               "Outbound messages the gate refused, by cause.");
    for (i = 0; i < CM_STAT_COUNT; i++)
        if (cm_stats_is_gate((cm_stat) i))
            rc |= series(out, "gate_refusals_total", "cause", cm_stat_lookup((cm_stat) i)->name,
                         s->refusals[i][0] + s->refusals[i][1]);
    rc |= head(out, "replay_hits_total", "counter",
               "Outbound messages refused as replays of a signature already let out.");
    rc |= series(out, "replay_hits_total", NULL, NULL, cm_stats_replay(s));
    rc |= histogram(s, out);
    rc |= keyring(s, now, out);
    return rc < 0 ? -1 : 0;
}

void cm_statstext_summary(const cm_stats_snap *s, int64_t now, char *buf, size_t len)
{
    char age[32] = "-";

    if (len == 0)
        return;
    if (s->keyring_loaded != 0)
        (void) snprintf(age, sizeof(age), "%" PRId64 "s",
                        now > s->keyring_loaded ? now - s->keyring_loaded : 0);
    (void) snprintf(buf, len, "stats: encrypted=%" PRIu64 " (pgpmime=%" PRIu64 ", smime=%" PRIu64
                    ") skipped=%" PRIu64 " deferred=%" PRIu64 " refused=%" PRIu64 " decrypted=%"
                    PRIu64 " gate=%" PRIu64 " replay=%" PRIu64 " reloads=%" PRIu64 " keyring_age=%s",
                    cm_stats_sum_encrypted(s), s->encrypted[CM_STATS_ENC_PGPMIME],
                    s->encrypted[CM_STATS_ENC_SMIME], cm_stats_sum_skipped(s),
                    cm_stats_sum_refused(s, 1), cm_stats_sum_refused(s, 0), cm_stats_sum_decrypted(s),
                    cm_stats_sum_gate(s), cm_stats_replay(s), s->keyring_reloads, age);
}
