/* cm_stats - the process's counters: what became of each message, and how
 * long the engines took. Lock-free (atomics): every message's thread adds,
 * the writer (cm_statsfile) and SIGUSR1 read a copy. Counted where the
 * result line is logged (cm_msg_report, once the front end applied the
 * result), from the same values, so the log and
 * the counters cannot disagree.
 *
 * What a refusal is counted under is the stat and whether its setting
 * rejects (cm_policy_rejects): that pair is the reply (cm_stat_reply), so
 * its SMTP code, deferred (4xx) or refused (5xx), and gate cause follow
 * from it when read, never kept twice. */
#ifndef CM_STATS_H
#define CM_STATS_H

#include <stdint.h>

#include "cm_status.h"

/* Encrypted by format. */
typedef enum cm_stats_enc { CM_STATS_ENC_PGPMIME, CM_STATS_ENC_SMIME, CM_STATS_ENC_N } cm_stats_enc;
/* Decrypted (outbound, for a gateway key) by format. */
typedef enum cm_stats_dec {
    CM_STATS_DEC_PGPMIME, CM_STATS_DEC_PGPINLINE, CM_STATS_DEC_SMIME, CM_STATS_DEC_N
} cm_stats_dec;
/* Let through without encrypting, by reason. */
typedef enum cm_stats_skip {
    CM_STATS_SKIP_NOKEY,        /* MissingKeyAction pass, a recipient without a key */
    CM_STATS_SKIP_OVERSIZE,     /* OversizeAction pass */
    CM_STATS_SKIP_ENCRYPTED,    /* already encrypted */
    CM_STATS_SKIP_OUTBOUND,     /* outbound, nothing for the gateway in it */
    CM_STATS_SKIP_OUTBOUND_OVERSIZE,
    CM_STATS_SKIP_POLICY,       /* EncryptionPolicy never */
    CM_STATS_SKIP_OTHER,        /* a pass the table below does not name */
    CM_STATS_SKIP_N
} cm_stats_skip;
/* KeyDiscovery lookups (cm_discover), by answer: asked now or from the cache. */
typedef enum cm_stats_disc {
    CM_STATS_DISCOVERY_FOUND, CM_STATS_DISCOVERY_MISS,
    CM_STATS_DISCOVERY_CACHED_FOUND, CM_STATS_DISCOVERY_CACHED_MISS, CM_STATS_DISCOVERY_N
} cm_stats_disc;
/* Its label value, as the metrics text names it. */
extern const char *const cm_stats_discovery_name[CM_STATS_DISCOVERY_N];
/* Timed engine work. */
typedef enum cm_stats_op { CM_STATS_OP_ENCRYPT, CM_STATS_OP_DECRYPT, CM_STATS_OP_N } cm_stats_op;

/* The histogram's upper bounds, in seconds (then +Inf). */
#define CM_STATS_BUCKETS 12
extern const double cm_stats_bucket_le[CM_STATS_BUCKETS];

/* A copy of the counters at one moment (each read atomically; the set is
 * not one instant, which Prometheus counters do not need). */
typedef struct cm_stats_snap {
    uint64_t encrypted[CM_STATS_ENC_N];
    uint64_t decrypted[CM_STATS_DEC_N];
    uint64_t skipped[CM_STATS_SKIP_N];
    uint64_t refusals[CM_STAT_COUNT][2];    /* [stat][reject] */
    uint64_t bucket[CM_STATS_OP_N][CM_STATS_BUCKETS + 1];   /* not cumulative; last: +Inf */
    uint64_t engine_us[CM_STATS_OP_N];      /* sum of the times, microseconds */
    uint64_t engine_count[CM_STATS_OP_N];
    uint64_t keyring_reloads;               /* from cm_snapshot_keyring */
    int64_t keyring_loaded;                 /* last load, seconds since the epoch; 0: never */
    uint64_t keyring_stale;                 /* recipients deferred under KeyringMaxAge */
    uint64_t discovery[CM_STATS_DISCOVERY_N];   /* KeyDiscovery lookups by answer */
} cm_stats_snap;

/* One message's outcome: refuse, stat and trace of its cm_result, reject
 * as cm_policy_rejects says for stat. */
void cm_stats_outcome(int refuse, cm_stat st, int reject, const char *trace);
/* One recipient deferred at RCPT because keysync's copy of the key
 * directory is older than KeyringMaxAge (no message outcome follows it). */
void cm_stats_keyring_stale(void);
/* One KeyDiscovery lookup's answer, where the lookup decides it. */
void cm_stats_discovery(cm_stats_disc what);
/* One engine run of op that took us microseconds. */
void cm_stats_engine(cm_stats_op op, uint64_t us);
/* A monotonic clock in microseconds, for timing what cm_stats_engine takes. */
uint64_t cm_stats_clock_us(void);
void cm_stats_read(cm_stats_snap *s);

/* Sums, read from a copy. */
uint64_t cm_stats_sum_encrypted(const cm_stats_snap *s);
uint64_t cm_stats_sum_decrypted(const cm_stats_snap *s);
uint64_t cm_stats_sum_skipped(const cm_stats_snap *s);
/* Refusals whose reply is 4xx (temp = 1) or 5xx (temp = 0). */
uint64_t cm_stats_sum_refused(const cm_stats_snap *s, int temp);
/* Refusals by the outbound gate (a CM_GATE_* stat), and of them replays. */
uint64_t cm_stats_sum_gate(const cm_stats_snap *s);
uint64_t cm_stats_replay(const cm_stats_snap *s);
/* Whether st is one of the gate's refusals. */
int cm_stats_is_gate(cm_stat st);

/* Names for the labels. */
const char *cm_stats_enc_name(cm_stats_enc e);
const char *cm_stats_dec_name(cm_stats_dec d);
const char *cm_stats_skip_name(cm_stats_skip k);
const char *cm_stats_op_name(cm_stats_op op);

#endif
