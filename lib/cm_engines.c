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
    e->v[0].ops = &cm_gpgme_engine;
    if ((*st = e->v[0].ops->create(&e->v[0].engine, err, errlen)) != CM_OK) {
        free(e);
        return NULL;
    }
    e->n = 1;
    return e;
}

void cm_engines_destroy(cm_engines *e)
{
    size_t i;

    if (e == NULL)
        return;
    for (i = 0; i < e->n; i++)
        e->v[i].ops->destroy(e->v[i].engine);
    free(e);
}
