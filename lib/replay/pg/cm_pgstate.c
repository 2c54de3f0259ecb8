/* cm_pgstate - SQLSTATE to the replay check's answer (PostgreSQL's
 * Appendix A, "PostgreSQL Error Codes"). */
#include "cm_pgstate.h"

#include <string.h>

cm_pgstate_kind cm_pgstate_kind_of(const char *s)
{
    if (s == NULL || strlen(s) != 5)
        return CM_PGSTATE_TEMP;
    if (strcmp(s, "53100") == 0)                /* disk_full */
        return CM_PGSTATE_FULL;
    if (strcmp(s, "42P01") == 0 || strcmp(s, "3F000") == 0)  /* undefined table, schema */
        return CM_PGSTATE_UNINIT;
    /* Class 08, connection exception; 57P01-57P03: the server shuts down,
     * crashed or cannot connect now (it may have committed first). */
    if (strncmp(s, "08", 2) == 0 || strcmp(s, "57P01") == 0 || strcmp(s, "57P02") == 0
        || strcmp(s, "57P03") == 0)
        return CM_PGSTATE_BROKEN;
    return CM_PGSTATE_TEMP;
}

cm_stat cm_pgstate_stat(cm_pgstate_kind k)
{
    return k == CM_PGSTATE_FULL ? CM_REPLAY_FULL : CM_ERR_REPLAY;
}
