/* cm_pgpdecrypt - the OpenPGP ciphertext of an outbound message (PGP/MIME
 * part 2, or an inline block), checked and then decrypted.
 *
 * Before the engine sees a byte, our own armor and packet walk has read
 * the ciphertext (in detection: w->pkt): which keys it is for (only a
 * message with a session key packet for a gateway key is decrypted: the
 * engine is never asked to use any other key) and whether it is integrity
 * protected (a legacy SED packet is refused, never decrypted: EFAIL). */
#include "cm_pgpdecrypt.h"
#include "cm_plainsink.h"
#include "cm_log.h"

#include <errno.h>
#include <string.h>

/* One run of the engine over the ciphertext into out->plain. */
static cm_stat decrypt_once(const cm_engine_ops *ops, cm_engine_session *s, const cm_msgctx *mc,
                            cm_spool *body, const cm_detect_where *w, cm_pgp_plain *out)
{
    cm_reader rd;
    cm_writer wr;
    cm_plainsink ps;
    cm_spool_range c;       /* the ciphertext: detection takes OpenPGP only unencoded */
    cm_digest *dg;
    cm_stat st;

    /* Digested as the engine wrote it: what was signed. */
    if ((dg = cm_digest_new()) == NULL)
        return CM_ERR_NOMEM;
    cm_plainsink_init(&ps, out->plain, dg, cm_config_max_decrypted(mc->cfg));
    cm_spool_range_init(&c, body, w->off, w->len);
    rd.read = cm_spool_range_pull;
    rd.tick = NULL;
    rd.arg = &c;
    wr.write = cm_plainsink_write;
    wr.arg = &ps;
    st = ops->decrypt_verify(s, &rd, &wr, &out->sigs);
    if (ps.over)
        st = cm_plainsink_over(&ps, mc);
    else if (c.err != 0) {
        /* Ours, whatever the engine made of it: never "damaged" (5xx). */
        errno = c.err;
        cm_log_errno("%s: decryption: reading the ciphertext from the spool", CM_QID(mc));
        st = cm_stat_of_errno(c.err);
    }
    if (st == CM_OK && cm_digest_final(dg, out->digest) < 0)
        st = CM_ERR_NOMEM;
    cm_digest_free(dg);
    cm_plainsink_free(&ps);
    return st;
}

cm_stat cm_pgp_decrypt(const cm_engine_ops *ops, cm_engine_session *s, const cm_msgctx *mc,
                       cm_spool *body, const cm_detect_where *w, cm_pgp_plain *out)
{
    const char *qid = CM_QID(mc);
    cm_stat st;
    int ours = 0, attempt;

    out->ours = 0;
    if ((st = ops->gateway_match(s, w->pkt.keyids, w->pkt.nkeyids, &ours)) != CM_OK)
        return st;
    if (!ours) {
        cm_log_info("%s: ciphertext is not for a gateway key: passed as it is", qid);
        return CM_OK;
    }
    out->ours = 1;
    if (w->pkt.enc_tag != CM_PKT_SEIPD && w->pkt.enc_tag != CM_PKT_AEAD) {
        cm_log_notice("%s: ciphertext for the gateway has no integrity protection (packet %d): "
                      "not decrypted", qid, w->pkt.enc_tag);
        return CM_DECRYPT_FAILED;
    }
    /* gpg stopping without a verdict after it began could be a crash (our
     * problem: 4xx) or the message (gpg exits on some damage without a
     * status line): the same outcome twice is the message's. */
    for (attempt = 0; attempt < 2; attempt++) {
        if (attempt > 0) {
            cm_log_notice("%s: the engine stopped while decrypting; trying once more", qid);
            if (cm_spool_truncate(out->plain) < 0)
                return CM_ERR_SPOOL;
        }
        st = decrypt_once(ops, s, mc, body, w, out);
        if (st != CM_ERR_ENGINE_MIDSTREAM)
            return st;
    }
    cm_log_notice("%s: the engine stopped twice while decrypting: the ciphertext is damaged", qid);
    return CM_DECRYPT_FAILED;
}

