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

/* libgcrypt made ready for S-expressions (once; no secure memory):
 * 0, or -1 if it cannot be. */
int cm_g10_init(void);

/* If the canonical key c (n bytes) is in the form gpg --import leaves a
 * secret key in until gpg-agent first uses it ("openpgp-native": the
 * OpenPGP key packet's own fields and protection), the key as gpg-agent
 * converts it: (private-key ...) into *out (heap, *outlen bytes; the
 * caller wipes and frees it). 0 converted; 1 not that form, nothing done;
 * 2 protected by a passphrase; -1 with the reason in err (an algorithm
 * other than ECC and RSA among them); -2 out of memory. */
int cm_g10_from_openpgp_native(const unsigned char *c, size_t n, unsigned char **out,
                               size_t *outlen, char *err, size_t errlen);

/* Does the unprotected key c (canonical, n bytes) hold together: are
 * its values of its algorithm's sizes, and does its secret part belong to
 * its public part (ECC and RSA)? 0 yes; 1 not checked (protected, another
 * algorithm, not a key); -1 no, the reason in err. */
int cm_g10_check(const unsigned char *c, size_t n, char *err, size_t errlen);

/* The keygrip, as gpg-agent names the key file, of a Curve25519 (cv25519,
 * ECDH) public key whose point q is the 33 bytes 0x40 || x of its OpenPGP
 * key packet: 40 upper-case hex digits and a NUL into hex. 0; -1 with the
 * reason in err. */
int cm_g10_cv25519_keygrip(const unsigned char *q, size_t qlen, char hex[41], char *err,
                           size_t errlen);

#endif
