/* cm_crlf - streaming line-ending canonicalisation: bare LF becomes CRLF. */
#ifndef CM_CRLF_H
#define CM_CRLF_H

#include <stddef.h>

#include "cm_buf.h"

typedef struct cm_crlf {
    int last_cr;        /* the previous chunk ended with CR */
} cm_crlf;

void cm_crlf_init(cm_crlf *c);
/* Append p[0..n) to out with every LF not preceded by CR turned into CRLF.
 * CR elsewhere is left as it is. 0 or -1 (out of memory). */
int cm_crlf_push(cm_crlf *c, const unsigned char *p, size_t n, cm_buf *out);
/* Whether p[0..n), following what c has seen, holds no bare LF: then it
 * is its own output, and c is advanced past it as cm_crlf_push would (1);
 * else c is left as it was (0), for cm_crlf_push. */
int cm_crlf_canonical(cm_crlf *c, const unsigned char *p, size_t n);

#endif
