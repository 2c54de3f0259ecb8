/* cm_replayuri - a ReplayCache value: path or PostgreSQL URI. */
#include "cm_replayuri.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static size_t scheme_len(const char *v)
{
    if (strncasecmp(v, "postgresql://", 13) == 0)
        return 13;
    if (strncasecmp(v, "postgres://", 11) == 0)
        return 11;
    return 0;
}

int cm_replayuri_is_pg(const char *v)
{
    return scheme_len(v) > 0;
}

int cm_replayuri_check(const char *v, char *err, size_t errlen)
{
    size_t n = scheme_len(v), auth;
    const char *at, *q;

    if (n == 0)
        return 0;
    v += n;
    auth = strcspn(v, "/?#");
    at = memchr(v, '@', auth);
    if (at != NULL && memchr(v, ':', (size_t) (at - v)) != NULL) {
        snprintf(err, errlen, "the URI holds a password (user:password@): put it in libpq's "
                 "passfile (PGPASSFILE) or use a client certificate");
        return -1;
    }
    for (q = strchr(v, '?'); q != NULL; q = strchr(q + 1, '&'))
        if (strncasecmp(q + 1, "password=", 9) == 0) {
            snprintf(err, errlen, "the URI holds a password (password=): put it in libpq's "
                     "passfile (PGPASSFILE) or use a client certificate");
            return -1;
        }
    return 0;
}

#define HOST_MAX 256

static int hexval(char c)
{
    return isdigit((unsigned char) c) ? c - '0' : tolower((unsigned char) c) - 'a' + 10;
}

/* n bytes of s, percent-decoded, into out (NUL-terminated). -1 if it does
 * not fit or decodes to a NUL; a '%' not followed by two hex digits stays. */
static int pct_decode(const char *s, size_t n, char *out, size_t outlen)
{
    size_t i, o = 0;
    char c;

    for (i = 0; i < n; i++) {
        c = s[i];
        if (c == '%' && n - i > 2 && isxdigit((unsigned char) s[i + 1])
            && isxdigit((unsigned char) s[i + 2])) {
            c = (char) (hexval(s[i + 1]) << 4 | hexval(s[i + 2]));
            i += 2;
        }
        if (c == '\0' || o + 1 >= outlen)
            return -1;
        out[o++] = c;
    }
    out[o] = '\0';
    return 0;
}

/* Whether one host (n bytes, percent-encoded, IPv6 perhaps in brackets)
 * needs no name lookup: empty (the default socket), a socket path, or a
 * numeric address. 0 a name (copied to name for the message), 1 fine. */
static int host_numeric(const char *h, size_t n, char *name, size_t namelen)
{
    char d[HOST_MAX];
    unsigned char a[16];

    if (n >= 2 && h[0] == '[' && h[n - 1] == ']') {
        h++;
        n -= 2;
    }
    if (pct_decode(h, n, d, sizeof(d)) < 0) {
        snprintf(name, namelen, "%.*s", (int) (n > 64 ? 64 : n), h);
        return 0;
    }
    if (d[0] == '\0' || d[0] == '/' || d[0] == '@' || inet_pton(AF_INET, d, a) == 1
        || inet_pton(AF_INET6, d, a) == 1)
        return 1;
    snprintf(name, namelen, "%.64s", d);
    return 0;
}

/* The first name in a comma-separated host list (the URI's, with ports,
 * when uri; else a host= value) into name: 1 if there is one, else 0. */
static int list_has_name(const char *l, size_t n, int uri, char *name, size_t namelen)
{
    const char *end = l + n, *p = l, *e, *hend, *c;

    for (;;) {
        if ((e = memchr(p, ',', (size_t) (end - p))) == NULL)
            e = end;
        hend = e;
        if (uri) {              /* the port: the first ':' (after the ']' of [IPv6]) */
            c = p < e && *p == '[' ? memchr(p, ']', (size_t) (e - p)) : p;
            if (c != NULL && (c = memchr(c, ':', (size_t) (e - c))) != NULL)
                hend = c;
        }
        if (!host_numeric(p, (size_t) (hend - p), name, namelen))
            return 1;
        if (e == end)
            return 0;
        p = e + 1;
    }
}

int cm_replayuri_check_host(const char *v, char *err, size_t errlen)
{
    size_t n = scheme_len(v), auth, klen, vlen;
    const char *at, *hosts, *q, *k;
    char name[80] = "";
    int named = 0, hostaddr = 0, service = 0;

    if (n == 0)
        return 0;
    v += n;
    auth = strcspn(v, "/?#");
    at = memchr(v, '@', auth);
    hosts = at != NULL ? at + 1 : v;
    named = list_has_name(hosts, auth - (size_t) (hosts - v), 1, name, sizeof(name));
    for (q = strchr(v, '?'); q != NULL; q = strchr(q + 1, '&')) {
        k = q + 1;
        klen = strcspn(k, "=&");
        vlen = k[klen] == '=' ? strcspn(k + klen + 1, "&") : 0;
        if (klen == 8 && strncasecmp(k, "hostaddr", 8) == 0 && vlen > 0)
            hostaddr = 1;
        else if (klen == 7 && strncasecmp(k, "service", 7) == 0)
            service = 1;
        else if (klen == 4 && strncasecmp(k, "host", 4) == 0 && !named)
            named = list_has_name(k + klen + 1, vlen, 0, name, sizeof(name));
    }
    if (hostaddr || (!named && !service))
        return 0;
    if (named)
        snprintf(err, errlen, "host %s is a name, which libpq looks up with no time limit (a "
                 "dead DNS server would hold a check past ReplayTimeout): give the server's "
                 "address with hostaddr= (keeping host= for TLS), a numeric address or a Unix "
                 "socket path", name);
    else
        snprintf(err, errlen, "service= takes the host from pg_service.conf, which is not "
                 "checked for a name libpq would look up with no time limit: give the "
                 "server's address with hostaddr=");
    return -1;
}
