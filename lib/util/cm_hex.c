/* cm_hex - bytes to and from hexadecimal digits. */
#include "cm_hex.h"

#include <limits.h>
#include <string.h>

static int digit(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

void cm_hex_encode(const unsigned char *p, size_t n, char *out)
{
    static const char digits[] = "0123456789ABCDEF";
    size_t i;

    for (i = 0; i < n; i++) {
        out[2 * i] = digits[p[i] >> 4];
        out[2 * i + 1] = digits[p[i] & 15];
    }
    out[2 * n] = 0;
}

long cm_hex_decode(const char *hex, size_t nhex, unsigned char *out, size_t cap)
{
    size_t i;

    if (nhex % 2 != 0 || nhex / 2 > cap || nhex / 2 > (size_t) LONG_MAX)
        return -1;
    for (i = 0; i < nhex / 2; i++) {
        int hi = digit((unsigned char) hex[2 * i]), lo = digit((unsigned char) hex[2 * i + 1]);

        if (hi < 0 || lo < 0)
            return -1;
        out[i] = (unsigned char) (hi << 4 | lo);
    }
    return (long) (nhex / 2);
}

int cm_hex_is_fpr(const char *s)
{
    size_t n = strlen(s);

    return (n == 40 || n == 64) && strspn(s, "0123456789abcdefABCDEF") == n;
}
