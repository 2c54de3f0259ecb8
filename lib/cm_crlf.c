/* cm_crlf - streaming line-ending canonicalisation: bare LF becomes CRLF. */
#include "cm_crlf.h"

#include <string.h>

void cm_crlf_init(cm_crlf *c)
{
    c->last_cr = 0;
}

int cm_crlf_push(cm_crlf *c, const unsigned char *p, size_t n, cm_buf *out)
{
    size_t i, run = 0;

    for (i = 0; i < n; i++) {
        if (p[i] == '\n' && !(i > 0 ? p[i - 1] == '\r' : c->last_cr)) {
            if (cm_buf_append(out, p + run, i - run) < 0 || cm_buf_append(out, "\r\n", 2) < 0)
                return -1;
            run = i + 1;
        }
    }
    if (cm_buf_append(out, p + run, n - run) < 0)
        return -1;
    if (n > 0)
        c->last_cr = p[n - 1] == '\r';
    return 0;
}
