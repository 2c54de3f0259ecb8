/* cm_policy - the direction of a message (SPEC §2). */
#ifndef CM_POLICY_H
#define CM_POLICY_H

#include "cm_config.h"
#include "cm_engine.h"
#include "cm_status.h"

#include <stddef.h>

typedef enum cm_direction { CM_DIR_INBOUND, CM_DIR_OUTBOUND } cm_direction;

typedef struct cm_conn_facts {
    const char *auth_authen;    /* {auth_authen}, NULL or "" if none */
    const char *client_addr;    /* {client_addr} */
    const char *daemon_name;    /* {daemon_name} */
} cm_conn_facts;

/* Outbound if the submitter authenticated, is an internal host, or came in
 * on an outbound daemon; otherwise inbound. *why names the deciding fact. */
cm_direction cm_policy_direction(const cm_config *cfg, const cm_conn_facts *f,
                                 const char **why);
const char *cm_direction_name(cm_direction d);
/* Parse "inbound"/"outbound"; 0 or -1. */
int cm_direction_parse(const char *s, cm_direction *d);

/* RCPT under MissingKeyAction (a cm_missing_action): may a recipient of
 * class cls join a transaction whose first recipient had class first?
 * 1 yes; 0 defer it (452 4.5.3: split, so each transaction is one class). */
int cm_policy_rcpt_admits(int missing_action, cm_key_class first, cm_key_class cls);

/* End of message: nrcpt recipients, nkeyless of them without a key. Sets
 * *encrypt (all have keys), or *pass (deliver unencrypted, "no-key"), or
 * returns the refusal: CM_NOKEY_TEMP, CM_NOKEY_REJECT, CM_SPLIT_CLASS. */
cm_stat cm_policy_missing(int missing_action, size_t nrcpt, size_t nkeyless,
                          int *encrypt, int *pass);

#endif
