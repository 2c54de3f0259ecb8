/* cm_certs - the S/MIME recipients' certificates (SPEC §3.2): every PEM
 * certificate in CertificateDir, indexed by its email addresses. A loaded
 * directory is a read-only snapshot, reference counted, so a message keeps
 * the one it began with; the cache loads the directory again when it
 * changes (a file added, removed or rewritten) or the configuration was
 * reloaded. */
#ifndef CM_CERTS_H
#define CM_CERTS_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/x509.h>

#include "cm_engine.h"
#include "cm_snapshot.h"
#include "cm_status.h"

typedef struct cm_certs cm_certs;
typedef struct cm_snapshot cm_certcache;    /* a cm_snapshot of cm_certs */

/* Load dir now. CM_ERR_CERTS (logged) if it, or a file in it, cannot be
 * read (a certificate hidden that way would make its owner's mail look
 * keyless); a file that cannot be parsed, or holds no certificate usable
 * for encryption, is logged by name and skipped. */
cm_stat cm_certs_load(const char *dir, cm_certs **out);
/* Release a snapshot (NULL is fine). */
void cm_certs_put(cm_certs *c);
/* Certificates indexed, and files skipped. */
size_t cm_certs_count(const cm_certs *c);
size_t cm_certs_skipped(const cm_certs *c);
/* The newest certificate whose address is exactly addr (case-insensitive),
 * valid at now, or NULL. It lives as long as the snapshot. */
X509 *cm_certs_find(const cm_certs *c, const char *addr, int64_t now);
/* cryptmilter-keys: fn for every address and certificate, in address
 * order, as they stand at now (class smime, id issuer/serial). CM_OK, or
 * CM_ERR_NOMEM. */
cm_stat cm_certs_list(const cm_certs *c, int64_t now, cm_keyinfo_fn fn, void *arg);

/* Why x cannot be an encryption recipient (key type, key usage), or NULL
 * if it can. */
const char *cm_certs_unusable(X509 *x);
/* The first PEM certificate of the file path (EncryptToSelf names one so):
 * *out (the caller's reference), and into info its expiry and state at
 * now. A file that is not there, cannot be read or holds no certificate:
 * *out NULL, CM_KEY_MISSING (the cause logged). CM_OK, or CM_ERR_NOMEM. */
cm_stat cm_certs_read_one(const char *path, int64_t now, X509 **out, cm_keyinfo *info);

cm_certcache *cm_certcache_new(void);
void cm_certcache_free(cm_certcache *cc);
/* dir's certificates as they are now (a reference: cm_certs_put it). gen
 * is the serial of the configuration in use: when it differs from the last
 * call's, the directory is read again whatever it looks like (SIGHUP).
 * Thread-safe. */
cm_stat cm_certcache_get(cm_certcache *cc, const char *dir, uint64_t gen, cm_certs **out);

#endif
