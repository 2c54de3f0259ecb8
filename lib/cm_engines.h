/* cm_engines - the engine registry: the one place that names concrete
 * engines, and picks them from the configuration. */
#ifndef CM_ENGINES_H
#define CM_ENGINES_H

#include "cm_engine.h"

#define CM_ENGINES_MAX 4

/* The engines in the order a recipient's key is looked for: the first
 * that has a key for the address decides its class (OpenPGP before
 * S/MIME, as SPEC §3.2 says). */
typedef struct cm_engines {
    cm_engine_ref v[CM_ENGINES_MAX];
    size_t n;
} cm_engines;

/* Create the engines cfg asks for. NULL on failure, with the reason in err
 * and the status in *st. */
cm_engines *cm_engines_create(const cm_config *cfg, cm_stat *st, char *err, size_t errlen);
void cm_engines_destroy(cm_engines *e);

#endif
