/* cm_engcall - a message's calls to its engines. */
#include "cm_engcall.h"
#include "cm_addr.h"
#include "cm_archkeys.h"
#include "cm_idn.h"
#include "cm_list.h"
#include "cm_log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void cm_engcall_init(cm_engcall *c, const cm_engines *engines, const cm_msgctx *ctx)
{
    memset(c, 0, sizeof(*c));
    c->engines = engines;
    c->ctx = ctx;
}

void cm_engcall_done(cm_engcall *c)
{
    size_t i;

    if (c->engines == NULL)
        return;
    for (i = 0; i < CM_ENGINES_MAX; i++)    /* the lookup engines and the others */
        if (c->sess[i] != NULL) {
            c->engines->v[i].ops->session_free(c->sess[i]);
            c->sess[i] = NULL;
        }
}

/* Is there an engine e? Its slot's ops say (v[held..] are empty). */
static int has_engine(const cm_engcall *c, size_t e)
{
    return c->engines != NULL && e < CM_ENGINES_MAX && c->engines->v[e].ops != NULL;
}

cm_stat cm_engcall_session(cm_engcall *c, size_t e, cm_engine_session **s)
{
    const cm_engine_ref *r;
    cm_stat st;

    *s = NULL;
    if (!has_engine(c, e))
        return CM_ERR_INTERNAL;
    r = &c->engines->v[e];
    if (c->sess[e] == NULL && (st = r->ops->session_new(r->engine, c->ctx, &c->sess[e])) != CM_OK)
        return st;
    *s = c->sess[e];
    return CM_OK;
}

const cm_engine_ops *cm_engcall_ops(const cm_engcall *c, size_t e)
{
    return has_engine(c, e) ? c->engines->v[e].ops : NULL;
}

cm_key_class cm_engcall_class(const cm_engcall *c, int e)
{
    return e < 0 || !has_engine(c, (size_t) e) ? CM_KEY_NONE : c->engines->v[e].ops->key_class;
}

size_t cm_engcall_pgp_decrypter(const cm_engcall *c)
{
    return cm_engines_pgp_decrypter(c->engines);
}

/* Does engine e take part in lookups? An OpenPGP engine not where the
 * site has no keyring (KeyringDir none): its answer is "no key". */
static int engine_used(const cm_engcall *c, size_t e)
{
    return c->engines->v[e].ops->key_class != CM_KEY_OPENPGP || cm_config_has_keyring(c->ctx->cfg);
}

int cm_engcall_verifier(const cm_engcall *c, cm_key_class cls)
{
    size_t e;

    for (e = 0; e < c->engines->n; e++)
        if (c->engines->v[e].ops->key_class == cls && c->engines->v[e].ops->verify_detached != NULL)
            return engine_used(c, e) ? (int) e : -1;
    return -1;
}

/* Engine e's key for exactly addr, the gateway's own keys left out for
 * outbound recipients. Inbound mail to the gateway's address is encrypted
 * to its key like any other: "no key" there would deliver it in the clear. */
static cm_stat plain_key(cm_engcall *c, size_t e, const char *addr, const cm_key **key)
{
    const cm_engine_ops *ops = c->engines->v[e].ops;
    const char *fpr;
    cm_stat st;

    if ((st = ops->lookup(c->sess[e], addr, key)) != CM_OK || *key == NULL)
        return st;
    if (ops->key_fpr == NULL || (fpr = ops->key_fpr(*key)) == NULL)
        return CM_OK;       /* keys GatewayKeys cannot name (S/MIME) */
    if (c->ctx->no_gateway_keys && cm_list_has_ci(&c->ctx->cfg->gateway_keys, fpr)) {
        cm_log_debug("%s: <%s> has only the gateway key %s", CM_QID(c->ctx), addr, fpr);
        *key = NULL;
    } else {
        cm_log_debug("%s: key for <%s>: %s", CM_QID(c->ctx), addr, fpr);
    }
    return CM_OK;
}

typedef cm_stat (*key_fn)(cm_engcall *c, size_t e, const char *addr, const cm_key **key);

/* The second try of a lookup: made is what the function that wrote the
 * variant address other returned (0 none, -1 out of memory, else made);
 * fn's key for other, logged as addr's. Frees other. */
static cm_stat variant_key(cm_engcall *c, size_t e, const char *addr, int made, char *other,
                           key_fn fn, const cm_key **key)
{
    cm_stat st;

    if (made == 0)
        return CM_OK;
    if (made < 0)
        return CM_ERR_NOMEM;
    if ((st = fn(c, e, other, key)) == CM_OK && *key != NULL)
        cm_log_debug("%s: <%s> uses the key of <%s>", CM_QID(c->ctx), addr, other);
    free(other);
    return st;
}

/* Engine e's key for addr, or with RecipientDelimiter its base address's:
 * alice+news@ falls back to alice@'s key. */
static cm_stat key_or_base(cm_engcall *c, size_t e, const char *addr, const cm_key **key)
{
    char *base = NULL;
    cm_stat st;
    int made;

    if ((st = plain_key(c, e, addr, key)) != CM_OK || *key != NULL)
        return st;
    /* before the call: C does not order the evaluation of arguments */
    made = cm_addr_base(addr, c->ctx->cfg->recipient_delimiter, &base);
    return variant_key(c, e, addr, made, base, plain_key, key);
}

/* key_or_base for addr, then for addr with an IDN domain in its A-label
 * form (cm_idn_fold: Unicode case folded), then in its U-label form (lower
 * case): the MTA delivers every form to one mailbox, and a key's user ID
 * holds one of them. */
static cm_stat engine_key(cm_engcall *c, size_t e, const char *addr, const cm_key **key)
{
    cm_engine_session *sess;
    char *a = NULL, *u = NULL;
    cm_stat st;
    int made, umade;

    *key = NULL;
    if ((st = cm_engcall_session(c, e, &sess)) != CM_OK)
        return st;
    if ((st = key_or_base(c, e, addr, key)) != CM_OK || *key != NULL)
        return st;
    if ((made = cm_idn_fold(addr, &a)) == -2)
        made = 0;           /* not IDNA2008: only its bytes name it */
    umade = made < 0 ? 0 : cm_idn_other(made == 1 ? a : addr, &u);
    if (umade == 1 && strcmp(u, addr) == 0) {
        free(u);            /* asked already */
        u = NULL;
        umade = 0;
    }
    if ((st = variant_key(c, e, addr, made, a, key_or_base, key)) != CM_OK || *key != NULL) {
        free(u);
        return st;
    }
    return variant_key(c, e, addr, umade, u, key_or_base, key);
}

/* The engines a key for addr is asked of, in order: those of the class
 * PreferSMIME gives addr first (S/MIME if it names addr or its domain, else
 * OpenPGP), then the others; engines not in use left out. */
static size_t lookup_order(const cm_engcall *c, const char *addr, size_t order[CM_ENGINES_MAX])
{
    int smime_first = cm_config_prefers_smime(c->ctx->cfg, addr), pass;
    size_t e, n = 0;

    for (pass = 0; pass < 2; pass++)
        for (e = 0; e < c->engines->n && n < CM_ENGINES_MAX; e++)
            if ((c->engines->v[e].ops->key_class == CM_KEY_SMIME) == (smime_first == !pass)
                && engine_used(c, e))
                order[n++] = e;
    return n;
}

cm_stat cm_engcall_find_key(cm_engcall *c, const char *addr, int *which, const cm_key **key)
{
    size_t order[CM_ENGINES_MAX], n = lookup_order(c, addr, order), i;
    cm_stat st;

    *which = -1;
    *key = NULL;
    for (i = 0; i < n; i++) {
        if ((st = engine_key(c, order[i], addr, key)) != CM_OK)
            return st;
        if (*key != NULL) {
            *which = (int) order[i];
            return CM_OK;
        }
    }
    return CM_OK;
}

/* Does engine e have a key for every member? Their keys into keys. */
static cm_stat members_keys(cm_engcall *c, size_t e, const char *const *mem, size_t n,
                            const cm_key **keys, int *all)
{
    size_t i;
    cm_stat st;

    *all = 0;
    for (i = 0; i < n; i++)
        if ((st = engine_key(c, e, mem[i], &keys[i])) != CM_OK || keys[i] == NULL)
            return st;
    *all = 1;
    return CM_OK;
}

/* An alias's keys: the first engine, in the order find_key asks them for
 * the alias's own address, with a key for every member. One class for all:
 * one message is encrypted in one format. */
static cm_stat alias_keys(cm_engcall *c, const char *addr, const char *const *mem, size_t n,
                          int *which, const cm_key **keys, size_t *nkeys)
{
    size_t order[CM_ENGINES_MAX], norder = lookup_order(c, addr, order), i;
    int all;
    cm_stat st;

    for (i = 0; i < norder; i++) {
        if ((st = members_keys(c, order[i], mem, n, keys, &all)) != CM_OK)
            return st;
        if (all) {
            *which = (int) order[i];
            *nkeys = n;
            cm_log_debug("%s: <%s> is an alias: the keys of its %zu members", CM_QID(c->ctx),
                         addr, n);
            return CM_OK;
        }
    }
    cm_log_info("%s: alias <%s>: not every member has a key of one kind: no key", CM_QID(c->ctx),
                addr);
    return CM_OK;
}

/* The alias addr or its RecipientDelimiter base is, as cm_engcall_alias. */
static cm_stat alias_or_base(const cm_engcall *c, const char *addr, const char *const **mem,
                             size_t *n)
{
    char *base = NULL;
    int r;

    /* KeyAliases, with RecipientDelimiter as for keys: sales+x@ is sales@. */
    if ((*mem = cm_alias_find(c->ctx->cfg->aliases, addr, n)) == NULL && c->ctx->cfg->aliases != NULL) {
        if ((r = cm_addr_base(addr, c->ctx->cfg->recipient_delimiter, &base)) < 0)
            return CM_ERR_NOMEM;
        if (r == 1) {
            *mem = cm_alias_find(c->ctx->cfg->aliases, base, n);
            free(base);
        }
    }
    return CM_OK;
}

cm_stat cm_engcall_alias(const cm_engcall *c, const char *addr, const char *const **mem, size_t *n)
{
    char *other;
    cm_stat st;
    int r;

    if ((st = alias_or_base(c, addr, mem, n)) != CM_OK || *mem != NULL
        || c->ctx->cfg->aliases == NULL)
        return st;
    /* Its IDN domain in the form KeyAliases holds it (cm_alias). */
    if ((r = cm_idn_fold(addr, &other)) <= 0)
        return r == -1 ? CM_ERR_NOMEM : CM_OK;
    st = alias_or_base(c, other, mem, n);
    free(other);
    return st;
}

cm_stat cm_engcall_find_keys(cm_engcall *c, const char *addr, int *which, const cm_key **keys,
                             size_t *nkeys)
{
    const char *const *mem;
    size_t n;
    cm_stat st;

    *which = -1;
    *nkeys = 0;
    if ((st = cm_engcall_alias(c, addr, &mem, &n)) != CM_OK)
        return st;
    if (mem != NULL)
        return alias_keys(c, addr, mem, n, which, keys, nkeys);
    if ((st = cm_engcall_find_key(c, addr, which, &keys[0])) == CM_OK && keys[0] != NULL)
        *nkeys = 1;
    return st;
}

/* Is slot set in engine e's ops? */
#define HAS_SLOT(c, e, slot) (has_engine(c, e) && (c)->engines->v[e].ops->slot != NULL)

/* Engine e's session for a call of a slot the engine may lack: a missing
 * one is ours to answer for, CM_ERR_INTERNAL. */
static cm_stat session_for(cm_engcall *c, size_t e, int has_slot, cm_engine_session **s)
{
    cm_stat st = cm_engcall_session(c, e, s);

    return st != CM_OK ? st : has_slot ? CM_OK : CM_ERR_INTERNAL;
}

cm_stat cm_engcall_add_recipient(cm_engcall *c, size_t e, const cm_key *key)
{
    cm_engine_session *s;
    cm_stat st = session_for(c, e, HAS_SLOT(c, e, add_recipient), &s);

    return st != CM_OK ? st : c->engines->v[e].ops->add_recipient(s, key);
}

cm_stat cm_engcall_verify_detached(cm_engcall *c, size_t e, cm_reader *data, const void *sig,
                                   size_t siglen, cm_sigs *sigs)
{
    cm_engine_session *s;
    cm_stat st = session_for(c, e, HAS_SLOT(c, e, verify_detached), &s);

    return st != CM_OK ? st : c->engines->v[e].ops->verify_detached(s, data, sig, siglen, sigs);
}

cm_stat cm_engcall_decrypt_verify(cm_engcall *c, size_t e, cm_reader *in, cm_writer *out,
                                  cm_sigs *sigs)
{
    cm_engine_session *s;
    cm_stat st = session_for(c, e, HAS_SLOT(c, e, decrypt_verify), &s);

    return st != CM_OK ? st : c->engines->v[e].ops->decrypt_verify(s, in, out, sigs);
}

cm_stat cm_engcall_key_has_addr(cm_engcall *c, size_t e, const char *fpr, const char *addr,
                                int *yes)
{
    cm_engine_session *s;
    cm_stat st = session_for(c, e, HAS_SLOT(c, e, key_has_addr), &s);

    *yes = 0;
    return st != CM_OK ? st : c->engines->v[e].ops->key_has_addr(s, fpr, addr, yes);
}

/* What keeps an archive key out, for the refusal's detail. */
static const char *archive_unusable(cm_key_state st)
{
    switch (st) {
    case CM_KEY_USABLE: break;
    case CM_KEY_EXPIRED: return "has expired";
    case CM_KEY_REVOKED: return "is revoked";
    case CM_KEY_DISABLED: return "is disabled";
    case CM_KEY_NO_ENCRYPTION: return "cannot encrypt";
    case CM_KEY_MISSING: return "is not there";
    }
    return NULL;
}

cm_stat cm_engcall_add_archive(cm_engcall *c, size_t e, int64_t now, char *why, size_t len)
{
    const cm_list *ets = &c->ctx->cfg->encrypt_to_self;
    int smime = cm_engcall_class(c, (int) e) == CM_KEY_SMIME;
    cm_engine_session *s;
    const cm_key *key;
    const char *bad;
    cm_keyinfo ki;
    cm_stat st;
    size_t i;

    *why = 0;
    for (i = 0; i < ets->n; i++) {
        if (cm_archkeys_is_cert(ets->v[i]) != smime)
            continue;       /* OpenPGP keys for OpenPGP messages, certificates for S/MIME */
        if ((st = session_for(c, e, HAS_SLOT(c, e, key_by_id), &s)) != CM_OK)
            return st;
        memset(&ki, 0, sizeof(ki));
        if ((st = c->engines->v[e].ops->key_by_id(s, ets->v[i], now, &key, &ki)) != CM_OK)
            return st;
        if (key == NULL)
            ki.state = CM_KEY_MISSING;
        if ((bad = archive_unusable(ki.state)) != NULL) {
            snprintf(why, len, "archive key (EncryptToSelf) %s %s", ets->v[i], bad);
            cm_log_warn("%s: deferred: the %s", CM_QID(c->ctx), why);
            return CM_ARCHIVE_KEY;
        }
        if ((st = cm_engcall_add_recipient(c, e, key)) != CM_OK)
            return st;
        cm_log_debug("%s: archive key %s added", CM_QID(c->ctx), ets->v[i]);
    }
    return CM_OK;
}
