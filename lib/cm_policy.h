/* cm_policy - the direction of a message (SPEC §2). */
#ifndef CM_POLICY_H
#define CM_POLICY_H

#include "cm_config.h"

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

#endif
