/* cm_boundary - MIME boundary strings: random, or from an injected source. */
#ifndef CM_BOUNDARY_H
#define CM_BOUNDARY_H

#include <stddef.h>

#define CM_BOUNDARY_LEN 48   /* including the NUL */

/* A source fills buf with len random bytes; 0 or -1. */
typedef int (*cm_random_fn)(unsigned char *buf, size_t len);

/* Tests inject a deterministic source; NULL restores getrandom(2). */
void cm_boundary_set_source(cm_random_fn fn);
/* "=_cm_" followed by 32 hex digits: never a valid base64 or armor line
 * prefix, so it cannot occur in the ciphertext. 0 or -1. */
int cm_boundary_new(char out[CM_BOUNDARY_LEN]);

#endif
