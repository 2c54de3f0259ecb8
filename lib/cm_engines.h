/* cm_engines - the engine registry: the one place that names concrete
 * engines, and picks them from the configuration. */
#ifndef CM_ENGINES_H
#define CM_ENGINES_H

#include "cm_engine.h"

typedef struct cm_engines {
    cm_engine_ref openpgp;
} cm_engines;

/* Create the engines cfg asks for. NULL on failure, with the reason in err
 * and the status in *st. */
cm_engines *cm_engines_create(const cm_config *cfg, cm_stat *st, char *err, size_t errlen);
void cm_engines_destroy(cm_engines *e);

#endif
