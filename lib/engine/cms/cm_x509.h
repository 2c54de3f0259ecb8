/* cm_x509 - what both directions ask of a certificate: its email
 * addresses (SPEC §3.2: subjectAltName rfc822Names or, lacking any, the
 * subject's emailAddress), its times, its fingerprint. */
#ifndef CM_X509_H
#define CM_X509_H

#include <stdint.h>

#include <openssl/x509.h>

#include "cm_engine.h"

/* An ASN1_TIME as seconds since the epoch. 0, or -1 if unreadable. */
int cm_x509_time(const ASN1_TIME *t, int64_t *out);

/* Call fn for each email address of x (not NUL-terminated; one with a NUL
 * in it is left out: it never matches). Stops at fn's first nonzero
 * return, which is returned; 0 after all, -1 out of memory. */
int cm_x509_each_email(X509 *x, int (*fn)(void *arg, const unsigned char *addr, int len),
                       void *arg);

/* Is addr (case-insensitive) one of x's email addresses? 1, 0, -1 no memory. */
int cm_x509_has_email(X509 *x, const char *addr);

/* SHA-256 of x's DER, in upper-case hex: what stands for an S/MIME signer
 * where OpenPGP has a fingerprint (log lines, the replay cache). 0 or -1. */
int cm_x509_fpr(X509 *x, char out[CM_FPR_MAX + 1]);

/* x's issuer (RFC 4514, a space written \\20 so that the whole is one
 * word), '/', its serial number in hex: what names a certificate where
 * OpenPGP has a fingerprint for cryptmilter-keys. 0, or -1 (too long for
 * len, or OpenSSL failed). */
int cm_x509_issuer_serial(X509 *x, char *out, size_t len);

#endif
