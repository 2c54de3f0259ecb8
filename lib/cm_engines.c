/* cm_engines - the engine registry. */
#include "cm_engines.h"
#include "cm_gpgme.h"

#include <stdlib.h>

cm_engines *cm_engines_create(const cm_config *cfg, cm_stat *st, char *err, size_t errlen)
{
    cm_engines *e = calloc(1, sizeof(*e));

    (void) cfg;             /* one OpenPGP engine so far */
    if (e == NULL) {
        *st = CM_ERR_NOMEM;
        return NULL;
    }
    e->openpgp.ops = &cm_gpgme_engine;
    if ((*st = e->openpgp.ops->create(&e->openpgp.engine, err, errlen)) != CM_OK) {
        free(e);
        return NULL;
    }
    return e;
}

void cm_engines_destroy(cm_engines *e)
{
    if (e == NULL)
        return;
    e->openpgp.ops->destroy(e->openpgp.engine);
    free(e);
}
