/* cm_gpgme - the OpenPGP engine on GPGME: key lookup, and encryption of
 * the bytes it reads to binary OpenPGP. No MIME or armor here (cm_pgpmime).
 *
 * Nothing gpg says is taken on trust where a wrong answer would let
 * plaintext out:
 * - "no key" comes from an index of the whole keyring (cm_gpgme_index.c),
 *   built from one listing that must hold exactly the keys our own scan of
 *   the file counts;
 * - an encryption counts only if gpg reported END_ENCRYPTION and no ERROR
 *   (the format then checks the bytes themselves);
 * - every gpg run has a deadline (EngineTimeout: cm_watch kills gpg, and
 *   encryption runs in our own event loop, cm_gpgme_loop.c). */
#include "cm_gpgme.h"
#include "cm_gpgme_int.h"
#include "cm_buf.h"
#include "cm_log.h"
#include "cm_watch.h"

#include <errno.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static cm_stat gpg_create(cm_engine **out, char *err, size_t errlen)
{
    gpgme_error_t ge;
    cm_engine *e;

    *out = NULL;
    if (gpgme_check_version("1.13.0") == NULL) {
        snprintf(err, errlen, "GPGME 1.13.0 or later is required");
        return CM_ERR_ENGINE;
    }
    gpgme_set_locale(NULL, LC_CTYPE, "C");
    if (cm_watch_init() < 0) {
        snprintf(err, errlen, "fork handler: %s", strerror(errno));
        return CM_ERR_ENGINE;
    }
    if ((ge = gpgme_engine_check_version(GPGME_PROTOCOL_OpenPGP)) != 0) {
        snprintf(err, errlen, "OpenPGP engine (gpg) unusable: %s", gpgme_strerror(ge));
        return CM_ERR_ENGINE;
    }
    if ((e = calloc(1, sizeof(*e))) == NULL || (e->cache = cm_gpgme_index_cache_new()) == NULL) {
        free(e);
        snprintf(err, errlen, "out of memory");
        return CM_ERR_NOMEM;
    }
    *out = e;
    return CM_OK;
}

static void gpg_destroy(cm_engine *e)
{
    if (e == NULL)
        return;
    cm_snapshot_free(e->cache);
    free(e);
    cm_gpgme_ctx_reset();
}

static cm_stat gpg_session_new(cm_engine *e, const cm_msgctx *mc, cm_engine_session **out)
{
    cm_engine_session *s;
    cm_stat st;

    *out = NULL;
    if ((s = calloc(1, sizeof(*s))) == NULL)
        return CM_ERR_NOMEM;
    s->mc = mc;
    if ((s->keys = calloc(1, sizeof(gpgme_key_t))) == NULL) {
        free(s);
        return CM_ERR_NOMEM;
    }
    if ((st = cm_gpgme_ctx_new(mc, &s->ctx)) != CM_OK
        || (st = cm_gpgme_index_get(e->cache, mc, &s->index)) != CM_OK) {
        if (s->ctx != NULL)
            gpgme_release(s->ctx);
        free(s->keys);
        free(s);
        return st;
    }
    *out = s;
    return CM_OK;
}

static void gpg_session_free(cm_engine_session *s)
{
    size_t i;

    if (s == NULL)
        return;
    for (i = 0; i < s->nkeys; i++)
        gpgme_key_unref(s->keys[i]);
    free(s->keys);
    gpgme_release(s->ctx);
    cm_gpgme_index_put(s->index);
    free(s);
}

static cm_stat gpg_lookup(cm_engine_session *s, const char *addr, const cm_key **key)
{
    *key = (const cm_key *) cm_gpgme_index_find(s->index, addr);
    return CM_OK;
}

static const char *gpg_key_fpr(const cm_key *key)
{
    return ((gpgme_key_t) key)->fpr;
}

static cm_stat gpg_add_recipient(cm_engine_session *s, const cm_key *key)
{
    gpgme_key_t k = (gpgme_key_t) key, *nk;
    size_t i;

    for (i = 0; i < s->nkeys; i++)
        if (strcmp(s->keys[i]->fpr, k->fpr) == 0)
            return CM_OK;       /* one key, one session key packet */
    if ((nk = cm_array_resize(s->keys, s->nkeys + 2, sizeof(*nk))) == NULL)
        return CM_ERR_NOMEM;
    s->keys = nk;
    gpgme_key_ref(k);
    s->keys[s->nkeys++] = k;
    s->keys[s->nkeys] = NULL;
    return CM_OK;
}

static cm_stat gpg_key_by_id(cm_engine_session *s, const char *id, int64_t now,
                             const cm_key **key, cm_keyinfo *info)
{
    gpgme_key_t k = cm_gpgme_index_by_fpr(s->index, id);

    *key = (const cm_key *) k;
    if (k == NULL)
        info->state = CM_KEY_MISSING;
    else
        cm_gpgme_index_key_info(k, (time_t) now, info);
    return CM_OK;
}

static size_t gpg_recipients(const cm_engine_session *s)
{
    return s->nkeys;
}

/* Status lines: only END_ENCRYPTION says the operation finished. */
typedef struct enc_status {
    int end_seen;
    int error_seen;
} enc_status;

static gpgme_error_t status_cb(void *opaque, const char *keyword, const char *args)
{
    enc_status *es = opaque;

    (void) args;
    if (strcmp(keyword, "END_ENCRYPTION") == 0)
        es->end_seen = 1;
    else if (strcmp(keyword, "ERROR") == 0 || strcmp(keyword, "FAILURE") == 0
             || strcmp(keyword, "INV_RECP") == 0)
        es->error_seen = 1;
    return 0;
}

typedef struct encrypt_args {
    cm_engine_session *s;
    gpgme_data_t in, out;
} encrypt_args;

static gpgme_error_t encrypt_start(void *arg)
{
    encrypt_args *a = arg;

    gpgme_encrypt_flags_t flags = GPGME_ENCRYPT_ALWAYS_TRUST;

    /* Most attachments are compressed already; compressing costs more
     * than encrypting on large bodies (Compress yes turns it on). */
    if (!a->s->mc->cfg->compress)
        flags |= GPGME_ENCRYPT_NO_COMPRESS;
    return gpgme_op_encrypt_start(a->s->ctx, a->s->keys, flags, a->in, a->out);
}

gpgme_error_t cm_gpgme_run_watched(cm_engine_session *s, const char *what,
                                   gpgme_error_t (*start)(void *), void *arg, const cm_reader *in,
                                   gpgme_status_cb_t on_status, void *status_arg, cm_stat *st)
{
    const char *qid = CM_QID(s->mc);
    uint64_t timeout = s->mc->cfg->engine_timeout;
    gpgme_error_t ge;
    cm_watch *w;
    int loop_expired;

    *st = CM_OK;
    /* The watch kills gpg at the deadline; our loop notices and cancels. */
    if ((w = cm_watch_start(timeout, NULL, NULL, qid)) == NULL) {
        cm_log_errno("%s: engine watchdog", qid);
        *st = CM_ERR_INTERNAL;
        return 0;
    }
    gpgme_set_status_cb(s->ctx, on_status, status_arg);
    ge = cm_gpgme_run(s->ctx, qid, timeout, start, arg, in->tick, in->arg, &loop_expired);
    gpgme_set_status_cb(s->ctx, NULL, NULL);
    if (cm_watch_stop(w) || loop_expired) {
        cm_log_error("%s: %s: gpg did not finish within EngineTimeout (%llus)", qid, what,
                     (unsigned long long) timeout);
        *st = CM_ERR_TIMEOUT;
    }
    return ge;
}

static cm_stat gpg_encrypt(cm_engine_session *s, cm_reader *in, cm_writer *out)
{
    struct gpgme_data_cbs in_cbs = {cm_gpgme_read_cb, NULL, NULL, NULL};
    struct gpgme_data_cbs out_cbs = {NULL, cm_gpgme_write_cb, NULL, NULL};
    const char *qid = CM_QID(s->mc);
    gpgme_data_t din = NULL, dout = NULL;
    gpgme_encrypt_result_t res;
    gpgme_error_t ge;
    enc_status es = {0, 0};
    cm_gpgme_sink k = {out, 0};
    encrypt_args ea;
    cm_stat st;

    if (s->nkeys == 0)
        return CM_ERR_INTERNAL;
    if ((ge = gpgme_data_new_from_cbs(&din, &in_cbs, in)) != 0
        || (ge = gpgme_data_new_from_cbs(&dout, &out_cbs, &k)) != 0) {
        cm_log_error("%s: GPGME data: %s", qid, gpgme_strerror(ge));
        gpgme_data_release(din);
        return CM_ERR_ENGINE;
    }
    ea.s = s;
    ea.in = din;
    ea.out = dout;
    ge = cm_gpgme_run_watched(s, "encryption", encrypt_start, &ea, in, status_cb, &es, &st);
    res = gpgme_op_encrypt_result(s->ctx);
    if (st != CM_OK) {
        ;
    } else if (k.write_errno != 0) {
        errno = k.write_errno;
        cm_log_errno("%s: encryption: writing the ciphertext", qid);
        st = cm_stat_of_errno(k.write_errno);
    } else if (res != NULL && res->invalid_recipients != NULL) {
        cm_log_error("%s: encryption refused key %s: %s", qid,
                     res->invalid_recipients->fpr ? res->invalid_recipients->fpr : "?",
                     gpgme_strerror(res->invalid_recipients->reason));
        st = CM_ERR_ENCRYPT;
    } else if (ge != 0) {
        cm_log_error("%s: encryption failed: %s", qid, gpgme_strerror(ge));
        st = gpg_err_code(ge) == GPG_ERR_ENOMEM ? CM_ERR_NOMEM : CM_ERR_ENCRYPT;
    } else if (!es.end_seen || es.error_seen) {
        cm_log_error("%s: encryption: gpg ended without %s", qid,
                     es.error_seen ? "success (ERROR status)" : "reporting END_ENCRYPTION");
        st = CM_ERR_ENCRYPT;
    }
    gpgme_data_release(din);
    gpgme_data_release(dout);
    return st;
}

static cm_stat gpg_keyring_summary(cm_engine_session *s, int64_t now, int64_t window,
                                   cm_keyring_summary *out)
{
    cm_gpgme_index_summary(s->index, now, window, out);
    return CM_OK;
}

static cm_stat gpg_keyring_list(cm_engine_session *s, int64_t now, cm_keyinfo_fn fn, void *arg)
{
    cm_gpgme_index_list(s->index, now, fn, arg);
    return CM_OK;
}

const cm_engine_ops cm_gpgme_engine = {
    .name = "gpgme",
    .key_class = CM_KEY_OPENPGP,
    .create = gpg_create,
    .destroy = gpg_destroy,
    .session_new = gpg_session_new,
    .session_free = gpg_session_free,
    .lookup = gpg_lookup,
    .key_fpr = gpg_key_fpr,
    .add_recipient = gpg_add_recipient,
    .recipients = gpg_recipients,
    .encrypt = gpg_encrypt,
    .gateway_match = cm_gpgme_gateway_match,
    .decrypt_verify = cm_gpgme_decrypt_verify,
    .verify_detached = cm_gpgme_verify_detached,
    .key_has_addr = cm_gpgme_key_has_addr,
    .gateway_ready = cm_gpgme_gateway_ready,
    .keyring_summary = gpg_keyring_summary,
    .keyring_list = gpg_keyring_list,
    .key_by_id = gpg_key_by_id,
};
