/* cm_msg_int - what the message core's files share: the message state,
 * and the result helpers. Not for front ends. */
#ifndef CM_MSG_INT_H
#define CM_MSG_INT_H

#include "cm_msg.h"
#include "cm_detect.h"

struct cm_msg {
    cm_msgctx ctx;              /* configuration and queue ID, for every layer */
    const cm_engines *engines;
    cm_engine_session *sess[CM_ENGINES_MAX];    /* per engine, from the first RCPT */
    size_t nkeyed[CM_ENGINES_MAX];              /* recipients each engine has a key for */
    cm_direction dir;
    const char *dir_why;
    char *sender;
    cm_list rcpts;
    size_t nkeyless;
    char *first_keyless;
    cm_key_class first_class;
    int local;              /* outbound: -1 no recipient yet, 1 local ones, 0 external */
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

/* The pipelines, one per direction: decide and, if need be, rewrite. */
void cm_inbound_eom(cm_msg *m, cm_result *res);
void cm_outbound_eom(cm_msg *m, cm_result *res);

/* Encrypt the entity of ehdrs (its Content-* fields) and ebody to the
 * recipients' keys; the edits are for the message's own header. */
void cm_msg_encrypt(cm_msg *m, const cm_hdrs *ehdrs, cm_spool *ebody, cm_result *res);
/* Already-encrypted detection over the whole body; where (may be NULL)
 * says where the ciphertext lies. CM_OK or the status to refuse with. */
cm_stat cm_msg_detect(cm_msg *m, cm_enc_kind *kind, cm_detect_where *where);
/* Engine e's session for this message, made on first use. */
cm_stat cm_msg_session(cm_msg *m, size_t e, cm_engine_session **s);

/* The engine whose keys the transaction's recipients have (split keeps it
 * to one), or -1 if none has any. */
int cm_msg_engine(const cm_msg *m);

/* Result building (cm_result.c). */
/* Refuse with st's reply (detail appended); drops any edits or body. */
void cm_result_refuse(cm_result *res, cm_stat st, const char *detail);
/* Deliver without encrypting, saying why in the trace field. */
void cm_result_pass(const cm_hdrs *h, cm_result *res, const char *trace);

#endif
