/* cm_session - a message's engine sessions, made on first use, and its key
 * lookups: every engine asked in the order SPEC §3.2 gives, with the
 * RecipientDelimiter fallback. Below the pipelines and the event calls,
 * which both use them. */
#include "cm_msg_int.h"
#include "cm_addr.h"
#include "cm_log.h"

#include <stdlib.h>

cm_stat cm_msg_session(cm_msg *m, size_t e, cm_engine_session **s)
{
    const cm_engine_ref *r = &m->engines->v[e];
    cm_stat st;

    if (m->sess[e] == NULL && (st = r->ops->session_new(r->engine, &m->ctx, &m->sess[e])) != CM_OK)
        return st;
    *s = m->sess[e];
    return CM_OK;
}

/* Engine e's key for addr, or with RecipientDelimiter its base address's. */
static cm_stat engine_key(cm_msg *m, size_t e, const char *addr, const cm_key **key)
{
    const cm_engine_ref *r = &m->engines->v[e];
    cm_engine_session *sess;
    char *base;
    cm_stat st;

    if ((st = cm_msg_session(m, e, &sess)) != CM_OK)
        return st;
    if ((st = r->ops->lookup(m->sess[e], addr, key)) != CM_OK || *key != NULL)
        return st;
    /* RecipientDelimiter: alice+news@ falls back to alice@'s key. */
    switch (cm_addr_base(addr, m->ctx.cfg->recipient_delimiter, &base)) {
    case 0:
        return CM_OK;
    case -1:
        return CM_ERR_NOMEM;
    default:
        break;
    }
    if ((st = r->ops->lookup(m->sess[e], base, key)) == CM_OK && *key != NULL)
        cm_log_debug("%s: <%s> uses the key of <%s>", CM_QID(&m->ctx), addr, base);
    free(base);
    return st;
}

/* Does engine e take part in lookups? An OpenPGP engine not where the
 * site has no keyring (KeyringDir none): its answer is "no key". */
static int engine_used(const cm_msg *m, size_t e)
{
    return m->engines->v[e].ops->key_class != CM_KEY_OPENPGP || cm_config_has_keyring(m->ctx.cfg);
}

cm_stat cm_msg_find_key(cm_msg *m, const char *addr, int *which, const cm_key **key)
{
    int smime_first = cm_config_prefers_smime(m->ctx.cfg, addr), pass;
    size_t e;
    cm_stat st;

    *which = -1;
    *key = NULL;
    for (pass = 0; pass < 2; pass++)
        for (e = 0; e < m->engines->n; e++) {
            /* Pass 0 asks the preferred class, pass 1 the others. */
            if ((m->engines->v[e].ops->key_class == CM_KEY_SMIME) != (smime_first == !pass)
                || !engine_used(m, e))
                continue;
            if ((st = engine_key(m, e, addr, key)) != CM_OK)
                return st;
            if (*key != NULL) {
                *which = (int) e;
                return CM_OK;
            }
        }
    return CM_OK;
}

cm_key_class cm_msg_keyed_class(const cm_msg *m)
{
    int e = cm_msg_engine(m);

    return e < 0 ? CM_KEY_NONE : m->engines->v[e].ops->key_class;
}

int cm_msg_engine(const cm_msg *m)
{
    size_t e;

    for (e = 0; e < m->engines->n; e++)
        if (m->nkeyed[e] > 0)
            return (int) e;
    return -1;
}
