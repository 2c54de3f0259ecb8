/* cm_smimedecrypt - the S/MIME ciphertext of an outbound message,
 * decrypted by the CMS engine if it is for a gateway certificate. */
#include "cm_smimedecrypt.h"
#include "cm_plainsink.h"
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

cm_stat cm_smime_decrypt(const cm_engine_ops *ops, cm_engine_session *s, const cm_msgctx *mc,
                         cm_spool *body, const cm_detect_where *w, cm_spool *plain, int *ours,
                         int *authenticated)
{
    cm_der_reader d;
    cm_plainsink ps;
    cm_reader rd = {cm_der_reader_read, NULL, &d};
    cm_writer wr = {cm_plainsink_write, &ps};
    cm_stat st;

    *ours = *authenticated = 0;
    cm_der_reader_init(&d, body, w->off, w->len, w->cte);
    cm_plainsink_init(&ps, plain, NULL, cm_config_max_decrypted(mc->cfg));
    st = ops->decrypt_gateway(s, &rd, &wr, ours, authenticated);
    if (ps.over)
        st = cm_plainsink_over(&ps, mc);
    else if (d.err != 0) {
        /* Ours, whatever the engine made of it: never "damaged" (5xx). */
        errno = d.err;
        cm_log_errno("%s: S/MIME decryption: reading the ciphertext from the spool", CM_QID(mc));
        st = cm_stat_of_errno(d.err);
    }
    cm_plainsink_free(&ps);
    cm_der_reader_free(&d);
    return st;
}
