/* cm_pgpmime - the RFC 3156 multipart/encrypted framing around ciphertext. */
#ifndef CM_PGPMIME_H
#define CM_PGPMIME_H

#include "cm_spool.h"

/* The Content-Type value for boundary, folded with "\n\t"; heap string. */
char *cm_pgpmime_content_type(const char *boundary);
/* Write everything before the armored ciphertext: the preamble, the
 * application/pgp-encrypted version part and the octet-stream part's header.
 * 0 or -1 (errno). */
int cm_pgpmime_begin(const char *boundary, cm_spool *out);
/* Write the close delimiter after the ciphertext. 0 or -1. */
int cm_pgpmime_end(const char *boundary, cm_spool *out);

#endif
