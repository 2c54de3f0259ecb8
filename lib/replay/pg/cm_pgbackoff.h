/* cm_pgbackoff - how often a process may try to connect to a replay cache
 * server that is failing: after a connect fails, one thread at a time
 * tries again (a probe), the first after CM_PGBACKOFF_MIN ms, then after
 * twice as long each time it fails, up to CM_PGBACKOFF_MAX ms; the other
 * checks wait for the probe (or give up with 451 at their deadline)
 * rather than each open a connection of its own. A success ends it.
 * Pure: the caller holds the lock and knows the time. */
#ifndef CM_PGBACKOFF_H
#define CM_PGBACKOFF_H

#include <stdint.h>

#define CM_PGBACKOFF_MIN 100        /* ms */
#define CM_PGBACKOFF_MAX 1000       /* ms: at most one connect a second while down */
#define CM_PGBACKOFF_POLL 20        /* ms: how often a waiting check looks again */

typedef struct cm_pgbackoff {
    int64_t wait;           /* the current pause, ms; 0: the server is fine */
    int64_t until;          /* no connect before (ms, the caller's clock) */
    int probing;            /* a probe is under way */
} cm_pgbackoff;

typedef enum cm_pgbackoff_step {
    CM_PGBACKOFF_GO,        /* connect */
    CM_PGBACKOFF_PROBE,     /* connect: this check is the probe */
    CM_PGBACKOFF_WAIT       /* do not connect before *wake */
} cm_pgbackoff_step;

/* What a check that needs a new connection does at now. */
cm_pgbackoff_step cm_pgbackoff_next(cm_pgbackoff *b, int64_t now, int64_t *wake);
/* A connect ended (ok or not) at now; probe: it was CM_PGBACKOFF_PROBE. */
void cm_pgbackoff_done(cm_pgbackoff *b, int probe, int ok, int64_t now);

#endif
