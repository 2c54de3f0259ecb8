/* cm_stats - the process's counters (lock-free). */
#include "cm_stats.h"
#include "cm_snapshot.h"

#include <stdatomic.h>
#include <string.h>
#include <time.h>

const double cm_stats_bucket_le[CM_STATS_BUCKETS] = {
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 60
};

static struct {
    atomic_uint_fast64_t encrypted[CM_STATS_ENC_N];
    atomic_uint_fast64_t decrypted[CM_STATS_DEC_N];
    atomic_uint_fast64_t skipped[CM_STATS_SKIP_N];
    atomic_uint_fast64_t refusals[CM_STAT_COUNT][2];
    atomic_uint_fast64_t bucket[CM_STATS_OP_N][CM_STATS_BUCKETS + 1];
    atomic_uint_fast64_t engine_us[CM_STATS_OP_N];
    atomic_uint_fast64_t engine_count[CM_STATS_OP_N];
    atomic_uint_fast64_t keyring_stale;
    atomic_uint_fast64_t discovery[CM_STATS_DISCOVERY_N];
} counters;     /* static storage: all zero, a valid state for atomics */

/* The traces of a message let through (cm_msg_report logs them), and what
 * each counts as. */
static const struct {
    const char *trace;
    int kind;           /* 'e' encrypted, 'd' decrypted, 's' skipped */
    int which;
} traces[] = {
    {"encrypted pgp-mime", 'e', CM_STATS_ENC_PGPMIME},
    {"encrypted smime", 'e', CM_STATS_ENC_SMIME},
    {"decrypted pgp-mime", 'd', CM_STATS_DEC_PGPMIME},
    {"decrypted pgp-inline", 'd', CM_STATS_DEC_PGPINLINE},
    {"decrypted smime", 'd', CM_STATS_DEC_SMIME},
    {"skipped no-key", 's', CM_STATS_SKIP_NOKEY},
    {"skipped oversize", 's', CM_STATS_SKIP_OVERSIZE},
    {"skipped already-encrypted", 's', CM_STATS_SKIP_ENCRYPTED},
    {"outbound passed", 's', CM_STATS_SKIP_OUTBOUND},
    {"outbound passed oversize", 's', CM_STATS_SKIP_OUTBOUND_OVERSIZE},
    {"skipped policy", 's', CM_STATS_SKIP_POLICY},
};

static void add(atomic_uint_fast64_t *c, uint64_t n)
{
    atomic_fetch_add_explicit(c, n, memory_order_relaxed);
}

static uint64_t get(atomic_uint_fast64_t *c)
{
    return atomic_load_explicit(c, memory_order_relaxed);
}

void cm_stats_outcome(int refuse, cm_stat st, int reject, const char *trace)
{
    size_t i;

    if (refuse) {
        add(&counters.refusals[(unsigned) st < CM_STAT_COUNT ? st : CM_ERR_INTERNAL][reject != 0], 1);
        return;
    }
    for (i = 0; trace != NULL && i < sizeof(traces) / sizeof(traces[0]); i++) {
        if (strcmp(trace, traces[i].trace) != 0)
            continue;
        if (traces[i].kind == 'e')
            add(&counters.encrypted[traces[i].which], 1);
        else if (traces[i].kind == 'd')
            add(&counters.decrypted[traces[i].which], 1);
        else
            add(&counters.skipped[traces[i].which], 1);
        return;
    }
    add(&counters.skipped[CM_STATS_SKIP_OTHER], 1);
}

void cm_stats_keyring_stale(void)
{
    add(&counters.keyring_stale, 1);
}

const char *const cm_stats_discovery_name[CM_STATS_DISCOVERY_N] = {
    "found", "not_found", "cached_found", "cached_not_found"
};

void cm_stats_discovery(cm_stats_disc what)
{
    if ((unsigned) what < CM_STATS_DISCOVERY_N)
        add(&counters.discovery[what], 1);
}

void cm_stats_engine(cm_stats_op op, uint64_t us)
{
    size_t b = 0;

    if ((unsigned) op >= CM_STATS_OP_N)
        return;
    while (b < CM_STATS_BUCKETS && (double) us > cm_stats_bucket_le[b] * 1e6)
        b++;
    add(&counters.bucket[op][b], 1);
    add(&counters.engine_us[op], us);
    add(&counters.engine_count[op], 1);
}

uint64_t cm_stats_clock_us(void)
{
    struct timespec ts;

    if (clock_gettime(CLOCK_MONOTONIC, &ts) < 0)
        return 0;
    return (uint64_t) ts.tv_sec * 1000000u + (uint64_t) ts.tv_nsec / 1000u;
}

void cm_stats_read(cm_stats_snap *s)
{
    size_t i, j;

    memset(s, 0, sizeof(*s));
    for (i = 0; i < CM_STATS_ENC_N; i++)
        s->encrypted[i] = get(&counters.encrypted[i]);
    for (i = 0; i < CM_STATS_DEC_N; i++)
        s->decrypted[i] = get(&counters.decrypted[i]);
    for (i = 0; i < CM_STATS_SKIP_N; i++)
        s->skipped[i] = get(&counters.skipped[i]);
    for (i = 0; i < CM_STAT_COUNT; i++)
        for (j = 0; j < 2; j++)
            s->refusals[i][j] = get(&counters.refusals[i][j]);
    for (i = 0; i < CM_STATS_OP_N; i++) {
        for (j = 0; j <= CM_STATS_BUCKETS; j++)
            s->bucket[i][j] = get(&counters.bucket[i][j]);
        s->engine_us[i] = get(&counters.engine_us[i]);
        s->engine_count[i] = get(&counters.engine_count[i]);
    }
    s->keyring_stale = get(&counters.keyring_stale);
    for (i = 0; i < CM_STATS_DISCOVERY_N; i++)
        s->discovery[i] = get(&counters.discovery[i]);
    cm_snapshot_keyring(&s->keyring_reloads, &s->keyring_loaded);
}

static uint64_t sum(const uint64_t *v, size_t n)
{
    uint64_t t = 0;

    while (n-- > 0)
        t += v[n];
    return t;
}

uint64_t cm_stats_sum_encrypted(const cm_stats_snap *s)
{
    return sum(s->encrypted, CM_STATS_ENC_N);
}

uint64_t cm_stats_sum_decrypted(const cm_stats_snap *s)
{
    return sum(s->decrypted, CM_STATS_DEC_N);
}

uint64_t cm_stats_sum_skipped(const cm_stats_snap *s)
{
    return sum(s->skipped, CM_STATS_SKIP_N);
}

uint64_t cm_stats_sum_refused(const cm_stats_snap *s, int temp)
{
    uint64_t t = 0;
    cm_reply r;
    size_t i, j;

    for (i = 0; i < CM_STAT_COUNT; i++)
        for (j = 0; j < 2; j++)
            if (s->refusals[i][j] != 0) {
                cm_stat_reply((cm_stat) i, (int) j, NULL, &r);
                if ((r.rcode[0] == '4') == (temp != 0))
                    t += s->refusals[i][j];
            }
    return t;
}

int cm_stats_is_gate(cm_stat st)
{
    switch (st) {
    case CM_GATE_UNSIGNED: case CM_GATE_BADSIG: case CM_GATE_UNKNOWN_SIGNER:
    case CM_GATE_WRONG_SIGNER: case CM_GATE_FROM: case CM_GATE_STALE: case CM_GATE_FUTURE:
    case CM_GATE_REPLAY: case CM_GATE_UNCOVERED: case CM_GATE_ORIGINATOR:
        return 1;
    default:
        return 0;
    }
}

uint64_t cm_stats_sum_gate(const cm_stats_snap *s)
{
    uint64_t t = 0;
    size_t i;

    for (i = 0; i < CM_STAT_COUNT; i++)
        if (cm_stats_is_gate((cm_stat) i))
            t += s->refusals[i][0] + s->refusals[i][1];
    return t;
}

uint64_t cm_stats_replay(const cm_stats_snap *s)
{
    return s->refusals[CM_GATE_REPLAY][0] + s->refusals[CM_GATE_REPLAY][1];
}

const char *cm_stats_enc_name(cm_stats_enc e)
{
    static const char *const n[CM_STATS_ENC_N] = {"pgpmime", "smime"};

    return (unsigned) e < CM_STATS_ENC_N ? n[e] : "?";
}

const char *cm_stats_dec_name(cm_stats_dec d)
{
    static const char *const n[CM_STATS_DEC_N] = {"pgpmime", "pgpinline", "smime"};

    return (unsigned) d < CM_STATS_DEC_N ? n[d] : "?";
}

const char *cm_stats_skip_name(cm_stats_skip k)
{
    static const char *const n[CM_STATS_SKIP_N] = {
        "no-key", "oversize", "already-encrypted", "outbound", "outbound-oversize", "policy",
        "other"
    };

    return (unsigned) k < CM_STATS_SKIP_N ? n[k] : "?";
}

const char *cm_stats_op_name(cm_stats_op op)
{
    static const char *const n[CM_STATS_OP_N] = {"encrypt", "decrypt"};

    return (unsigned) op < CM_STATS_OP_N ? n[op] : "?";
}
