/* cm_boundary - MIME boundary strings: random, or from an injected source. */
#include "cm_boundary.h"

#include <errno.h>
#include <stdio.h>
#include <sys/random.h>

static int os_random(unsigned char *buf, size_t len)
{
    size_t got = 0;

    while (got < len) {
        ssize_t r = getrandom(buf + got, len - got, 0);

        if (r < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        got += (size_t) r;
    }
    return 0;
}

static cm_random_fn random_source = os_random;

void cm_boundary_set_source(cm_random_fn fn)
{
    random_source = fn ? fn : os_random;
}

int cm_boundary_new(char out[CM_BOUNDARY_LEN])
{
    unsigned char r[16];
    size_t i;

    if (random_source(r, sizeof(r)) < 0)
        return -1;
    snprintf(out, CM_BOUNDARY_LEN, "=_cm_");
    for (i = 0; i < sizeof(r); i++)
        snprintf(out + 5 + 2 * i, CM_BOUNDARY_LEN - 5 - 2 * i, "%02x", r[i]);
    return 0;
}
