/* cm_gpgme - the OpenPGP backend: key lookup and encryption through GPGME.
 *
 * Nothing gpg says is taken on trust where a wrong answer would let
 * plaintext out:
 * - "no key" comes from an index of the whole keyring (cm_gpgme_index.c),
 *   built from one listing that must hold exactly the keys our own scan of
 *   the file counts;
 * - an encryption counts only if gpg reported END_ENCRYPTION and the bytes
 *   it wrote are one complete armored message with one session key packet
 *   per recipient key and integrity-protected data (cm_armor);
 * - every gpg run has a deadline (EngineTimeout, cm_watch). */
#include "cm_gpgme_int.h"
#include "cm_buf.h"
#include "cm_boundary.h"
#include "cm_crlf.h"
#include "cm_armor.h"
#include "cm_log.h"
#include "cm_pgpmime.h"
#include "cm_watch.h"

#include <errno.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct cm_crypto_session {
    const cm_config *cfg;
    gpgme_ctx_t ctx;
    cm_gpgme_index *index;  /* held for the message's life */
    gpgme_key_t *keys;      /* NULL-terminated recipient list */
    size_t nkeys;
};

static cm_stat gpg_init(char *err, size_t errlen)
{
    gpgme_error_t ge;

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
    return CM_OK;
}

cm_stat cm_gpgme_ctx_new(const cm_config *cfg, gpgme_ctx_t *out)
{
    const char *prog = cfg->gpg_program && *cfg->gpg_program ? cfg->gpg_program : NULL;
    gpgme_engine_info_t info;
    gpgme_ctx_t ctx = NULL;
    gpgme_error_t ge;

    *out = NULL;
    if ((ge = gpgme_new(&ctx)) != 0
        || (ge = gpgme_set_protocol(ctx, GPGME_PROTOCOL_OpenPGP)) != 0
        || (ge = gpgme_ctx_set_engine_info(ctx, GPGME_PROTOCOL_OpenPGP, prog,
                                           cfg->keyring_dir)) != 0
        || (ge = gpgme_set_keylist_mode(ctx, GPGME_KEYLIST_MODE_LOCAL)) != 0
        /* Validity is not ours to use (the checks are ours), and so gpg
         * never rebuilds the trustdb: that would need write access to
         * KeyringDir and a lock other processes may hold. */
        || (ge = gpgme_set_ctx_flag(ctx, "trust-model", "always")) != 0
        /* Every status line to our callback: END_ENCRYPTION and ERROR. */
        || (ge = gpgme_set_ctx_flag(ctx, "full-status", "1")) != 0) {
        cm_log_error("GPGME context: %s", gpgme_strerror(ge));
        if (ctx != NULL)
            gpgme_release(ctx);
        return CM_ERR_ENGINE;
    }
    /* gpg missing at run time is "engine unavailable", not a keyring fault. */
    info = gpgme_ctx_get_engine_info(ctx);
    if (info == NULL || info->file_name == NULL || access(info->file_name, X_OK) < 0) {
        cm_log_error("OpenPGP engine %s: %s", info && info->file_name ? info->file_name : "(none)",
                     strerror(errno ? errno : ENOENT));
        gpgme_release(ctx);
        return CM_ERR_ENGINE;
    }
    gpgme_set_armor(ctx, 1);
    gpgme_set_offline(ctx, 1);
    *out = ctx;
    return CM_OK;
}

static void cancel_cb(void *ctx)
{
    (void) gpgme_cancel_async(ctx);
}

cm_watch *cm_gpgme_watch(const cm_config *cfg, gpgme_ctx_t ctx)
{
    cm_watch *w = cm_watch_start(cfg->engine_timeout, cancel_cb, ctx);

    if (w == NULL)
        cm_log_errno("engine watchdog");
    return w;
}

static cm_stat gpg_session_new(const cm_config *cfg, cm_crypto_session **out)
{
    cm_crypto_session *s;
    cm_stat st;

    *out = NULL;
    if ((s = calloc(1, sizeof(*s))) == NULL)
        return CM_ERR_NOMEM;
    s->cfg = cfg;
    if ((s->keys = calloc(1, sizeof(gpgme_key_t))) == NULL) {
        free(s);
        return CM_ERR_NOMEM;
    }
    if ((st = cm_gpgme_ctx_new(cfg, &s->ctx)) != CM_OK
        || (st = cm_gpgme_index_get(cfg, &s->index)) != CM_OK) {
        if (s->ctx != NULL)
            gpgme_release(s->ctx);
        free(s->keys);
        free(s);
        return st;
    }
    *out = s;
    return CM_OK;
}

static void gpg_session_free(cm_crypto_session *s)
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

static cm_stat add_key(cm_crypto_session *s, gpgme_key_t key)
{
    gpgme_key_t *nk;
    size_t i;

    for (i = 0; i < s->nkeys; i++)
        if (strcmp(s->keys[i]->fpr, key->fpr) == 0)
            return CM_OK;       /* one key, one session key packet */
    if ((nk = cm_array_resize(s->keys, s->nkeys + 2, sizeof(*nk))) == NULL)
        return CM_ERR_NOMEM;
    s->keys = nk;
    gpgme_key_ref(key);
    s->keys[s->nkeys++] = key;
    s->keys[s->nkeys] = NULL;
    return CM_OK;
}

static cm_stat gpg_add_recipient(cm_crypto_session *s, const char *addr, int *found)
{
    gpgme_key_t key = cm_gpgme_index_find(s->index, addr);
    cm_stat st = CM_OK;

    *found = 0;
    if (key != NULL) {
        cm_log_debug("key for <%s>: %s", addr, key->fpr);
        if ((st = add_key(s, key)) == CM_OK)
            *found = 1;
    }
    return st;
}

/* GPGME data callbacks. */
static ssize_t entity_read_cb(void *handle, void *buf, size_t size)
{
    return cm_entity_read(handle, buf, size);
}

/* Where gpg's output goes: CRLF into the spool, and through the armor
 * reader that judges it. */
typedef struct armor_sink {
    cm_spool *out;
    cm_crlf crlf;
    cm_buf tmp;
    cm_armor check;
    int write_errno;        /* the first failed write, 0 if none */
} armor_sink;

static ssize_t armor_write_cb(void *handle, const void *buf, size_t size)
{
    armor_sink *a = handle;

    cm_buf_reset(&a->tmp);
    if (cm_armor_push(&a->check, buf, size) < 0 || cm_crlf_push(&a->crlf, buf, size, &a->tmp) < 0) {
        a->write_errno = ENOMEM;
        errno = ENOMEM;
        return -1;
    }
    if (cm_spool_write(a->out, a->tmp.data, a->tmp.len) < 0) {
        a->write_errno = errno ? errno : EIO;
        return -1;
    }
    return (ssize_t) size;
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

/* Is what gpg wrote one encrypted message for exactly our keys? */
static int output_ok(cm_crypto_session *s, armor_sink *sink)
{
    const cm_pgppkt *pk = &sink->check.pkt;
    int r = cm_armor_finish(&sink->check);

    if (r < 0)
        return -1;
    if (r == 1 && pk->npkesk == s->nkeys && pk->nskesk == 0
        && (pk->enc_tag == CM_PKT_SEIPD || pk->enc_tag == CM_PKT_AEAD))
        return 1;
    cm_log_error("engine output rejected: %s; %zu of %zu session key packets, data packet %d, "
                 "%llu bytes", r == 1 ? "wrong packets" : "not one complete armored message",
                 pk->npkesk, s->nkeys, pk->enc_tag, (unsigned long long) sink->check.decoded);
    return 0;
}

typedef struct encrypt_args {
    cm_crypto_session *s;
    gpgme_data_t in, out;
} encrypt_args;

static gpgme_error_t encrypt_start(void *arg)
{
    encrypt_args *a = arg;

    return gpgme_op_encrypt_start(a->s->ctx, a->s->keys, GPGME_ENCRYPT_ALWAYS_TRUST, a->in, a->out);
}

static void tick_entity(void *e)
{
    cm_entity_tick(e);
}

static cm_stat gpg_encrypt(cm_crypto_session *s, cm_entity *in, cm_spool *out, cm_envelope *env)
{
    struct gpgme_data_cbs in_cbs = {entity_read_cb, NULL, NULL, NULL};
    struct gpgme_data_cbs out_cbs = {NULL, armor_write_cb, NULL, NULL};
    gpgme_data_t din = NULL, dout = NULL;
    gpgme_encrypt_result_t res;
    gpgme_error_t ge;
    enc_status es = {0, 0};
    armor_sink sink;
    cm_watch *w;
    char boundary[CM_BOUNDARY_LEN];
    cm_stat st = CM_OK;
    encrypt_args ea;
    int ok, expired, loop_expired;

    memset(env, 0, sizeof(*env));
    if (s->nkeys == 0)
        return CM_ERR_INTERNAL;
    memset(&sink, 0, sizeof(sink));
    sink.out = out;
    cm_crlf_init(&sink.crlf);
    cm_buf_init(&sink.tmp);
    cm_armor_init(&sink.check);
    if (cm_boundary_new(boundary) < 0) {
        st = CM_ERR_INTERNAL;
        goto done;
    }
    if (cm_pgpmime_begin(boundary, out) < 0) {
        st = errno == ENOMEM ? CM_ERR_NOMEM : CM_ERR_SPOOL;
        goto done;
    }
    if ((ge = gpgme_data_new_from_cbs(&din, &in_cbs, in)) != 0
        || (ge = gpgme_data_new_from_cbs(&dout, &out_cbs, &sink)) != 0) {
        cm_log_error("GPGME data: %s", gpgme_strerror(ge));
        st = CM_ERR_ENGINE;
        goto done;
    }
    gpgme_set_status_cb(s->ctx, status_cb, &es);
    /* The watch kills gpg at the deadline; our loop notices and cancels. */
    if ((w = cm_watch_start(s->cfg->engine_timeout, NULL, NULL)) == NULL) {
        cm_log_errno("engine watchdog");
        st = CM_ERR_INTERNAL;
        goto done;
    }
    ea.s = s;
    ea.in = din;
    ea.out = dout;
    ge = cm_gpgme_run(s->ctx, s->cfg->engine_timeout, encrypt_start, &ea,
                      tick_entity, in, &loop_expired);
    expired = cm_watch_stop(w) || loop_expired;
    gpgme_set_status_cb(s->ctx, NULL, NULL);
    res = gpgme_op_encrypt_result(s->ctx);
    if (expired) {
        cm_log_error("encryption: gpg did not finish within EngineTimeout (%llus)",
                     (unsigned long long) s->cfg->engine_timeout);
        st = CM_ERR_TIMEOUT;
    } else if (sink.write_errno != 0) {
        errno = sink.write_errno;
        cm_log_errno("encryption: writing the ciphertext to the spool");
        st = sink.write_errno == ENOMEM ? CM_ERR_NOMEM : CM_ERR_SPOOL;
    } else if (res != NULL && res->invalid_recipients != NULL) {
        cm_log_error("encryption refused key %s: %s",
                     res->invalid_recipients->fpr ? res->invalid_recipients->fpr : "?",
                     gpgme_strerror(res->invalid_recipients->reason));
        st = CM_ERR_ENCRYPT;
    } else if (ge != 0) {
        cm_log_error("encryption failed: %s", gpgme_strerror(ge));
        st = gpg_err_code(ge) == GPG_ERR_ENOMEM ? CM_ERR_NOMEM : CM_ERR_ENCRYPT;
    } else if (!es.end_seen || es.error_seen) {
        cm_log_error("encryption: gpg ended without %s", es.error_seen ? "success (ERROR status)"
                     : "reporting END_ENCRYPTION");
        st = CM_ERR_ENCRYPT;
    } else if ((ok = output_ok(s, &sink)) <= 0) {
        st = ok < 0 ? CM_ERR_NOMEM : CM_ERR_ENCRYPT;
    }
    if (st != CM_OK)
        goto done;
    if (cm_pgpmime_end(boundary, out) < 0) {
        st = errno == ENOMEM ? CM_ERR_NOMEM : CM_ERR_SPOOL;
        goto done;
    }
    if ((env->content_type = cm_pgpmime_content_type(boundary)) == NULL) {
        st = CM_ERR_NOMEM;
        goto done;
    }
    env->trace = "encrypted pgp-mime";

done:
    gpgme_data_release(din);
    gpgme_data_release(dout);
    cm_buf_free(&sink.tmp);
    cm_armor_free(&sink.check);
    return st;
}

const cm_crypto_ops cm_gpgme_ops = {
    "openpgp",
    gpg_init,
    gpg_session_new,
    gpg_session_free,
    gpg_add_recipient,
    gpg_encrypt,
};
