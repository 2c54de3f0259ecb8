/* cm_gateway - the process's runtime. */
#include "cm_gateway.h"

#include <stdlib.h>

cm_gateway *cm_gateway_new(const cm_config *cfg, cm_stat *st, char *err, size_t errlen)
{
    (void) cfg;             /* every backend is made: a reload may switch */
    cm_gateway *gw = calloc(1, sizeof(*gw));

    if (gw == NULL) {
        *st = CM_ERR_NOMEM;
        return NULL;
    }
    if ((gw->engines = cm_engine_set_create(st, err, errlen)) == NULL) {
        free(gw);
        return NULL;
    }
    *st = CM_OK;
    return gw;
}

int cm_gateway_hold(cm_gateway *gw, cm_config *cfg)
{
    return (gw->conf = cm_confhold_new(cfg)) == NULL ? -1 : 0;
}

void cm_gateway_free(cm_gateway *gw)
{
    if (gw == NULL)
        return;
    if (gw->conf != NULL)
        cm_confhold_free(gw->conf);
    cm_engine_set_destroy(gw->engines);
    free(gw);
}
