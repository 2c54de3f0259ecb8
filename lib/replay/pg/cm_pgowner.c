/* cm_pgowner - the owner token of a recorded identity. */
#include "cm_pgowner.h"
#include "cm_hex.h"

#include <string.h>

#define PART_MAX 64

/* Copy at most PART_MAX bytes of s to *p, ':' made '_'. */
static void part(char **p, const char *s)
{
    size_t i;

    for (i = 0; s[i] && i < PART_MAX; i++)
        *(*p)++ = s[i] == ':' ? '_' : s[i];
    *(*p)++ = ':';
}

int cm_pgowner_make(const char *node, const char *qid, const unsigned char rnd[CM_PGOWNER_RANDOM],
                    char *out, size_t len)
{
    char *p = out;

    if (len < 2 * (PART_MAX + 1) + 2 * CM_PGOWNER_RANDOM + 1)
        return -1;
    part(&p, node != NULL && *node ? node : "-");
    part(&p, qid != NULL && *qid ? qid : "-");
    cm_hex_encode(rnd, CM_PGOWNER_RANDOM, p);
    return 0;
}
