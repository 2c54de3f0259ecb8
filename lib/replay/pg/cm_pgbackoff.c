/* cm_pgbackoff - connects to a failing server, one at a time, spaced. */
#include "cm_pgbackoff.h"

cm_pgbackoff_step cm_pgbackoff_next(cm_pgbackoff *b, int64_t now, int64_t *wake)
{
    if (b->wait == 0)
        return CM_PGBACKOFF_GO;
    if (!b->probing && now >= b->until) {
        b->probing = 1;
        return CM_PGBACKOFF_PROBE;
    }
    *wake = b->probing ? now + CM_PGBACKOFF_POLL : b->until;
    return CM_PGBACKOFF_WAIT;
}

void cm_pgbackoff_done(cm_pgbackoff *b, int probe, int ok, int64_t now)
{
    if (ok) {
        b->wait = 0;
        b->until = 0;
        b->probing = 0;
        return;
    }
    if (probe) {
        b->wait = b->wait >= CM_PGBACKOFF_MAX / 2 ? CM_PGBACKOFF_MAX : 2 * b->wait;
        b->until = now + b->wait;
        b->probing = 0;
    } else if (b->wait == 0) {      /* the first failure; those after it change nothing */
        b->wait = CM_PGBACKOFF_MIN;
        b->until = now + b->wait;
    }
}
