/* cm_digest - SHA-256 over bytes that come in pieces (OpenSSL EVP). */
#ifndef CM_DIGEST_H
#define CM_DIGEST_H

#include <stddef.h>

#define CM_DIGEST_LEN 32

typedef struct cm_digest cm_digest;

/* NULL on out of memory. */
cm_digest *cm_digest_new(void);
void cm_digest_free(cm_digest *d);
/* 0, or -1 (the digest is then unusable). */
int cm_digest_update(cm_digest *d, const void *p, size_t n);
/* The digest of everything given; 0 or -1. */
int cm_digest_final(cm_digest *d, unsigned char out[CM_DIGEST_LEN]);
/* One call over p[0..n). 0 or -1. */
int cm_digest_once(const void *p, size_t n, unsigned char out[CM_DIGEST_LEN]);

/* Is the SHA-1 (sha1 1) or MD5 (0) of p[0..n) want (wlen bytes)? What
 * pubring.kbx blobs carry; never used to decide anything about a signer. */
int cm_digest_legacy_is(int sha1, const void *p, size_t n, const unsigned char *want, size_t wlen);
/* The SHA-1 of p[0..n) into out: 0 or -1. For names made of a hash (the
 * Web Key Directory's hashed local part), never for a security decision. */
int cm_digest_sha1(const void *p, size_t n, unsigned char out[20]);
/* Initialise OpenSSL (its configuration file included) in the calling
 * thread, before other threads use it: 0, or -1. Its start-up state then
 * belongs to that thread (the process's main), which OpenSSL's exit
 * handler frees, not to a libmilter worker that may end after it. */
int cm_digest_init(void);
/* Free OpenSSL's per-thread state: a thread that used any of it calls
 * this before it ends. */
void cm_digest_thread_done(void);

#endif
