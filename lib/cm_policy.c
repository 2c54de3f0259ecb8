/* cm_policy - the direction of a message (SPEC §2). */
#include "cm_policy.h"

#include <string.h>
#include <strings.h>

cm_direction cm_policy_direction(const cm_config *cfg, const cm_conn_facts *f,
                                 const char **why)
{
    if (f->auth_authen != NULL && *f->auth_authen) {
        *why = "authenticated";
        return CM_DIR_OUTBOUND;
    }
    if (f->client_addr != NULL && cm_cidr_list_match(&cfg->internal_hosts, f->client_addr)) {
        *why = "internal-host";
        return CM_DIR_OUTBOUND;
    }
    if (f->daemon_name != NULL && *f->daemon_name
        && cm_list_has_ci(&cfg->outbound_daemons, f->daemon_name)) {
        *why = "outbound-daemon";
        return CM_DIR_OUTBOUND;
    }
    *why = "external";
    return CM_DIR_INBOUND;
}

const char *cm_direction_name(cm_direction d)
{
    return d == CM_DIR_OUTBOUND ? "outbound" : "inbound";
}

int cm_direction_parse(const char *s, cm_direction *d)
{
    if (strcasecmp(s, "inbound") == 0)
        *d = CM_DIR_INBOUND;
    else if (strcasecmp(s, "outbound") == 0)
        *d = CM_DIR_OUTBOUND;
    else
        return -1;
    return 0;
}
