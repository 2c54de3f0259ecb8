/* cm_pgowner - the owner token a gateway writes with each identity it
 * records in PostgreSQL: "node:queue-id:random", so that a check whose
 * connection broke after the insert was sent can tell, reading the row
 * back, whether the row is its own (pass) or another's (replay). Pure. */
#ifndef CM_PGOWNER_H
#define CM_PGOWNER_H

#include <stddef.h>

#define CM_PGOWNER_RANDOM 8     /* random bytes, written in hex */

/* Write the token into out (at most len bytes with the NUL): node and qid
 * cut to 64 bytes each, ':' in them made '_'. 0, or -1 if len is too small. */
int cm_pgowner_make(const char *node, const char *qid, const unsigned char rnd[CM_PGOWNER_RANDOM],
                    char *out, size_t len);

#endif
