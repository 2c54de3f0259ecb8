/* cm_g10 - a secret key file of gpg-agent (private-keys-v1.d/GRIP.key) in
 * the form librnp reads: the canonical S-expression. gpg-agent writes the
 * key either as that (GnuPG before 2.2.?) or in its "extended key format",
 * a name-value file whose "Key:" value is the S-expression in advanced
 * (human-readable) notation; libgcrypt, GnuPG's own S-expression library,
 * converts one to the other. */
#ifndef CM_G10_H
#define CM_G10_H

#include <stddef.h>

/* The canonical S-expression of the key file image p (n bytes) into *out
 * (heap, *outlen bytes; the caller wipes and frees it). 0; -1 with the
 * reason in err; -2 out of memory. */
int cm_g10_canonical(const unsigned char *p, size_t n, unsigned char **out, size_t *outlen,
                     char *err, size_t errlen);

#endif
