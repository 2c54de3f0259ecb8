/* cm_rnp_dec - the librnp engine's outbound half, with public keys only:
 * detached signatures, and who a signing key belongs to. Decryption with a
 * gateway key is gpg-agent's, through the GPGME engine, whatever the
 * backend (cm_engines_pgp_decrypter): this engine holds no secret key.
 * A signature is what librnp says of it, with the signer's primary
 * fingerprint and the signature time, as cm_gpgme_dec says it; cm_gate
 * judges the rest. */
#include "cm_rnp_int.h"
#include "cm_idn.h"
#include "cm_log.h"
#include "cm_sigs.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

cm_stat cm_rnp_key_has_addr(cm_engine_session *s, const char *fpr, const char *addr, int *yes)
{
    const cm_rnp_key *k = cm_rnp_ring_by_fpr(s->ring, fpr);
    size_t i;
    int r;

    *yes = 0;
    if (k == NULL || k->revoked || k->disabled || k->invalid)
        return CM_OK;
    /* k->addrs hold an IDN domain folded (cm_idn_fold); addr may not. */
    for (i = 0; i < k->naddrs && !*yes; i++)
        if ((r = cm_idn_addr_eq(k->addrs[i], addr)) < 0)
            return CM_ERR_NOMEM;
        else
            *yes = r;
    return CM_OK;
}

static int key_flag(rnp_result_t (*fn)(rnp_key_handle_t, bool *), rnp_key_handle_t h)
{
    bool b = false;

    return h != NULL && fn(h, &b) == RNP_SUCCESS && b;
}

/* May key make signatures, by its own (binding) self-signature's flags?
 * No if librnp cannot say. */
static int allows_signing(rnp_key_handle_t key)
{
    bool b = false;

    return rnp_key_allows_usage(key, "sign", &b) == RNP_SUCCESS && b;
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
    /* librnp checks a signature by a (sub)key not flagged for signing
     * (encryption or authentication only, no flags, with a back-signature
     * or not); gpg refuses it before it checks it (ERRSIG, wrong key
     * usage), and so does this engine: cannot be checked. */
    if (!allows_signing(key))
        sg->status = CM_SIG_ERROR;
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

/* On ffi, one of the pool's, held by this thread. */
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
    if ((st = cm_rnp_pool_take(&s->ring->pool, s->mc, &slot)) != CM_OK)
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
