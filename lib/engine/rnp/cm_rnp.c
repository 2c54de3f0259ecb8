/* cm_rnp - the OpenPGP engine on librnp: no process per operation. The
 * public keyring is held in memory (cm_rnp_ring); lookups read its index, and
 * encryption runs in this thread on an FFI object the ring's pool lends it
 * (librnp's are not thread-safe), streaming from the reader to the writer.
 * It holds no secret key: decryption is gpg-agent's, through GPGME. */
#include "cm_rnp.h"
#include "cm_rnp_int.h"
#include "cm_buf.h"
#include "cm_log.h"

#include <stdlib.h>
#include <string.h>

static bool read_cb(void *app_ctx, void *buf, size_t len, size_t *nread)
{
    ssize_t r = cm_engine_io_read(app_ctx, buf, len);

    *nread = r > 0 ? (size_t) r : 0;
    return r >= 0;
}

static bool write_cb(void *app_ctx, const void *buf, size_t len)
{
    return cm_engine_io_write(app_ctx, buf, len) == 0;
}

rnp_result_t cm_rnp_input(rnp_input_t *input, cm_engine_io *io)
{
    return rnp_input_from_callback(input, read_cb, NULL, io);
}

rnp_result_t cm_rnp_output(rnp_output_t *output, cm_engine_io *io)
{
    return rnp_output_to_callback(output, write_cb, NULL, io);
}

static cm_stat rnp_create(cm_engine **out, char *err, size_t errlen)
{
    cm_engine *e = calloc(1, sizeof(*e));

    (void) err;
    (void) errlen;
    if (e == NULL || (e->cache = cm_rnp_ring_cache_new()) == NULL) {
        free(e);
        return CM_ERR_NOMEM;
    }
    *out = e;
    return CM_OK;
}

static void rnp_destroy(cm_engine *e)
{
    if (e == NULL)
        return;
    cm_snapshot_free(e->cache);
    free(e);
}

static cm_stat rnp_session_new(cm_engine *e, const cm_msgctx *mc, cm_engine_session **out)
{
    cm_engine_session *s = calloc(1, sizeof(*s));
    cm_stat st;

    if (s == NULL)
        return CM_ERR_NOMEM;
    s->mc = mc;
    if ((st = cm_rnp_ring_get(e->cache, mc, &s->ring)) != CM_OK) {
        free(s);
        return st;
    }
    *out = s;
    return CM_OK;
}

static void rnp_session_free(cm_engine_session *s)
{
    if (s == NULL)
        return;
    cm_rnp_ring_put(s->ring);
    free(s->keys);
    free(s);
}

static cm_stat rnp_lookup(cm_engine_session *s, const char *addr, const cm_key **key)
{
    *key = (const cm_key *) cm_rnp_ring_find(s->ring, addr);
    return CM_OK;
}

static const char *rnp_key_fpr(const cm_key *key)
{
    return ((const cm_rnp_key *) key)->fpr;
}

static cm_stat rnp_add_recipient(cm_engine_session *s, const cm_key *key)
{
    const cm_rnp_key *k = (const cm_rnp_key *) key;
    const cm_rnp_key **nk;
    size_t i;

    for (i = 0; i < s->nkeys; i++)
        if (s->keys[i] == k)
            return CM_OK;       /* one key, one session key packet */
    if ((nk = cm_array_resize(s->keys, s->nkeys + 1, sizeof(*nk))) == NULL)
        return CM_ERR_NOMEM;
    s->keys = nk;
    s->keys[s->nkeys++] = k;
    return CM_OK;
}

static cm_stat rnp_key_by_id(cm_engine_session *s, const char *id, int64_t now,
                             const cm_key **key, cm_keyinfo *info)
{
    const cm_rnp_key *k = cm_rnp_ring_by_fpr(s->ring, id);

    *key = (const cm_key *) k;
    if (k == NULL)
        info->state = CM_KEY_MISSING;
    else
        cm_rnp_ring_key_info(k, now, info);
    return CM_OK;
}

static size_t rnp_recipients(const cm_engine_session *s)
{
    return s->nkeys;
}

static cm_stat map_result(rnp_result_t rr)
{
    return rr == RNP_ERROR_OUT_OF_MEMORY ? CM_ERR_NOMEM : CM_ERR_ENCRYPT;
}

/* The encryption itself, on an FFI object this thread holds. */
static rnp_result_t encrypt_on(rnp_ffi_t ffi, cm_engine_session *s, cm_engine_io *io,
                               const char **failed)
{
    rnp_input_t in = NULL;
    rnp_output_t out = NULL;
    rnp_op_encrypt_t op = NULL;
    rnp_result_t rr;
    size_t i;

    *failed = NULL;
    if ((rr = cm_rnp_input(&in, io)) != RNP_SUCCESS || (rr = cm_rnp_output(&out, io)) != RNP_SUCCESS
        || (rr = rnp_op_encrypt_create(&op, ffi, in, out)) != RNP_SUCCESS)
        goto done;
    for (i = 0; i < s->nkeys && rr == RNP_SUCCESS; i++) {
        rnp_key_handle_t h = NULL;

        rr = rnp_locate_key(ffi, "fingerprint", s->keys[i]->fpr, &h);
        if (rr == RNP_SUCCESS && h == NULL)
            rr = RNP_ERROR_KEY_NOT_FOUND;
        if (rr == RNP_SUCCESS)
            rr = rnp_op_encrypt_add_recipient(op, h);
        if (rr != RNP_SUCCESS)
            *failed = s->keys[i]->fpr;
        (void) rnp_key_handle_destroy(h);
    }
    /* What gpg does for these keys: AES-256 with MDC (SEIPD v1), which
     * every OpenPGP implementation reads; no compression unless asked
     * (most attachments are compressed already). */
    if (rr == RNP_SUCCESS)
        rr = rnp_op_encrypt_set_armor(op, false);     /* cm_pgpmime armors */
    if (rr == RNP_SUCCESS)
        rr = rnp_op_encrypt_set_cipher(op, "AES256");
    if (rr == RNP_SUCCESS)
        rr = s->mc->cfg->compress ? rnp_op_encrypt_set_compression(op, "ZLIB", 6)
                                  : rnp_op_encrypt_set_compression(op, "Uncompressed", 0);
    if (rr == RNP_SUCCESS)
        rr = rnp_op_encrypt_execute(op);
    if (rr == RNP_SUCCESS)
        rr = rnp_output_finish(out);
done:
    (void) rnp_op_encrypt_destroy(op);
    (void) rnp_input_destroy(in);
    (void) rnp_output_destroy(out);
    return rr;
}

static cm_stat rnp_encrypt(cm_engine_session *s, cm_reader *in, cm_writer *out)
{
    const char *qid = CM_QID(s->mc), *failed;
    rnp_result_t rr;
    cm_engine_io io;
    size_t slot;
    cm_stat st;

    if (s->nkeys == 0)
        return CM_ERR_INTERNAL;
    cm_engine_io_init(&io, s->mc, in, out);
    if ((st = cm_rnp_pool_take(&s->ring->pool, s->mc, &slot)) != CM_OK)
        return st;
    rr = encrypt_on(s->ring->pool.ffi[slot], s, &io, &failed);
    cm_rnp_pool_give(&s->ring->pool, slot);
    if ((st = cm_engine_io_status(&io, s->mc, "encryption")) != CM_OK)
        return st;
    if (rr == RNP_SUCCESS)
        return CM_OK;
    if (failed != NULL)
        cm_log_error("%s: encryption refused key %s: %s", qid, failed, rnp_result_to_string(rr));
    else
        cm_log_error("%s: encryption failed: %s", qid, rnp_result_to_string(rr));
    return map_result(rr);
}

static cm_stat rnp_keyring_summary(cm_engine_session *s, int64_t now, int64_t window,
                                   cm_keyring_summary *out)
{
    cm_rnp_ring_summary(s->ring, now, window, out);
    return CM_OK;
}

static cm_stat rnp_keyring_list(cm_engine_session *s, int64_t now, cm_keyinfo_fn fn, void *arg)
{
    cm_rnp_ring_list(s->ring, now, fn, arg);
    return CM_OK;
}

/* No gateway_match, decrypt_verify or gateway_ready: decryption is
 * gpg-agent's, through GPGME (cm_engines_pgp_decrypter); no
 * decrypt_gateway: S/MIME only. */
const cm_engine_ops cm_rnp_engine = {
    .name = "rnp",
    .key_class = CM_KEY_OPENPGP,
    .create = rnp_create,
    .destroy = rnp_destroy,
    .session_new = rnp_session_new,
    .session_free = rnp_session_free,
    .lookup = rnp_lookup,
    .key_fpr = rnp_key_fpr,
    .add_recipient = rnp_add_recipient,
    .recipients = rnp_recipients,
    .encrypt = rnp_encrypt,
    .verify_detached = cm_rnp_verify_detached,
    .key_has_addr = cm_rnp_key_has_addr,
    .keyring_summary = rnp_keyring_summary,
    .keyring_list = rnp_keyring_list,
    .key_by_id = rnp_key_by_id,
};
