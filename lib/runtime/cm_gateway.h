/* cm_gateway - the process's runtime: the configuration in use (replaced
 * by a reload while messages hold their snapshots) and the engines with
 * their caches. One per process, made at start, passed to every message. */
#ifndef CM_GATEWAY_H
#define CM_GATEWAY_H

#include "cm_confhold.h"
#include "cm_engines.h"

typedef struct cm_gateway {
    cm_confhold *conf;      /* NULL until cm_gateway_hold */
    cm_engine_set *engines; /* cm_engine_set_pick gives a message's */
} cm_gateway;

/* The engines cfg asks for; NULL with *st and err on failure. */
cm_gateway *cm_gateway_new(const cm_config *cfg, cm_stat *st, char *err, size_t errlen);
/* Hold cfg (taken over) as the configuration in use. 0, or -1 (freed). */
int cm_gateway_hold(cm_gateway *gw, cm_config *cfg);
void cm_gateway_free(cm_gateway *gw);

#endif
