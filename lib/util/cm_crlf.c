/* cm_crlf - streaming line-ending canonicalisation: bare LF becomes CRLF. */
#include "cm_crlf.h"

#include <string.h>

void cm_crlf_init(cm_crlf *c)
{
    c->last_cr = 0;
}

int cm_crlf_canonical(cm_crlf *c, const unsigned char *p, size_t n)
{
    const unsigned char *nl = p, *end = p + n;

    while ((nl = memchr(nl, '\n', (size_t) (end - nl))) != NULL) {
        if (!(nl > p ? nl[-1] == '\r' : c->last_cr))
            return 0;
        nl++;
    }
    if (n > 0)
        c->last_cr = p[n - 1] == '\r';
    return 1;
}

int cm_crlf_push(cm_crlf *c, const unsigned char *p, size_t n, cm_buf *out)
{
    size_t i = 0, run = 0;
    const unsigned char *nl;

    /* One output reservation for the common case: no bare LF at all. */
    if (cm_buf_reserve(out, n) < 0)
        return -1;
    while (i < n && (nl = memchr(p + i, '\n', n - i)) != NULL) {
        i = (size_t) (nl - p);
        if (!(i > 0 ? p[i - 1] == '\r' : c->last_cr)) {
            if (cm_buf_append(out, p + run, i - run) < 0 || cm_buf_append(out, "\r\n", 2) < 0)
                return -1;
            run = i + 1;
        }
        i++;
    }
    if (cm_buf_append(out, p + run, n - run) < 0)
        return -1;
    if (n > 0)
        c->last_cr = p[n - 1] == '\r';
    return 0;
}
