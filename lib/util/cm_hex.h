/* cm_hex - bytes to and from hexadecimal digits. */
#ifndef CM_HEX_H
#define CM_HEX_H

#include <stddef.h>

/* n bytes of p as 2n upper-case digits and a NUL into out (2n + 1 bytes). */
void cm_hex_encode(const unsigned char *p, size_t n, char *out);
/* The nhex digits of hex (either case) into out: the number of bytes, or
 * -1 if nhex is odd, a character is not a digit, or out (cap bytes) is too
 * small. */
long cm_hex_decode(const char *hex, size_t nhex, unsigned char *out, size_t cap);
/* Is s a whole OpenPGP fingerprint, 40 (v4) or 64 (v5, v6) hex digits of
 * either case? A key ID or a user ID could name more keys than meant. */
int cm_hex_is_fpr(const char *s);

#endif
