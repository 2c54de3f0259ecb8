/* cm_gpgme_rebuild - a public keyring made from scratch in a staging
 * GnuPG home, for cryptmilter-keysync: gpg imports every key (never a
 * parser of ours), the gateway's own public keys are carried over from
 * KeyringDir, revoked keys are left out. */
#include "cm_gpgme.h"
#include "cm_gpgme_int.h"
#include "cm_list.h"
#include "cm_log.h"

#include <gpgme.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The public parts of GatewayKeys as KeyringDir holds them, imported into dst. */
static cm_stat carry_gateway_keys(const cm_config *cfg, gpgme_ctx_t dst, char *err, size_t errlen)
{
    const char **pat;
    gpgme_ctx_t src = NULL;
    gpgme_data_t d = NULL;
    gpgme_error_t ge;
    size_t i, n = cfg->gateway_keys.n;

    if (n == 0)
        return CM_OK;
    if ((pat = calloc(n + 1, sizeof(*pat))) == NULL)
        return snprintf(err, errlen, "out of memory"), CM_ERR_NOMEM;
    for (i = 0; i < n; i++)
        pat[i] = cfg->gateway_keys.v[i];
    if ((ge = cm_gpgme_ctx_home(cfg, cfg->keyring_dir, &src)) != 0
        || (ge = gpgme_data_new(&d)) != 0
        || (ge = gpgme_op_export_ext(src, pat, 0, d)) != 0
        || (ge = gpgme_data_seek(d, 0, SEEK_SET) < 0 ? gpg_error(GPG_ERR_EIO) : 0) != 0
        || (ge = gpgme_op_import(dst, d)) != 0)
        snprintf(err, errlen, "exporting GatewayKeys from %s: %s", cfg->keyring_dir,
                 gpgme_strerror(ge));
    gpgme_data_release(d);
    if (src != NULL)
        gpgme_release(src);
    free(pat);
    return ge == 0 ? CM_OK : CM_ERR_ENGINE;
}

/* One blob into dst; 1 if gpg took a key from it, 0 if not, -1 on an
 * engine failure (err). */
static int import_one(gpgme_ctx_t dst, const cm_keyblob *b, char *err, size_t errlen)
{
    gpgme_import_result_t r;
    gpgme_data_t d = NULL;
    gpgme_error_t ge;

    if ((ge = gpgme_data_new_from_mem(&d, b->p, b->n, 0)) != 0) {
        snprintf(err, errlen, "%s", gpgme_strerror(ge));
        return -1;
    }
    ge = gpgme_op_import(dst, d);
    gpgme_data_release(d);
    if (ge != 0) {
        /* gpg refusing what it was given is the blob's fault, not ours. */
        cm_log_warn("keysync: %s: key not imported: %s", b->origin, gpgme_strerror(ge));
        return 0;
    }
    r = gpgme_op_import_result(dst);
    if (r == NULL || r->imported + r->unchanged == 0) {
        cm_log_warn("keysync: %s: no usable key in it", b->origin);
        return 0;
    }
    return 1;
}

/* Delete revoked keys (not GatewayKeys'), count the rest; every GatewayKeys
 * key must be there. */
static cm_stat sweep(const cm_config *cfg, gpgme_ctx_t dst, cm_rebuild_report *rep, char *err,
                     size_t errlen)
{
    gpgme_key_t key, *drop = NULL, *grown;
    size_t ndrop = 0, i, j, found = 0;
    gpgme_error_t ge;
    cm_stat st = CM_OK;

    if ((ge = gpgme_op_keylist_start(dst, NULL, 0)) != 0)
        return snprintf(err, errlen, "listing: %s", gpgme_strerror(ge)), CM_ERR_ENGINE;
    while ((ge = gpgme_op_keylist_next(dst, &key)) == 0) {
        if (key->fpr != NULL && cm_list_has_ci(&cfg->gateway_keys, key->fpr)) {
            found++;
        } else if (key->revoked) {
            if ((grown = realloc(drop, (ndrop + 1) * sizeof(*drop))) == NULL) {
                gpgme_key_unref(key);
                st = CM_ERR_NOMEM;
                break;
            }
            drop = grown;
            drop[ndrop++] = key;
            continue;
        }
        rep->keys++;
        gpgme_key_unref(key);
    }
    if (st == CM_OK && gpg_err_code(ge) != GPG_ERR_EOF) {
        snprintf(err, errlen, "listing: %s", gpgme_strerror(ge));
        st = CM_ERR_ENGINE;
    }
    (void) gpgme_op_keylist_end(dst);
    for (i = 0; st == CM_OK && i < ndrop; i++) {
        if ((ge = gpgme_op_delete_ext(dst, drop[i], GPGME_DELETE_FORCE)) != 0) {
            snprintf(err, errlen, "deleting revoked key %s: %s", drop[i]->fpr, gpgme_strerror(ge));
            st = CM_ERR_ENGINE;
        }
        rep->revoked++;
    }
    for (j = 0; j < ndrop; j++)
        gpgme_key_unref(drop[j]);
    free(drop);
    if (st == CM_OK && found < cfg->gateway_keys.n) {
        snprintf(err, errlen, "%zu of the %zu GatewayKeys keys are neither in %s nor in the"
                 " directory: the keyring is left as it is", cfg->gateway_keys.n - found,
                 cfg->gateway_keys.n, cfg->keyring_dir);
        st = CM_ERR_GATEWAY_KEY;
    }
    if (st == CM_ERR_NOMEM)
        snprintf(err, errlen, "out of memory");
    rep->kept = found;
    return st;
}

cm_stat cm_gpgme_rebuild_keyring(const cm_config *cfg, const char *staging, const cm_keyblob *v,
                                 size_t n, cm_rebuild_report *rep, char *err, size_t errlen)
{
    gpgme_ctx_t dst = NULL;
    gpgme_error_t ge;
    cm_stat st;
    size_t i;
    int r;

    memset(rep, 0, sizeof(*rep));
    if (gpgme_check_version("1.13.0") == NULL)
        return snprintf(err, errlen, "GPGME 1.13 or later is needed"), CM_ERR_ENGINE;
    if ((ge = cm_gpgme_ctx_home(cfg, staging, &dst)) != 0)
        return snprintf(err, errlen, "GPGME context: %s", gpgme_strerror(ge)), CM_ERR_ENGINE;
    st = carry_gateway_keys(cfg, dst, err, errlen);
    for (i = 0; st == CM_OK && i < n; i++) {
        if ((r = import_one(dst, &v[i], err, errlen)) < 0)
            st = CM_ERR_ENGINE;
        else if (r == 0)
            rep->rejected++;
    }
    if (st == CM_OK)
        st = sweep(cfg, dst, rep, err, errlen);
    gpgme_release(dst);
    return st;
}
