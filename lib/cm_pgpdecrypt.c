/* cm_pgpdecrypt - the OpenPGP ciphertext of an outbound message (PGP/MIME
 * part 2, or an inline block), checked and then decrypted.
 *
 * Before the engine sees a byte, the ciphertext is read once by our own
 * armor and packet walk: which keys it is for (only a message with a
 * session key packet for a gateway key is decrypted: the engine is never
 * asked to use any other key) and whether it is integrity protected (a
 * legacy SED packet is refused, never decrypted: EFAIL). */
#include "cm_pgpdecrypt.h"
#include "cm_armor.h"
#include "cm_base64.h"
#include "cm_buf.h"
#include "cm_crlf.h"
#include "cm_log.h"

#include <errno.h>
#include <string.h>

/* The ciphertext range of the body, transfer decoding undone. */
typedef struct ct_reader {
    cm_spool_range r;
    cm_cte cte;
    cm_b64 b64;
    cm_buf out;             /* decoded, not yet handed out */
    size_t out_off;
    int eof, bad;
} ct_reader;

static void ct_init(ct_reader *c, cm_spool *body, const cm_detect_where *w)
{
    memset(c, 0, sizeof(*c));
    cm_spool_range_init(&c->r, body, w->off, w->len);
    c->cte = w->cte;
    cm_b64_init(&c->b64);
    cm_buf_init(&c->out);
}

static ssize_t ct_read(void *arg, void *buf, size_t n)
{
    ct_reader *c = arg;
    char raw[8192];
    ssize_t got;

    if (c->cte == CM_CTE_IDENTITY)
        return cm_spool_range_read(&c->r, buf, n);
    while (c->out_off == c->out.len && !c->eof) {
        cm_buf_reset(&c->out);
        c->out_off = 0;
        if ((got = cm_spool_range_read(&c->r, raw, sizeof(raw))) < 0)
            return -1;
        if (got == 0) {
            c->eof = 1;
            break;
        }
        if (cm_b64_decode(&c->b64, raw, (size_t) got, &c->out, SIZE_MAX) < 0) {
            errno = EINVAL;     /* detection accepted it: cannot happen */
            return -1;
        }
    }
    if (n > c->out.len - c->out_off)
        n = c->out.len - c->out_off;
    memcpy(buf, c->out.data + c->out_off, n);
    c->out_off += n;
    return (ssize_t) n;
}

/* The plaintext: digested as the engine wrote it (what was signed), kept
 * with CRLF line ends. */
typedef struct plain_sink {
    cm_spool *out;
    cm_digest *dg;
    cm_crlf crlf;
    cm_buf tmp;
} plain_sink;

static int plain_write(void *arg, const void *buf, size_t n)
{
    plain_sink *p = arg;

    cm_buf_reset(&p->tmp);
    if (cm_digest_update(p->dg, buf, n) < 0 || cm_crlf_push(&p->crlf, buf, n, &p->tmp) < 0) {
        errno = ENOMEM;
        return -1;
    }
    return cm_spool_write(p->out, p->tmp.data, p->tmp.len);
}

/* Read the ciphertext once through the armor and packet walk. */
static cm_stat scan(cm_spool *body, const cm_detect_where *w, cm_armor *a, int *complete)
{
    unsigned char buf[16384];
    ct_reader c;
    ssize_t n;
    int r;

    ct_init(&c, body, w);
    while ((n = ct_read(&c, buf, sizeof(buf))) > 0)
        if (cm_armor_push(a, buf, (size_t) n) < 0)
            break;
    cm_buf_free(&c.out);
    if (n < 0)
        return errno == ENOMEM ? CM_ERR_NOMEM : CM_ERR_SPOOL;
    if (n > 0 || (r = cm_armor_finish(a)) < 0)
        return CM_ERR_NOMEM;
    *complete = r == 1;
    return CM_OK;
}

/* One run of the engine over the ciphertext into out->plain. */
static cm_stat decrypt_once(const cm_engine_ops *ops, cm_engine_session *s, cm_spool *body,
                            const cm_detect_where *w, cm_pgp_plain *out)
{
    cm_reader rd;
    cm_writer wr;
    plain_sink ps;
    ct_reader c;
    cm_stat st;

    memset(&ps, 0, sizeof(ps));
    ps.out = out->plain;
    cm_crlf_init(&ps.crlf);
    cm_buf_init(&ps.tmp);
    if ((ps.dg = cm_digest_new()) == NULL)
        return CM_ERR_NOMEM;
    ct_init(&c, body, w);
    rd.read = ct_read;
    rd.tick = NULL;
    rd.arg = &c;
    wr.write = plain_write;
    wr.arg = &ps;
    st = ops->decrypt_verify(s, &rd, &wr, &out->sigs);
    if (st == CM_OK && cm_digest_final(ps.dg, out->digest) < 0)
        st = CM_ERR_NOMEM;
    cm_digest_free(ps.dg);
    cm_buf_free(&ps.tmp);
    cm_buf_free(&c.out);
    return st;
}

cm_stat cm_pgp_decrypt(const cm_engine_ops *ops, cm_engine_session *s, const cm_msgctx *mc,
                       cm_spool *body, const cm_detect_where *w, cm_pgp_plain *out)
{
    const char *qid = CM_QID(mc);
    cm_armor a;
    cm_stat st;
    int complete = 0, ours = 0, attempt;

    out->ours = 0;
    cm_armor_init(&a);
    st = scan(body, w, &a, &complete);
    if (st == CM_OK && complete)
        st = ops->gateway_match(s, a.pkt.keyids, a.pkt.nkeyids, &ours);
    if (st != CM_OK || !complete || !ours) {
        if (st == CM_OK)
            cm_log_info("%s: ciphertext %s", qid, complete
                        ? "is not for a gateway key: passed as it is" : "unreadable: passed as it is");
        cm_armor_free(&a);
        return st;
    }
    out->ours = 1;
    if (a.pkt.enc_tag != CM_PKT_SEIPD && a.pkt.enc_tag != CM_PKT_AEAD) {
        cm_log_notice("%s: ciphertext for the gateway has no integrity protection (packet %d): "
                      "not decrypted", qid, a.pkt.enc_tag);
        cm_armor_free(&a);
        return CM_DECRYPT_FAILED;
    }
    cm_armor_free(&a);

    /* gpg stopping without a verdict after it began could be a crash (our
     * problem: 4xx) or the message (gpg exits on some damage without a
     * status line): the same outcome twice is the message's. */
    for (attempt = 0; attempt < 2; attempt++) {
        if (attempt > 0) {
            cm_log_notice("%s: the engine stopped while decrypting; trying once more", qid);
            if (cm_spool_truncate(out->plain) < 0)
                return CM_ERR_SPOOL;
        }
        st = decrypt_once(ops, s, body, w, out);
        if (st != CM_ERR_ENGINE_MIDSTREAM)
            return st;
    }
    cm_log_notice("%s: the engine stopped twice while decrypting: the ciphertext is damaged", qid);
    return CM_DECRYPT_FAILED;
}

