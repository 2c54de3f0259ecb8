/* cm_wkd_url - the Web Key Directory's URLs (see the header). */
#include "cm_wkd_url.h"
#include "cm_digest.h"

#include <stdio.h>
#include <string.h>

#define LOCAL_MAX 64
#define DOMAIN_MAX 253

static int lower(int c)
{
    return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

int cm_wkd_url_hash(const char *local, size_t n, char out[CM_WKD_HASH_LEN + 1])
{
    static const char zb32[] = "ybndrfg8ejkmcpqxot1uwisza345h769";
    unsigned char lc[LOCAL_MAX], d[20];
    size_t i, bit;

    if (n > sizeof(lc))
        return -1;
    for (i = 0; i < n; i++)
        lc[i] = (unsigned char) lower((unsigned char) local[i]);
    if (cm_digest_sha1(lc, n, d) < 0)
        return -1;
    /* 160 bits, five at a time, most significant first. */
    for (i = 0, bit = 0; i < CM_WKD_HASH_LEN; i++, bit += 5) {
        unsigned v = ((unsigned) d[bit / 8] << 8 | (bit / 8 + 1 < sizeof(d) ? d[bit / 8 + 1] : 0))
                     >> (11 - bit % 8) & 0x1f;

        out[i] = zb32[v];
    }
    out[CM_WKD_HASH_LEN] = 0;
    return 0;
}

static int valid_domain(const char *d)
{
    size_t n = strlen(d), label = 0;

    if (n == 0 || n > DOMAIN_MAX)
        return 0;
    for (; *d; d++) {
        if (*d == '.') {
            if (label == 0)
                return 0;
            label = 0;
        } else if ((*d >= 'a' && *d <= 'z') || (*d >= 'A' && *d <= 'Z') || (*d >= '0' && *d <= '9')
                   || *d == '-') {
            label++;
        } else {
            return 0;
        }
    }
    return label > 0;
}

int cm_wkd_url_valid(const char *addr)
{
    const char *at = strrchr(addr, '@'), *p;

    if (at == NULL || at == addr || at - addr > LOCAL_MAX)
        return 0;
    for (p = addr; p < at; p++)
        if ((unsigned char) *p <= ' ' || *p == 0x7f)
            return 0;
    return valid_domain(at + 1);
}

int cm_wkd_url(const char *addr, cm_wkd_method method, char *out, size_t len)
{
    static const char hex[] = "0123456789ABCDEF";
    char hash[CM_WKD_HASH_LEN + 1], domain[DOMAIN_MAX + 1], local[3 * LOCAL_MAX + 1];
    const char *at;
    size_t i, j;
    int n;

    if (!cm_wkd_url_valid(addr))
        return -1;
    at = strrchr(addr, '@');
    for (i = 0; at[1 + i]; i++)
        domain[i] = (char) lower((unsigned char) at[1 + i]);
    domain[i] = 0;
    /* RFC 3986 unreserved characters stay, the rest is escaped. */
    for (i = 0, j = 0; addr + i < at; i++) {
        unsigned char c = (unsigned char) addr[i];

        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
            || strchr("-._~", c) != NULL) {
            local[j++] = (char) c;
        } else {
            local[j++] = '%';
            local[j++] = hex[c >> 4];
            local[j++] = hex[c & 15];
        }
    }
    local[j] = 0;
    if (cm_wkd_url_hash(addr, (size_t) (at - addr), hash) < 0)
        return -1;
    if (method == CM_WKD_ADVANCED)
        n = snprintf(out, len, "https://openpgpkey.%s/.well-known/openpgpkey/%s/hu/%s?l=%s",
                     domain, domain, hash, local);
    else
        n = snprintf(out, len, "https://%s/.well-known/openpgpkey/hu/%s?l=%s", domain, hash,
                     local);
    return n < 0 || (size_t) n >= len ? -1 : 0;
}
