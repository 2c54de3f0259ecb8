/* cm_plainsink - a decryption's plaintext into a spool, CRLF, digested. */
#include "cm_plainsink.h"

#include "cm_log.h"

#include <errno.h>

void cm_plainsink_init(cm_plainsink *p, cm_spool *out, cm_digest *dg, uint64_t max)
{
    p->out = out;
    p->dg = dg;
    p->max = max;
    p->over = 0;
    cm_crlf_init(&p->crlf);
    cm_buf_init(&p->tmp);
}

void cm_plainsink_free(cm_plainsink *p)
{
    cm_buf_free(&p->tmp);
}

int cm_plainsink_write(void *arg, const void *buf, size_t n)
{
    cm_plainsink *p = arg;

    if (p->over) {
        errno = EFBIG;
        return -1;
    }
    cm_buf_reset(&p->tmp);
    if ((p->dg != NULL && cm_digest_update(p->dg, buf, n) < 0)
        || cm_crlf_push(&p->crlf, buf, n, &p->tmp) < 0) {
        errno = ENOMEM;
        return -1;
    }
    if (p->tmp.len > p->max || cm_spool_size(p->out) > p->max - p->tmp.len) {
        p->over = 1;
        errno = EFBIG;
        return -1;
    }
    return cm_spool_write(p->out, p->tmp.data, p->tmp.len);
}

cm_stat cm_plainsink_over(const cm_plainsink *p, const cm_msgctx *mc)
{
    cm_log_notice("%s: decrypted content larger than MaxDecryptedSize (%llu bytes): "
                  "decryption stopped", CM_QID(mc), (unsigned long long) p->max);
    return CM_DECRYPT_TOOBIG;
}
