/* cm_msg_int - what the message core's files share: the message state,
 * and the result helpers. Not for front ends. */
#ifndef CM_MSG_INT_H
#define CM_MSG_INT_H

#include "cm_msg.h"
#include "cm_detect.h"
#include "cm_engcall.h"

struct cm_msg {
    cm_msgctx ctx;              /* configuration and queue ID, for every layer */
    cm_engcall eng;             /* the engines, and their sessions from the first RCPT */
    cm_replay *replay;          /* the process's replay caches; NULL: outbound defers */
    const cm_engines *disc_engines; /* KeyDiscoveryDir's; NULL: eng's (cm_discover) */
    size_t nkeyed[CM_ENGINES_MAX];              /* recipients each engine has a key for */
    cm_direction dir;
    const char *dir_why;
    char *sender;
    cm_list rcpts;
    cm_rcpt_tally tally;    /* the recipients by what they need (nrcpt set at the end) */
    char *first_keyless;
    cm_key_class first_class;
    int strict_seen;        /* a recipient whose action is strict (cm_policy_strict) */
    int mixed;              /* recipients not all of first_class */
    int local;              /* outbound: -1 no recipient yet, 1 local ones, 0 external */
    int required;           /* outbound: an external recipient EncryptionPolicy requires */
    cm_hdrs hdrs;
    cm_spool *body;
    uint64_t size;          /* header and body bytes seen */
    int oversize;
    int keep_oversize;      /* store the body even when oversize */
    void (*progress)(void *);
    void *progress_arg;
    cm_output output;       /* body NULL: the result waits in cm_result */
    cm_stat sticky;         /* first internal error; the message fails with it */
};

/* The pipelines, one per direction: decide and, if need be, rewrite.
 * cm_msg_eom picks one by direction, as Postfix's cleanup picks its next
 * phase: the outbound pipeline may answer that the message goes on as
 * inbound mail (its recipients are local, or nothing of it is for the
 * gateway and they are), and never calls the inbound one itself. */
typedef enum cm_phase { CM_PHASE_DONE, CM_PHASE_INBOUND } cm_phase;
void cm_inbound_eom(cm_msg *m, cm_result *res);
cm_phase cm_outbound_eom(cm_msg *m, cm_result *res);

/* The steps both take (cm_steps.c). Encrypt the entity of ehdrs (its
 * Content-* fields) and ebody to the recipients' keys held in eng's
 * sessions, nkeyed counting the recipients each engine has keys for: the
 * message's own (m->eng, m->nkeyed) or the discovered keyring's
 * (cm_discover). The edits are for the message's own header. shown: the
 * header whose fields header protection carries inside (the message's
 * own, or, for decrypted mail encrypted again, the one its signature
 * covers). */
void cm_msg_encrypt(cm_msg *m, cm_engcall *eng, const size_t nkeyed[CM_ENGINES_MAX],
                    const cm_hdrs *ehdrs, const cm_hdrs *shown, cm_spool *ebody, cm_result *res);
/* Already-encrypted detection over the whole body; where (may be NULL)
 * says where the ciphertext lies. CM_OK or the status to refuse with. */
cm_stat cm_msg_detect(cm_msg *m, cm_enc_kind *kind, cm_detect_where *where);

/* Missing keys at the end of message (cm_inbound.c): cm_policy_outcome
 * over the transaction's recipients. */
cm_stat cm_msg_missing(cm_msg *m, int *encrypt, const char **trace);

/* The recipients' engine (cm_session.c); the calls to it are cm_engcall's.
 * The engine whose keys the recipients counted in nkeyed have (split keeps
 * it to one), or -1 if none has any; and the class of the transaction's
 * (m->nkeyed), CM_KEY_NONE if none. */
int cm_msg_engine(const size_t nkeyed[CM_ENGINES_MAX]);
cm_key_class cm_msg_keyed_class(const cm_msg *m);

/* Result building (cm_result.c). */
/* Deliver without encrypting, saying why in the trace field. */
void cm_result_pass(const cm_hdrs *h, cm_result *res, const char *trace);

#endif
