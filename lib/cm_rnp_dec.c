/* cm_rnp_dec - the librnp engine's outbound half: which keys a message is
 * for, decryption with the signatures made with it, detached signatures,
 * and who a signing key belongs to. The same answers as cm_gpgme_dec:
 * - a decryption counts only if librnp finished it and says the cipher was
 *   integrity protected (MDC or AEAD) and the protection checked out; the
 *   caller throws the output away on anything else;
 * - a signature is what librnp says of it, with the signer's primary
 *   fingerprint and the signature time; cm_gate judges the rest.
 * librnp works in this thread: there is no crash to tell from damage, so
 * this engine never answers CM_ERR_ENGINE_MIDSTREAM. */
#include "cm_rnp_int.h"
#include "cm_list.h"
#include "cm_log.h"
#include "cm_sigs.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

cm_stat cm_rnp_gateway_match(cm_engine_session *s, const uint64_t *keyids, size_t n, int *yes)
{
    const cm_list *gw = &s->mc->cfg->gateway_keys;
    size_t g, i, j;

    *yes = 0;
    for (g = 0; g < gw->n; g++) {
        const cm_rnp_key *k = cm_rnp_ring_by_fpr(s->ring, gw->v[g]);

        if (k == NULL) {
            cm_log_error("%s: GatewayKeys names %s, which is not in KeyringDir %s", CM_QID(s->mc),
                         gw->v[g], s->mc->cfg->keyring_dir);
            return CM_ERR_GATEWAY_KEY;
        }
        /* Any of its encryption subkeys, expired ones too (as gpgme). */
        for (i = 0; i < k->nenc_keyids; i++)
            for (j = 0; j < n; j++)
                if (keyids[j] == k->enc_keyids[i])
                    *yes = 1;
    }
    return CM_OK;
}

cm_stat cm_rnp_gateway_ready(cm_engine_session *s, char *why, size_t len)
{
    const cm_list *gw = &s->mc->cfg->gateway_keys;
    size_t g;

    for (g = 0; g < gw->n; g++)
        if (cm_rnp_ring_by_fpr(s->ring, gw->v[g]) == NULL) {
            snprintf(why, len, "GatewayKeys names %s, which is not in KeyringDir %s", gw->v[g],
                     s->mc->cfg->keyring_dir);
            return CM_ERR_GATEWAY_KEY;
        }
    if (gw->n > 0 && !s->ring->gateway_secret_ok) {
        snprintf(why, len, "GatewayKeys: a secret part is not usable: is it in %s/"
                 "private-keys-v1.d, without a passphrase?", s->mc->cfg->keyring_dir);
        return CM_ERR_GATEWAY_KEY;
    }
    return CM_OK;
}

cm_stat cm_rnp_key_has_addr(cm_engine_session *s, const char *fpr, const char *addr, int *yes)
{
    const cm_rnp_key *k = cm_rnp_ring_by_fpr(s->ring, fpr);
    size_t i;

    *yes = 0;
    if (k == NULL || k->revoked || k->disabled || k->invalid)
        return CM_OK;
    for (i = 0; i < k->naddrs; i++)
        if (strcasecmp(k->addrs[i], addr) == 0)
            *yes = 1;
    return CM_OK;
}

static int key_flag(rnp_result_t (*fn)(rnp_key_handle_t, bool *), rnp_key_handle_t h)
{
    bool b = false;

    return h != NULL && fn(h, &b) == RNP_SUCCESS && b;
}

/* One signature librnp checked into sg. */
static void read_sig(rnp_ffi_t ffi, rnp_op_verify_signature_t vs, cm_sig *sg)
{
    rnp_result_t status = rnp_op_verify_signature_get_status(vs);
    rnp_signature_handle_t sh = NULL;
    rnp_key_handle_t key = NULL, primary = NULL;
    uint32_t created = 0, expires = 0;
    char *s = NULL;

    memset(sg, 0, sizeof(*sg));
    sg->created = -1;
    switch (status) {
    case RNP_SUCCESS:
        sg->status = CM_SIG_GOOD;
        break;
    case RNP_ERROR_SIGNATURE_EXPIRED:
        sg->status = CM_SIG_EXPIRED;
        break;
    case RNP_ERROR_KEY_NOT_FOUND:
        sg->status = CM_SIG_NOKEY;
        break;
    case RNP_ERROR_SIGNATURE_INVALID:
        sg->status = CM_SIG_BAD;
        break;
    default:
        sg->status = CM_SIG_ERROR;
        break;
    }
    if (rnp_op_verify_signature_get_times(vs, &created, &expires) == RNP_SUCCESS)
        sg->created = (int64_t) created;
    /* librnp calls a signature from the future "expired" once the
     * cryptography holds; gpg calls it good and cm_gate refuses it for its
     * time (5.7.1, "clock"), so this engine does the same. */
    if (sg->status == CM_SIG_EXPIRED && sg->created > (int64_t) time(NULL))
        sg->status = CM_SIG_GOOD;
    if (rnp_op_verify_signature_get_handle(vs, &sh) == RNP_SUCCESS && sh != NULL) {
        if (rnp_signature_get_keyid(sh, &s) == RNP_SUCCESS && s != NULL)
            snprintf(sg->keyid, sizeof(sg->keyid), "%s", s);
        rnp_buffer_destroy(s);
        (void) rnp_signature_handle_destroy(sh);
    }
    if (rnp_op_verify_signature_get_key(vs, &key) != RNP_SUCCESS || key == NULL)
        return;
    s = NULL;
    if ((key_flag(rnp_key_is_primary, key) ? rnp_key_get_fprint(key, &s)
                                           : rnp_key_get_primary_fprint(key, &s)) == RNP_SUCCESS
        && s != NULL) {
        snprintf(sg->fpr, sizeof(sg->fpr), "%s", s);
        (void) rnp_locate_key(ffi, "fingerprint", s, &primary);
    }
    rnp_buffer_destroy(s);
    /* librnp calls a signature by a revoked or expired key invalid; gpg
     * says REVKEYSIG/EXPKEYSIG, and so does this engine. */
    if (sg->status == CM_SIG_BAD || sg->status == CM_SIG_GOOD) {
        if (key_flag(rnp_key_is_revoked, key) || key_flag(rnp_key_is_revoked, primary))
            sg->status = CM_SIG_KEY_REVOKED;
        else if (key_flag(rnp_key_is_expired, key) || key_flag(rnp_key_is_expired, primary))
            sg->status = CM_SIG_KEY_EXPIRED;
    }
    (void) rnp_key_handle_destroy(primary);
    (void) rnp_key_handle_destroy(key);
}

/* The signatures op checked into sigs; -1 if librnp could not say (ours:
 * never read as "unsigned" or "does not verify"). */
static int read_sigs(rnp_ffi_t ffi, rnp_op_verify_t op, cm_sigs *sigs)
{
    size_t n = 0, i;

    if (rnp_op_verify_get_signature_count(op, &n) != RNP_SUCCESS)
        return -1;
    sigs->seen = n;
    for (i = 0; i < n && sigs->n < CM_SIGS_MAX; i++) {
        rnp_op_verify_signature_t vs = NULL;

        if (rnp_op_verify_get_signature_at(op, i, &vs) != RNP_SUCCESS || vs == NULL)
            return -1;
        read_sig(ffi, vs, &sigs->v[sigs->n++]);
    }
    return 0;
}

/* How the decryption went, read before the op is destroyed. */
typedef struct dec_result {
    rnp_result_t rr;
    int for_gateway;        /* a session key packet names a gateway encryption key */
    char *mode;             /* "cfb-mdc", "aead-ocb"...; NULL if unknown */
    bool valid;             /* integrity protection present and checked */
    int unknown;            /* librnp could not tell the protection or the signatures */
} dec_result;

/* Is one of the message's session key packets for a gateway key? */
static int for_gateway(cm_engine_session *s, rnp_op_verify_t op)
{
    size_t n = 0, i;
    int yes = 0;

    if (rnp_op_verify_get_recipient_count(op, &n) != RNP_SUCCESS)
        return 0;
    for (i = 0; i < n && !yes; i++) {
        rnp_recipient_handle_t rh = NULL;
        char *kid = NULL;
        uint64_t id;

        if (rnp_op_verify_get_recipient_at(op, i, &rh) == RNP_SUCCESS && rh != NULL
            && rnp_recipient_get_keyid(rh, &kid) == RNP_SUCCESS && kid != NULL
            && sscanf(kid, "%16" SCNx64, &id) == 1
            && cm_rnp_gateway_match(s, &id, 1, &yes) != CM_OK)
            yes = 0;
        rnp_buffer_destroy(kid);
    }
    return yes;
}

/* On ffi, the pool's slot 0 (the gateway's secret keys), held by this thread. */
static void decrypt_on(rnp_ffi_t ffi, cm_engine_session *s, cm_engine_io *io, cm_sigs *sigs,
                       dec_result *res)
{
    rnp_input_t in = NULL;
    rnp_output_t out = NULL;
    rnp_op_verify_t op = NULL;
    rnp_result_t rr;

    if ((rr = cm_rnp_input(&in, io)) == RNP_SUCCESS && (rr = cm_rnp_output(&out, io)) == RNP_SUCCESS
        && (rr = rnp_op_verify_create(&op, ffi, in, out)) == RNP_SUCCESS
        && (rr = rnp_op_verify_set_flags(op, RNP_VERIFY_IGNORE_SIGS_ON_DECRYPT)) == RNP_SUCCESS) {
        rr = rnp_op_verify_execute(op);
        if (rnp_op_verify_get_protection_info(op, &res->mode, NULL, &res->valid) != RNP_SUCCESS) {
            res->mode = NULL;
            res->valid = false;
            res->unknown = 1;
        }
        if (read_sigs(ffi, op, sigs) < 0)
            res->unknown = 1;
        res->for_gateway = for_gateway(s, op);
    }
    res->rr = rr;
    (void) rnp_op_verify_destroy(op);
    (void) rnp_input_destroy(in);
    (void) rnp_output_destroy(out);
}

/* librnp's failures that are the gateway's, whatever the message held:
 * a wrong call, a missing feature of this build, the RNG, a buffer or
 * write of ours. The sender gets a 4xx, never "cannot decrypt" (5xx). */
static int engine_fault(rnp_result_t rr)
{
    switch (rr) {
    case RNP_ERROR_BAD_PARAMETERS:
    case RNP_ERROR_NOT_IMPLEMENTED:
    case RNP_ERROR_SHORT_BUFFER:
    case RNP_ERROR_NULL_POINTER:
    case RNP_ERROR_ACCESS:
    case RNP_ERROR_WRITE:
    case RNP_ERROR_RNG:
        return 1;
    default:
        return 0;
    }
}

cm_stat cm_rnp_decrypt_verify(cm_engine_session *s, cm_reader *in, cm_writer *out, cm_sigs *sigs)
{
    const char *qid = CM_QID(s->mc);
    dec_result res = {RNP_SUCCESS, 0, NULL, false, 0};
    int integrity;
    cm_engine_io io;
    size_t slot;
    cm_stat st;

    memset(sigs, 0, sizeof(*sigs));
    if (!s->ring->gateway_secret_ok) {
        cm_log_error("%s: the gateway key's secret part is not usable: is it in %s/"
                     "private-keys-v1.d, without a passphrase?", qid, s->mc->cfg->keyring_dir);
        return CM_ERR_GATEWAY_KEY;
    }
    cm_engine_io_init(&io, s->mc, in, out);
    if ((st = cm_rnp_pool_take(&s->ring->pool, s->mc, 1, &slot)) != CM_OK)
        return st;
    decrypt_on(s->ring->pool.ffi[slot], s, &io, sigs, &res);
    cm_rnp_pool_give(&s->ring->pool, slot);
    integrity = res.mode != NULL && res.valid
                && (strcmp(res.mode, "cfb-mdc") == 0 || strncmp(res.mode, "aead", 4) == 0);
    if ((st = cm_engine_io_status(&io, s->mc, "decryption")) != CM_OK) {
        ;
    } else if (res.rr == RNP_SUCCESS && res.unknown) {
        /* Decrypted, but librnp would not say how it was protected or who
         * signed: ours to fix, not the sender's (4xx). */
        cm_log_error("%s: decryption: librnp did not report the protection or the signatures",
                     qid);
        st = CM_ERR_ENGINE;
    } else if (res.rr == RNP_SUCCESS && integrity) {
        cm_sigs_log(s->mc, sigs);
    } else if (res.rr == RNP_ERROR_OUT_OF_MEMORY) {
        st = CM_ERR_NOMEM;
    } else if (engine_fault(res.rr)) {
        cm_log_error("%s: decryption: librnp failed: %s", qid, rnp_result_to_string(res.rr));
        st = CM_ERR_ENGINE;
    } else if (res.rr == RNP_ERROR_NO_SUITABLE_KEY && !res.for_gateway) {
        /* As gpg's NO_SECKEY: no key of ours to decrypt it with. */
        cm_log_error("%s: no gateway secret key for this message in %s/private-keys-v1.d",
                     qid, s->mc->cfg->keyring_dir);
        st = CM_ERR_GATEWAY_KEY;
    } else {
        /* Why, for the administrator; the sender learns only "cannot decrypt". */
        cm_log_notice("%s: decryption failed: %s (protection %s%s)", qid,
                      rnp_result_to_string(res.rr), res.mode ? res.mode : "unknown",
                      res.valid ? "" : ", not verified");
        st = CM_DECRYPT_FAILED;
    }
    rnp_buffer_destroy(res.mode);
    if (st != CM_OK)
        memset(sigs, 0, sizeof(*sigs));
    return st;
}

/* On ffi, the pool's slot 0, held by this thread. */
static void verify_on(rnp_ffi_t ffi, cm_engine_io *io, const void *sig, size_t siglen,
                      cm_sigs *sigs, rnp_result_t *rrp, int *unknown)
{
    rnp_input_t data = NULL, sgin = NULL;
    rnp_op_verify_t op = NULL;
    rnp_result_t rr;

    if ((rr = cm_rnp_input(&data, io)) == RNP_SUCCESS
        && (rr = rnp_input_from_memory(&sgin, sig, siglen, false)) == RNP_SUCCESS
        && (rr = rnp_op_verify_detached_create(&op, ffi, data, sgin)) == RNP_SUCCESS) {
        rr = rnp_op_verify_execute(op);
        *unknown = read_sigs(ffi, op, sigs) < 0;
    }
    *rrp = rr;
    (void) rnp_op_verify_destroy(op);
    (void) rnp_input_destroy(data);
    (void) rnp_input_destroy(sgin);
}

/* librnp's verdicts on a signature it could not read at all that are the
 * signature's fault (what gpg reports as NODATA or a bad packet). */
static int unreadable(rnp_result_t rr)
{
    switch (rr) {
    case RNP_ERROR_BAD_FORMAT:
    case RNP_ERROR_NOT_SUPPORTED:
    case RNP_ERROR_READ:            /* of the signature: the data's reads are checked first */
    case RNP_ERROR_SIGNATURE_INVALID:
    case RNP_ERROR_NO_SIGNATURES_FOUND:
    case RNP_ERROR_VERIFICATION_FAILED:
    case RNP_ERROR_SIGNATURE_UNKNOWN:
    case RNP_ERROR_NOT_ENOUGH_DATA:
    case RNP_ERROR_UNKNOWN_TAG:
    case RNP_ERROR_PACKET_NOT_CONSUMED:
    case RNP_ERROR_EOF:
        return 1;
    default:
        return 0;
    }
}

cm_stat cm_rnp_verify_detached(cm_engine_session *s, cm_reader *data, const void *sig,
                               size_t siglen, cm_sigs *sigs)
{
    rnp_result_t rr = RNP_SUCCESS;
    int unknown = 0;
    cm_engine_io io;
    size_t slot;
    cm_stat st;

    memset(sigs, 0, sizeof(*sigs));
    cm_engine_io_init(&io, s->mc, data, NULL);
    if ((st = cm_rnp_pool_take(&s->ring->pool, s->mc, 1, &slot)) != CM_OK)
        return st;
    verify_on(s->ring->pool.ffi[slot], &io, sig, siglen, sigs, &rr, &unknown);
    cm_rnp_pool_give(&s->ring->pool, slot);
    if ((st = cm_engine_io_status(&io, s->mc, "signature check")) != CM_OK)
        return st;
    if (rr == RNP_ERROR_OUT_OF_MEMORY)
        return CM_ERR_NOMEM;
    if (unknown || (sigs->seen == 0 && !unreadable(rr))) {
        /* librnp could not say, or stopped for a reason of its own: ours
         * (4xx), not "your signature does not verify" nor "unsigned". */
        cm_log_error("%s: signature check: librnp gave no verdict: %s", CM_QID(s->mc),
                     rnp_result_to_string(rr));
        memset(sigs, 0, sizeof(*sigs));
        return CM_ERR_ENGINE;
    }
    if (sigs->seen == 0) {
        /* No signature librnp could read there: one that does not verify,
         * as far as the sender is concerned (gpg's NODATA). */
        cm_log_notice("%s: detached signature unreadable: %s", CM_QID(s->mc),
                      rnp_result_to_string(rr));
        sigs->seen = sigs->n = 1;
        sigs->v[0].status = CM_SIG_BAD;
        sigs->v[0].created = -1;
    }
    cm_sigs_log(s->mc, sigs);
    return CM_OK;
}
