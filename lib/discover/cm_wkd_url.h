/* cm_wkd_url - where the Web Key Directory keeps an address's key
 * (draft-koch-openpgp-webkey-service): the local part, ASCII lower-cased,
 * hashed with SHA-1 and written in z-base-32, under the advanced method's
 * host (openpgpkey.DOMAIN) or the domain itself (the direct method). Pure. */
#ifndef CM_WKD_URL_H
#define CM_WKD_URL_H

#include <stddef.h>

#define CM_WKD_HASH_LEN 32          /* z-base-32 of 160 bits */
#define CM_WKD_URL_MAX 1024         /* room for the longest URL we make */

typedef enum { CM_WKD_ADVANCED, CM_WKD_DIRECT } cm_wkd_method;

/* The hashed local part of local[0..n) into out (CM_WKD_HASH_LEN digits
 * and a NUL): 0, or -1 (the digest failed). */
int cm_wkd_url_hash(const char *local, size_t n, char out[CM_WKD_HASH_LEN + 1]);

/* Is addr one we look up: local@domain, a local part of 1 to 64 bytes,
 * neither control characters nor space (UTF-8 taken as it is: only ASCII
 * is lower-cased for the hash), a domain of 1 to 253 ASCII letters, digits,
 * hyphens and dots (labels not empty)? 1 or 0. */
int cm_wkd_url_valid(const char *addr);

/* The URL of addr's key by method into out (len bytes, CM_WKD_URL_MAX
 * always enough): the domain lower-cased, the local part as given,
 * percent-encoded, in the l= parameter. 0, or -1 (not a valid address, or
 * out too small). */
int cm_wkd_url(const char *addr, cm_wkd_method method, char *out, size_t len);

#endif
