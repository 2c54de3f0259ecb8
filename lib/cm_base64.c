/* cm_base64 - incremental base64 decoder (RFC 4648), white space ignored. */
#include "cm_base64.h"

static int b64_value(int c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

void cm_b64_init(cm_b64 *d)
{
    d->acc = 0;
    d->bits = 0;
    d->done = 0;
}

int cm_b64_decode(cm_b64 *d, const char *p, size_t n, cm_buf *out, size_t max)
{
    size_t i;

    for (i = 0; i < n; i++) {
        int c = (unsigned char) p[i], v;

        if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
            continue;
        if (c == '=') {
            d->done = 1;
            continue;
        }
        if (d->done || (v = b64_value(c)) < 0)
            return -1;
        d->acc = ((d->acc << 6) | (unsigned) v) & 0xffffff;
        d->bits += 6;
        if (d->bits >= 8) {
            d->bits -= 8;
            if (out->len < max && cm_buf_putc(out, (int) ((d->acc >> d->bits) & 0xff)) < 0)
                return -2;
        }
    }
    return 0;
}
