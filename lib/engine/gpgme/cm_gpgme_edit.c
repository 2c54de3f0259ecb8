/* cm_gpgme_edit - cryptmilter-keys' changes to KeyringDir, made by gpg
 * (import, delete, the ownertrust "disabled" flag): gpg writes the keyring
 * aside and renames it into place, so the daemon (GPGME and librnp alike)
 * sees the old file or the new one, never half of one (docs/keys.md). */
#include "cm_gpgme.h"
#include "cm_gpgme_int.h"
#include "cm_buf.h"
#include "cm_list.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static cm_stat context(const cm_config *cfg, gpgme_ctx_t *out, char *err, size_t errlen)
{
    cm_msgctx mc = {cfg, NULL, 0};

    if (gpgme_check_version("1.13.0") == NULL)
        return snprintf(err, errlen, "GPGME 1.13 or later is needed"), CM_ERR_ENGINE;
    if (cm_gpgme_ctx_new(&mc, out) != CM_OK) {
        snprintf(err, errlen, "no gpg for KeyringDir %s (see the log)", cfg->keyring_dir);
        return CM_ERR_ENGINE;
    }
    return CM_OK;
}

/* key's user ID addresses, lower-cased, ',' between, into b. */
static int join_addrs(gpgme_key_t key, cm_buf *b)
{
    gpgme_user_id_t u;
    const char *p;

    cm_buf_reset(b);
    for (u = key != NULL ? key->uids : NULL; u != NULL; u = u->next) {
        if (u->invalid || u->email == NULL || *u->email == 0)
            continue;
        if (cm_buf_str(b)[0] != 0 && cm_buf_putc(b, ',') < 0)
            return -1;
        for (p = u->email; *p; p++)
            if (cm_buf_putc(b, tolower((unsigned char) *p)) < 0)
                return -1;
    }
    return 0;
}

static cm_stat report(gpgme_ctx_t ctx, const char *cls, const char *fpr, const char *change,
                      int secret, cm_keychange_fn fn, void *arg)
{
    gpgme_key_t key = NULL;
    cm_keychange c = {cls, fpr, "", change};
    cm_buf b;
    int r;

    cm_buf_init(&b);
    (void) gpgme_get_key(ctx, fpr, &key, secret);
    r = join_addrs(key, &b);
    if (key != NULL)
        gpgme_key_unref(key);
    if (r < 0) {
        cm_buf_free(&b);
        return CM_ERR_NOMEM;
    }
    c.addrs = cm_buf_str(&b);
    fn(arg, &c);
    cm_buf_free(&b);
    return CM_OK;
}

/* What the data holds, as gpg reads it without importing: *keys keys,
 * *secret of them secret. */
static cm_stat survey(gpgme_ctx_t ctx, gpgme_data_t d, size_t *keys, size_t *secret, char *err,
                      size_t errlen)
{
    gpgme_key_t key;
    gpgme_error_t ge;

    *keys = *secret = 0;
    if ((ge = gpgme_op_keylist_from_data_start(ctx, d, 0)) != 0) {
        snprintf(err, errlen, "reading the keys: %s", gpgme_strerror(ge));
        return CM_ERR_ENGINE;
    }
    while ((ge = gpgme_op_keylist_next(ctx, &key)) == 0) {
        (*keys)++;
        *secret += key->secret != 0;
        gpgme_key_unref(key);
    }
    (void) gpgme_op_keylist_end(ctx);
    if (gpg_err_code(ge) != GPG_ERR_EOF) {
        snprintf(err, errlen, "not OpenPGP keys gpg can read: %s", gpgme_strerror(ge));
        return CM_BAD_INPUT;
    }
    if (gpgme_data_seek(d, 0, SEEK_SET) < 0) {
        snprintf(err, errlen, "rewinding the keys");
        return CM_ERR_INTERNAL;
    }
    return CM_OK;
}

cm_stat cm_gpgme_import(const cm_config *cfg, const void *p, size_t n, int gateway,
                        cm_keychange_fn fn, void *arg, char *err, size_t errlen)
{
    gpgme_ctx_t ctx = NULL;
    gpgme_data_t d = NULL;
    gpgme_import_result_t r;
    gpgme_import_status_t i;
    gpgme_error_t ge;
    size_t keys, secret;
    cm_stat st;

    if ((st = context(cfg, &ctx, err, errlen)) != CM_OK)
        return st;
    if ((ge = gpgme_data_new_from_mem(&d, p, n, 0)) != 0) {
        gpgme_release(ctx);
        return snprintf(err, errlen, "%s", gpgme_strerror(ge)), CM_ERR_NOMEM;
    }
    st = survey(ctx, d, &keys, &secret, err, errlen);
    if (st == CM_OK && keys == 0)
        st = (snprintf(err, errlen, "no OpenPGP key in it"), CM_BAD_INPUT);
    if (st == CM_OK && secret > 0 && !gateway)
        st = (snprintf(err, errlen, "%zu of its %zu keys are secret keys: a recipient's secret "
                       "key does not belong on the gateway (export the public key: gpg "
                       "--export), and the gateway's own is imported with --gateway", secret,
                       keys), CM_BAD_INPUT);
    if (st == CM_OK && (ge = gpgme_op_import(ctx, d)) != 0)
        st = (snprintf(err, errlen, "gpg import: %s", gpgme_strerror(ge)), CM_ERR_ENGINE);
    if (st == CM_OK && ((r = gpgme_op_import_result(ctx)) == NULL || r->considered == 0))
        st = (snprintf(err, errlen, "gpg imported nothing"), CM_BAD_INPUT);
    for (i = st == CM_OK ? r->imports : NULL; st == CM_OK && i != NULL; i = i->next) {
        const char *what = i->status & GPGME_IMPORT_NEW ? "added"
                           : i->status == 0 || i->status == GPGME_IMPORT_SECRET ? "unchanged"
                           : "updated";
        int sec = (i->status & GPGME_IMPORT_SECRET) != 0;

        if (i->fpr == NULL || i->result != 0)
            st = (snprintf(err, errlen, "gpg refused key %s: %s", i->fpr ? i->fpr : "?",
                           gpgme_strerror(i->result)), CM_BAD_INPUT);
        else
            st = report(ctx, sec ? "pgp-secret" : "pgp", i->fpr, what, sec, fn, arg);
    }
    gpgme_data_release(d);
    gpgme_release(ctx);
    return st;
}

/* The primary keys that what names: a fingerprint (hex, 40 or 64 digits),
 * or an address some user ID has exactly. NULL-terminated, in *out. */
static cm_stat find(gpgme_ctx_t ctx, const char *what, gpgme_key_t **out, size_t *n, char *err,
                    size_t errlen)
{
    int byfpr = strchr(what, '@') == NULL;
    char pat[1024];
    gpgme_key_t key, *v = NULL, *nv;
    gpgme_user_id_t u;
    gpgme_error_t ge;

    *out = NULL;
    *n = 0;
    if ((size_t) snprintf(pat, sizeof(pat), byfpr ? "%s" : "<%s>", what) >= sizeof(pat)
        || (byfpr && strspn(what, "0123456789abcdefABCDEF") != strlen(what))
        || (byfpr && strlen(what) != 40 && strlen(what) != 64))
        return snprintf(err, errlen, "%s: neither an address nor a fingerprint", what),
               CM_BAD_INPUT;
    if ((ge = gpgme_op_keylist_start(ctx, pat, 0)) != 0)
        return snprintf(err, errlen, "listing: %s", gpgme_strerror(ge)), CM_ERR_ENGINE;
    while ((ge = gpgme_op_keylist_next(ctx, &key)) == 0) {
        int match = byfpr && key->fpr != NULL && strcasecmp(key->fpr, what) == 0;

        for (u = key->uids; !byfpr && u != NULL && !match; u = u->next)
            match = u->email != NULL && strcasecmp(u->email, what) == 0;
        if (!match) {
            gpgme_key_unref(key);
            continue;
        }
        if ((nv = cm_array_resize(v, *n + 2, sizeof(*v))) == NULL) {
            gpgme_key_unref(key);
            ge = gpg_error(GPG_ERR_ENOMEM);
            break;
        }
        v = nv;
        v[(*n)++] = key;
        v[*n] = NULL;
    }
    (void) gpgme_op_keylist_end(ctx);
    *out = v;
    if (gpg_err_code(ge) != GPG_ERR_EOF)
        return snprintf(err, errlen, "listing: %s", gpgme_strerror(ge)), CM_ERR_ENGINE;
    return CM_OK;
}

static void unref_all(gpgme_key_t *v)
{
    for (size_t i = 0; v != NULL && v[i] != NULL; i++)
        gpgme_key_unref(v[i]);
    free(v);
}

cm_stat cm_gpgme_remove(const cm_config *cfg, const char *what, cm_keychange_fn fn, void *arg,
                        size_t *removed, char *err, size_t errlen)
{
    gpgme_ctx_t ctx = NULL;
    gpgme_key_t *v = NULL;
    gpgme_error_t ge;
    size_t i, n = 0;
    cm_buf b;
    cm_stat st;

    *removed = 0;
    if ((st = context(cfg, &ctx, err, errlen)) != CM_OK)
        return st;
    cm_buf_init(&b);
    st = find(ctx, what, &v, &n, err, errlen);
    /* All or nothing: a gateway key among them stops every removal. */
    for (i = 0; st == CM_OK && i < n; i++)
        if (cm_list_has_ci(&cfg->gateway_keys, v[i]->fpr))
            st = (snprintf(err, errlen, "%s is a GatewayKeys key (the gateway decrypts with "
                           "it): take it out of GatewayKeys first", v[i]->fpr), CM_BAD_INPUT);
    for (i = 0; st == CM_OK && i < n; i++) {
        cm_keychange c = {"pgp", v[i]->fpr, "", "removed"};

        if (join_addrs(v[i], &b) < 0) {
            st = CM_ERR_NOMEM;
            break;
        }
        /* Public only: gpg refuses a key whose secret part it holds. */
        if ((ge = gpgme_op_delete_ext(ctx, v[i], 0)) != 0) {
            st = (snprintf(err, errlen, "deleting %s: %s%s", v[i]->fpr, gpgme_strerror(ge),
                           gpg_err_code(ge) == GPG_ERR_CONFLICT ? " (its secret key is here)"
                           : ""), gpg_err_code(ge) == GPG_ERR_CONFLICT ? CM_BAD_INPUT
                  : CM_ERR_ENGINE);
            break;
        }
        c.addrs = cm_buf_str(&b);
        fn(arg, &c);
        (*removed)++;
    }
    cm_buf_free(&b);
    unref_all(v);
    gpgme_release(ctx);
    return st;
}

/* gpg --edit-key's dialogue: the command, then quit (saving). */
typedef struct edit_state {
    const char *cmd;
    int step;
} edit_state;

static gpgme_error_t edit_cb(void *opaque, const char *keyword, const char *args, int fd)
{
    edit_state *e = opaque;
    const char *line = NULL;

    if (fd < 0)
        return 0;
    if (keyword != NULL && strcmp(keyword, "GET_LINE") == 0 && args != NULL
        && strcmp(args, "keyedit.prompt") == 0)
        line = e->step++ == 0 ? e->cmd : "quit";
    else if (keyword != NULL && strcmp(keyword, "GET_BOOL") == 0 && args != NULL
             && strcmp(args, "keyedit.save.okay") == 0)
        line = "Y";
    if (line == NULL)
        return gpg_error(GPG_ERR_GENERAL);     /* a question we do not answer */
    if (gpgme_io_writen(fd, line, strlen(line)) < 0 || gpgme_io_writen(fd, "\n", 1) < 0)
        return gpg_error(GPG_ERR_EIO);
    return 0;
}

cm_stat cm_gpgme_set_disabled(const cm_config *cfg, const char *fpr, int disabled,
                              cm_keychange_fn fn, void *arg, char *err, size_t errlen)
{
    edit_state e = {disabled ? "disable" : "enable", 0};
    gpgme_ctx_t ctx = NULL;
    gpgme_key_t *v = NULL;
    gpgme_data_t out = NULL;    /* gpg's words, which GPGME insists on */
    gpgme_error_t ge;
    size_t n = 0;
    cm_stat st;

    if (strchr(fpr, '@') != NULL)
        return snprintf(err, errlen, "%s: a fingerprint is needed, not an address", fpr),
               CM_BAD_INPUT;
    if ((st = context(cfg, &ctx, err, errlen)) != CM_OK)
        return st;
    st = find(ctx, fpr, &v, &n, err, errlen);
    if (st == CM_OK && n != 1)
        st = (snprintf(err, errlen, "%s: no such key in KeyringDir", fpr), CM_BAD_INPUT);
    if (st == CM_OK && (ge = gpgme_data_new(&out)) != 0)
        st = (snprintf(err, errlen, "%s", gpgme_strerror(ge)), CM_ERR_NOMEM);
    if (st == CM_OK && (ge = gpgme_op_interact(ctx, v[0], 0, edit_cb, &e, out)) != 0)
        st = (snprintf(err, errlen, "gpg --edit-key %s %s: %s", fpr, e.cmd, gpgme_strerror(ge)),
              CM_ERR_ENGINE);
    if (st == CM_OK)
        st = report(ctx, "pgp", v[0]->fpr, disabled ? "disabled" : "enabled", 0, fn, arg);
    gpgme_data_release(out);
    unref_all(v);
    gpgme_release(ctx);
    return st;
}
