/* cm_pgstate - what a PostgreSQL error (its SQLSTATE) means for a replay
 * check. Pure: no libpq. */
#ifndef CM_PGSTATE_H
#define CM_PGSTATE_H

#include "cm_status.h"

typedef enum cm_pgstate_kind {
    CM_PGSTATE_TEMP,        /* slow, read-only, cancelled, anything else: 451 */
    CM_PGSTATE_FULL,        /* disk full: 452 */
    CM_PGSTATE_UNINIT,      /* no schema: run cryptmilter --replay-init (451) */
    CM_PGSTATE_BROKEN       /* the connection went: the statement's fate is unknown */
} cm_pgstate_kind;

/* The kind of sqlstate (five characters; NULL or malformed: TEMP). */
cm_pgstate_kind cm_pgstate_kind_of(const char *sqlstate);
/* The status a replay check answers for a failure of that kind: never CM_OK. */
cm_stat cm_pgstate_stat(cm_pgstate_kind k);

#endif
