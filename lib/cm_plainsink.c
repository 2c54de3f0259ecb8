/* cm_plainsink - a decryption's plaintext into a spool, CRLF, digested. */
#include "cm_plainsink.h"

#include <errno.h>

void cm_plainsink_init(cm_plainsink *p, cm_spool *out, cm_digest *dg)
{
    p->out = out;
    p->dg = dg;
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

    cm_buf_reset(&p->tmp);
    if ((p->dg != NULL && cm_digest_update(p->dg, buf, n) < 0)
        || cm_crlf_push(&p->crlf, buf, n, &p->tmp) < 0) {
        errno = ENOMEM;
        return -1;
    }
    return cm_spool_write(p->out, p->tmp.data, p->tmp.len);
}
