/* cm_smimedecrypt - the S/MIME ciphertext of an outbound message,
 * decrypted by the CMS engine if it is for a gateway certificate. */
#include "cm_smimedecrypt.h"
#include "cm_crlf.h"
#include "cm_log.h"

#include <errno.h>
#include <string.h>

#define DER_CHUNK 16384

void cm_der_reader_init(cm_der_reader *d, cm_spool *sp, uint64_t off, uint64_t len, cm_cte cte)
{
    memset(d, 0, sizeof(*d));
    cm_spool_range_init(&d->r, sp, off, len);
    d->cte = cte;
    cm_b64_init(&d->b64);
    cm_buf_init(&d->pend);
}

void cm_der_reader_free(cm_der_reader *d)
{
    cm_buf_free(&d->pend);
}

ssize_t cm_der_reader_read(void *arg, void *buf, size_t n)
{
    cm_der_reader *d = arg;
    char text[DER_CHUNK];
    ssize_t got;
    int r;

    if (d->cte == CM_CTE_IDENTITY) {
        if ((got = cm_spool_range_read(&d->r, buf, n)) < 0 && d->err == 0)
            d->err = errno ? errno : EIO;
        return got;
    }
    while (d->pos == d->pend.len && !d->bad) {
        cm_buf_reset(&d->pend);
        d->pos = 0;
        if ((got = cm_spool_range_read(&d->r, text, sizeof(text))) < 0) {
            if (d->err == 0)
                d->err = errno ? errno : EIO;
            return -1;
        }
        if (got == 0)
            return 0;
        if ((r = cm_b64_decode(&d->b64, text, (size_t) got, &d->pend, (size_t) -1)) == -2) {
            errno = d->err = ENOMEM;
            return -1;
        }
        d->bad = r < 0;
    }
    if (n > d->pend.len - d->pos)
        n = d->pend.len - d->pos;
    memcpy(buf, d->pend.data + d->pos, n);
    d->pos += n;
    return (ssize_t) n;
}

/* The plaintext, kept with CRLF line ends. */
typedef struct plain_sink {
    cm_spool *out;
    cm_crlf crlf;
    cm_buf tmp;
} plain_sink;

static int plain_write(void *arg, const void *buf, size_t n)
{
    plain_sink *p = arg;

    cm_buf_reset(&p->tmp);
    if (cm_crlf_push(&p->crlf, buf, n, &p->tmp) < 0) {
        errno = ENOMEM;
        return -1;
    }
    return cm_spool_write(p->out, p->tmp.data, p->tmp.len);
}

cm_stat cm_smime_decrypt(const cm_engine_ops *ops, cm_engine_session *s, const cm_msgctx *mc,
                         cm_spool *body, const cm_detect_where *w, cm_spool *plain, int *ours,
                         int *authenticated)
{
    cm_der_reader d;
    plain_sink ps;
    cm_reader rd = {cm_der_reader_read, NULL, &d};
    cm_writer wr = {plain_write, &ps};
    cm_stat st;

    *ours = *authenticated = 0;
    cm_der_reader_init(&d, body, w->off, w->len, w->cte);
    ps.out = plain;
    cm_crlf_init(&ps.crlf);
    cm_buf_init(&ps.tmp);
    st = ops->decrypt_gateway(s, &rd, &wr, ours, authenticated);
    if (d.err != 0) {
        /* Ours, whatever the engine made of it: never "damaged" (5xx). */
        errno = d.err;
        cm_log_errno("%s: S/MIME decryption: reading the ciphertext from the spool", CM_QID(mc));
        st = d.err == ENOMEM ? CM_ERR_NOMEM : CM_ERR_SPOOL;
    }
    cm_buf_free(&ps.tmp);
    cm_der_reader_free(&d);
    return st;
}
