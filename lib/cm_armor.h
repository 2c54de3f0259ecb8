/* cm_armor - OpenPGP ASCII armor (RFC 4880 §6) reading, and packet sniffing. */
#ifndef CM_ARMOR_H
#define CM_ARMOR_H

#include <stddef.h>

#include "cm_buf.h"

/* Is p[0..n), apart from white space around it, one "PGP MESSAGE" armor
 * block? complete: p is all there is, so the END line must be present and
 * nothing but white space may follow; otherwise p may be a prefix cut off
 * anywhere after the BEGIN line. The first max decoded bytes go to out.
 * 1 yes, 0 no, -1 out of memory. */
int cm_armor_message(const unsigned char *p, size_t n, int complete, size_t max,
                     cm_buf *out);

/* Does this decoded OpenPGP data begin like an encrypted message: one or
 * more PKESK/SKESK packets followed by SEIPD, AEAD or SED data? All session
 * key packets must lie within p[0..n). 1 yes, 0 no. */
int cm_pgp_is_encrypted(const unsigned char *p, size_t n);

#endif
