/* cm_cidr - IPv4/IPv6 network lists ("192.0.2.0/24, 2001:db8::/32, 127.0.0.1"). */
#include "cm_cidr.h"
#include "cm_buf.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

/* Parse an address, unwrapping [..], "IPv6:" and IPv4-mapped IPv6 forms. */
static int parse_addr(const char *s, size_t len, int *family, unsigned char *out)
{
    char tmp[INET6_ADDRSTRLEN + 8];
    static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

    if (len >= 2 && s[0] == '[' && s[len - 1] == ']') {
        s++;
        len -= 2;
    }
    if (len > 5 && strncasecmp(s, "IPv6:", 5) == 0) {
        s += 5;
        len -= 5;
    }
    if (len == 0 || len >= sizeof(tmp))
        return -1;
    memcpy(tmp, s, len);
    tmp[len] = 0;
    if (inet_pton(AF_INET, tmp, out) == 1) {
        *family = AF_INET;
        return 0;
    }
    if (inet_pton(AF_INET6, tmp, out) == 1) {
        if (memcmp(out, mapped, 12) == 0) {
            memmove(out, out + 12, 4);
            *family = AF_INET;
        } else {
            *family = AF_INET6;
        }
        return 0;
    }
    return -1;
}

int cm_cidr_parse(const char *s, cm_cidr *out)
{
    const char *slash = strchr(s, '/');
    size_t alen = slash ? (size_t) (slash - s) : strlen(s);
    unsigned max;

    memset(out, 0, sizeof(*out));
    if (parse_addr(s, alen, &out->family, out->addr) < 0)
        return -1;
    max = out->family == AF_INET ? 32 : 128;
    out->prefix = max;
    if (slash != NULL) {
        char *end;
        unsigned long p;

        if (slash[1] < '0' || slash[1] > '9')
            return -1;
        errno = 0;
        p = strtoul(slash + 1, &end, 10);
        if (errno != 0 || *end != 0 || p > max)
            return -1;
        out->prefix = (unsigned) p;
    }
    return 0;
}

int cm_cidr_list_add(cm_cidr_list *l, const cm_cidr *c)
{
    cm_cidr *nv;

    if ((nv = cm_array_resize(l->v, l->n + 1, sizeof(*c))) == NULL)
        return -1;
    l->v = nv;
    l->v[l->n++] = *c;
    return 0;
}

void cm_cidr_list_free(cm_cidr_list *l)
{
    free(l->v);
    l->v = NULL;
    l->n = 0;
}

static int prefix_equal(const unsigned char *a, const unsigned char *b, unsigned bits)
{
    unsigned bytes = bits / 8, rem = bits % 8;

    if (memcmp(a, b, bytes) != 0)
        return 0;
    if (rem == 0)
        return 1;
    return ((a[bytes] ^ b[bytes]) & (0xff << (8 - rem)) & 0xff) == 0;
}

int cm_cidr_list_match(const cm_cidr_list *l, const char *addr)
{
    unsigned char a[16];
    int family;
    size_t i;

    if (addr == NULL || parse_addr(addr, strlen(addr), &family, a) < 0)
        return 0;
    for (i = 0; i < l->n; i++)
        if (l->v[i].family == family && prefix_equal(l->v[i].addr, a, l->v[i].prefix))
            return 1;
    return 0;
}
