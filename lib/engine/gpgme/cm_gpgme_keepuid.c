/* cm_gpgme_keepuid - keys served for one address (a Web Key Directory's
 * answer) imported with only that address's user IDs: gpg's import filter
 * does the filtering, so the user IDs kept are those gpg itself checked
 * (a valid self-signature) and the keyring is written by gpg, as keysync's
 * is. What is imported is checked first to be public keys only: a secret
 * key served by a directory never reaches gpg-agent. */
#include "cm_gpgme.h"
#include "cm_gpgme_int.h"
#include "cm_keyring.h"

#include <gpgme.h>
#include <stdio.h>
#include <string.h>

/* An address fit for the filter expression: local@domain, no space or
 * control character (the expression has no quoting). */
static int plain_addr(const char *a)
{
    const char *at = strrchr(a, '@');

    if (at == NULL || at == a || at[1] == 0 || strlen(a) > 254)
        return 0;
    for (; *a; a++)
        if ((unsigned char) *a <= ' ' || *a == 0x7f)
            return 0;
    return 1;
}

/* gpgme_op_import under a watch of cfg's EngineTimeout: gpg waits for
 * ever for a keyring lock a live process holds (a stale lock whose PID
 * was reused). *expired 1 if the watch killed it. */
static gpgme_error_t watched_import(const cm_config *cfg, gpgme_ctx_t ctx, gpgme_data_t d,
                                    int *expired)
{
    cm_msgctx mc = {cfg, NULL, 0};
    gpgme_error_t ge;
    cm_watch *w;

    *expired = 0;
    if (cm_watch_init() < 0 || (w = cm_gpgme_ctx_watch(&mc, ctx)) == NULL)
        return gpgme_error_from_syserror();
    ge = gpgme_op_import(ctx, d);
    *expired = cm_watch_stop(w);
    return ge;
}

cm_stat cm_gpgme_keepuid_import(const cm_config *cfg, const char *home, const void *p, size_t n,
                                const char *addr, cm_imported_fn fn, void *arg,
                                cm_import_report *rep, char *err, size_t errlen)
{
    char filter[300], why[256];
    gpgme_import_result_t r;
    gpgme_import_status_t i;
    gpgme_ctx_t ctx = NULL;
    gpgme_data_t d = NULL;
    gpgme_error_t ge;
    size_t nkeys, taken = 0;
    int expired = 0;

    memset(rep, 0, sizeof(*rep));
    if (!plain_addr(addr))
        return snprintf(err, errlen, "%s: not a plain address", addr), CM_BAD_INPUT;
    if (cm_keyring_check_public(p, n, &nkeys, why, sizeof(why)) != CM_KEYRING_OK) {
        snprintf(err, errlen, "not public OpenPGP keys: %s", why);
        return CM_BAD_INPUT;
    }
    if (nkeys == 0)
        return snprintf(err, errlen, "no OpenPGP key in it"), CM_BAD_INPUT;
    if (gpgme_check_version("1.13.0") == NULL)
        return snprintf(err, errlen, "GPGME 1.13 or later is needed"), CM_ERR_ENGINE;
    /* "--": the value runs to the end, whatever an address holds. */
    snprintf(filter, sizeof(filter), "keep-uid=-- mbox = %s", addr);
    if ((ge = cm_gpgme_ctx_home(cfg, home, &ctx)) == 0
        && (ge = gpgme_set_ctx_flag(ctx, "import-filter", filter)) == 0
        && (ge = gpgme_data_new_from_mem(&d, p, n, 0)) == 0)
        ge = watched_import(cfg, ctx, d, &expired);
    if (ge != 0 || expired) {
        if (expired)
            snprintf(err, errlen, "importing into %s: gpg did not finish within %llus", home,
                     (unsigned long long) cfg->engine_timeout);
        else
            snprintf(err, errlen, "importing into %s: %s", home, gpgme_strerror(ge));
        gpgme_data_release(d);
        if (ctx != NULL)
            gpgme_release(ctx);
        return expired ? CM_ERR_TIMEOUT : CM_ERR_ENGINE;
    }
    gpgme_data_release(d);
    if ((r = gpgme_op_import_result(ctx)) == NULL) {
        gpgme_release(ctx);
        return snprintf(err, errlen, "importing into %s: no result", home), CM_ERR_ENGINE;
    }
    for (i = r->imports; i != NULL; i = i->next) {
        const char *what;

        if (i->result != 0 || i->fpr == NULL)
            continue;
        taken++;
        if (i->status & GPGME_IMPORT_NEW) {
            what = "added";
            rep->added++;
        } else if (i->status == 0) {
            what = "unchanged";
            rep->unchanged++;
        } else {
            what = "updated";
            rep->updated++;
        }
        if (fn != NULL)
            fn(arg, i->fpr, what);
    }
    rep->refused = nkeys > taken ? nkeys - taken : 0;
    gpgme_release(ctx);
    return CM_OK;
}
