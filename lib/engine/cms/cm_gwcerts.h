/* cm_gwcerts - the gateway's own S/MIME identities (GatewayCertificates:
 * certificates with their private keys, which outbound mail may be
 * encrypted to) and the CAs outbound signers must chain to (TrustAnchors),
 * with their CRLs (TrustCRLs), SPEC §4. Read at start, when the
 * configuration is reloaded, and when the TrustAnchors or TrustCRLs file
 * changes; a loaded set is a read-only snapshot, reference counted. */
#ifndef CM_GWCERTS_H
#define CM_GWCERTS_H

#include <stddef.h>
#include <sys/stat.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "cm_config.h"
#include "cm_snapshot.h"
#include "cm_status.h"

typedef struct cm_gwcerts cm_gwcerts;
typedef struct cm_snapshot cm_gwcache;      /* a cm_snapshot of cm_gwcerts */

/* Read cfg's GatewayCertificates, TrustAnchors and the CRLs (TrustCRLs,
 * and any in the TrustAnchors bundle: cm_crls). Every private key must
 * have its certificate in the files, and a file holding a private key must
 * give others no access (as Postfix and OpenSMTPD insist); encrypted keys
 * are not supported (there is no one to type a passphrase). CM_OK, or with
 * the reason in err CM_ERR_CRL (a CRL or TrustCRLs is at fault) or
 * CM_ERR_GATEWAY_KEY (anything else). */
cm_stat cm_gwcerts_load(const cm_config *cfg, cm_gwcerts **out, char *err, size_t errlen);
void cm_gwcerts_put(cm_gwcerts *g);      /* NULL is fine */
/* The identities of the TrustAnchors and TrustCRLs files g was read from
 * into stamp->file[0] and file[1] (all zero: not set). */
void cm_gwcerts_stamp(const cm_gwcerts *g, cm_snapshot_stamp *stamp);

/* The gateway certificates (each with its key), i < count. */
size_t cm_gwcerts_count(const cm_gwcerts *g);
X509 *cm_gwcerts_cert(const cm_gwcerts *g, size_t i);
EVP_PKEY *cm_gwcerts_key(const cm_gwcerts *g, size_t i);
/* The trust anchors, with the CRLs: NULL when TrustAnchors is not set. */
X509_STORE *cm_gwcerts_anchors(const cm_gwcerts *g);
size_t cm_gwcerts_nanchors(const cm_gwcerts *g);
/* The issuer of each CRL in the anchors' store (for cm_crls_arm); NULL
 * when TrustAnchors is not set. */
STACK_OF(X509_NAME) *cm_gwcerts_crl_issuers(const cm_gwcerts *g);
size_t cm_gwcerts_ncrls(const cm_gwcerts *g);

/* Reading one PEM file as the loader does (cryptmilter-keys' gateway
 * import reads its input and the listed files so). The private keys read
 * (OpenSSL has no stack type for them): */
typedef struct cm_gwcerts_keys {
    EVP_PKEY **v;
    size_t n, cap;
} cm_gwcerts_keys;
void cm_gwcerts_keys_free(cm_gwcerts_keys *kv);
/* path's bytes (heap, *len of them, at most 1 MiB) and what fstat said of
 * it. NULL with err ("KEY PATH: why") and errno (ENOENT: not there). */
char *cm_gwcerts_read_file(const char *key, const char *path, size_t *len, struct stat *st,
                           char *err, size_t errlen);
/* Each of certs, crls, keys not NULL: every certificate of buf onto certs
 * (*ncerts counted), every CRL onto crls, every private key onto keys (an
 * encrypted one is refused); other PEM blocks are passed over. 0, or with
 * err ("KEY PATH: why") -1, or -2 if a CRL is at fault. */
int cm_gwcerts_read_pem(const char *key, const char *path, const char *buf, size_t len,
                        STACK_OF(X509) *certs, size_t *ncerts, STACK_OF(X509_CRL) *crls,
                        cm_gwcerts_keys *keys, char *err, size_t errlen);

/* One set per configuration (cm_gwcache.c): loaded at the first use
 * under a configuration serial, kept while the serial stays and the
 * TrustAnchors and TrustCRLs files are unchanged (a new CRL is read
 * without a SIGHUP). A failed load is not kept (the next message tries
 * again, and until one succeeds none is given). Thread-safe. */
cm_gwcache *cm_gwcache_new(void);
void cm_gwcache_free(cm_gwcache *c);
cm_stat cm_gwcache_get(cm_gwcache *c, const cm_config *cfg, cm_gwcerts **out);

#endif
