/* cm_replayuri - a ReplayCache value: path or PostgreSQL URI. */
#include "cm_replayuri.h"

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
