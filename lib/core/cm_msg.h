/* cm_msg - one message through the core. The calls mirror the milter
 * events: recipients, header fields, body chunks, end of message. */
#ifndef CM_MSG_H
#define CM_MSG_H

#include <stddef.h>

#include "cm_config.h"
#include "cm_engines.h"
#include "cm_edit.h"
#include "cm_policy.h"
#include "cm_replay.h"
#include "cm_spool.h"
#include "cm_status.h"

typedef struct cm_msg cm_msg;

typedef struct cm_result {
    int refuse;         /* 1: answer stat's reply; 0: apply edits (and body) */
    cm_stat stat;
    char *detail;       /* for the reply, e.g. the recipient without a key */
    const char *trace;  /* what was done, for the log */
    cm_edits edits;
    cm_spool *body;     /* the new body (CRLF), or NULL if unchanged */
} cm_result;

void cm_result_free(cm_result *r);
/* Refuse with st's reply (detail appended); drops any edits or body. */
void cm_result_refuse(cm_result *res, cm_stat st, const char *detail);

/* qid: the MTA's queue ID for the log (may be NULL). cfg and engines
 * outlive msg. */
cm_msg *cm_msg_new(const cm_config *cfg, const cm_engines *engines, const char *qid);
void cm_msg_free(cm_msg *m);
/* The replay caches the outbound gate records into (the runtime's; it
 * outlives msg). Without them a message for the gateway is deferred. */
void cm_msg_set_replay(cm_msg *m, cm_replay *r);
/* Engines of their own for KeyDiscoveryDir (the runtime's; they outlive
 * msg), so that reading the discovered keyring does not displace the
 * KeyringDir snapshot the message's engines keep. Unset: those engines. */
void cm_msg_set_discovery_engines(cm_msg *m, const cm_engines *e);
void cm_msg_set_direction(cm_msg *m, cm_direction d, const char *why);
void cm_msg_set_queue_id(cm_msg *m, const char *qid);
/* Keep storing the body past MaxMessageSize, for a front end that writes
 * the message out itself (OversizeAction pass means the whole message). */
void cm_msg_keep_oversize(cm_msg *m);
/* fn(arg) runs at most once a second while the message is encrypted (the
 * milter calls smfi_progress, so the MTA's timeout does not fire first). */
void cm_msg_set_progress(cm_msg *m, void (*fn)(void *), void *arg);
/* Where an encrypted message goes as it is made (the milter hands it to
 * the MTA at end of message), instead of waiting in cm_result: the header
 * edits first, all at once, then the new body (CRLF) piece by piece. Each
 * returns 0, or -1 if it could not be handed on (the message is then
 * refused). Of the engine's output only checked ciphertext ever reaches
 * body (cm_pgpmime.h, cm_smime.h), but a message may still be refused
 * after body took pieces of it (the engine's output ends short, say): the
 * front end must make sure that refusal discards all it was given, as a
 * 4xx at end of message makes Postfix and Sendmail do. The result then
 * carries no edits and no body. */
typedef struct cm_output {
    int (*edits)(void *arg, const cm_edits *e);
    int (*body)(void *arg, const void *p, size_t n);
    void *arg;
} cm_output;

void cm_msg_set_output(cm_msg *m, const cm_output *out);
/* An error in the front end, answered (as stat's reply) at end of message. */
void cm_msg_fail(cm_msg *m, cm_stat st);
cm_stat cm_msg_sender(cm_msg *m, const char *envfrom);
/* Add a recipient. Inbound, its key is looked up now: CM_OK (accepted),
 * CM_SPLIT_CLASS (MissingKeyAction split and its class differs from the
 * first recipient's: not added), or an internal error. */
cm_stat cm_msg_rcpt(cm_msg *m, const char *envrcpt);
/* value: everything after the colon as received. */
cm_stat cm_msg_header(cm_msg *m, const char *name, const char *value, size_t vlen);
cm_stat cm_msg_body(cm_msg *m, const void *p, size_t n);
/* Decide and, if need be, rewrite. Always fills res. */
void cm_msg_eom(cm_msg *m, cm_result *res);
/* The message's result line and its counters, from res as the front end
 * answered it: called once the rewrite was applied (or res turned into a
 * refusal, cm_result_refuse, because it could not be), so that the log and
 * the counters say what the MTA was told. */
void cm_msg_report(const cm_msg *m, const cm_result *res);
/* The header list as received (for front ends that rebuild the message). */
const cm_hdrs *cm_msg_headers(const cm_msg *m);
cm_spool *cm_msg_body_spool(cm_msg *m);

#endif
