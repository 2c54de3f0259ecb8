/* cm_status - one status enum; one table from status to SMTP reply and exit code. */
#ifndef CM_STATUS_H
#define CM_STATUS_H

#include <stddef.h>

typedef enum cm_stat {
    CM_OK = 0,
    CM_ERR_NOMEM,
    CM_ERR_SPOOL,
    CM_ERR_ENGINE,
    CM_ERR_KEYRING,
    CM_ERR_KEYRING_DAMAGED,
    CM_ERR_TIMEOUT,
    CM_ERR_KEYLOOKUP,
    CM_ERR_ENCRYPT,
    CM_ERR_INTERNAL,
    CM_ERR_CONFIG,
    CM_NOKEY,                   /* MissingKeyAction tempfail or reject picks the reply */
    CM_TOOBIG,                  /* OversizeAction tempfail or reject picks the reply */
    CM_HEADER_LIMIT,
    CM_BAD_INPUT,
    CM_SPLIT_CLASS,
    CM_SPLIT_LOCAL,
    CM_ERR_GATEWAY_KEY,
    CM_ERR_REPLAY,
    CM_REPLAY_FULL,
    CM_DECRYPT_FAILED,
    CM_ERR_ENGINE_MIDSTREAM,
    CM_GATE_UNSIGNED,
    CM_GATE_BADSIG,
    CM_GATE_UNKNOWN_SIGNER,
    CM_GATE_WRONG_SIGNER,
    CM_GATE_FROM,
    CM_GATE_STALE,
    CM_GATE_FUTURE,
    CM_GATE_REPLAY,
    CM_ERR_CERTS,
    CM_GATE_UNCOVERED,
    CM_DECRYPT_TOOBIG,
    CM_GATE_ORIGINATOR,
    CM_ERR_CRL,
    CM_NOKEY_POLICY,            /* EncryptionPolicy: no key, tempfail (a recipient) */
    CM_NOKEY_POLICY_REJECT,     /* EncryptionPolicy: no key, reject */
    CM_KEYRING_STALE,           /* KeyringMaxAge: the synchronised keyring is too old */
    CM_ARCHIVE_KEY,             /* EncryptToSelf: an archive key cannot be used now */
    CM_STAT_COUNT
} cm_stat;

typedef enum cm_stat_class {
    CM_CLASS_OK,        /* no refusal */
    CM_CLASS_INTERNAL,  /* our failure: subject to OnError */
    CM_CLASS_TEMP,      /* a policy deferral (4xx), not an error */
    CM_CLASS_PERM,      /* a permanent refusal (5xx) */
    CM_CLASS_ACTION     /* a refusal whose own setting picks 4xx or 5xx */
} cm_stat_class;

typedef struct cm_stat_info {
    cm_stat stat;
    const char *name;       /* short token for the log */
    cm_stat_class cls;
    const char *rcode;      /* SMTP reply code, e.g. "451" */
    const char *xcode;      /* enhanced status code, e.g. "4.3.0" */
    const char *text;       /* human-actionable reason */
    int sysexit;            /* exit code for cryptmilter-filter */
} cm_stat_info;

const cm_stat_info *cm_stat_lookup(cm_stat stat);

/* The status of a failed spool or I/O step, from its errno: ENOMEM is
 * CM_ERR_NOMEM, anything else CM_ERR_SPOOL (both 4xx: ours, never the
 * message's). */
cm_stat cm_stat_of_errno(int e);

/* An SMTP reply for stat. reject: the setting that governs stat says
 * reject (cm_policy_rejects picks it): OnError turns an internal error into
 * a permanent refusal, MissingKeyAction and OversizeAction answer
 * CM_CLASS_ACTION; a policy refusal of fixed class ignores it. detail, if
 * non-NULL, is appended after
 * ": ". Unprintable bytes in detail become '?'. The result is a complete
 * reply without CRLF: e.g. {"451", "4.3.0", "text: detail"}. */
typedef struct cm_reply {
    char rcode[4];
    char xcode[16];
    char text[512];
    int sysexit;
} cm_reply;

void cm_stat_reply(cm_stat stat, int reject, const char *detail,
                   cm_reply *out);

#endif
