/* cm_cms_int - what the S/MIME engine's files share. Not for other files. */
#ifndef CM_CMS_INT_H
#define CM_CMS_INT_H

#include <openssl/bio.h>
#include <openssl/x509.h>

#include "cm_certs.h"
#include "cm_engine.h"
#include "cm_engine_io.h"
#include "cm_gwcerts.h"

struct cm_engine {
    cm_certcache *certs;    /* CertificateDir, shared by every thread */
    cm_gwcache *gw;         /* GatewayCertificates and TrustAnchors */
};

struct cm_engine_session {
    cm_engine *e;
    const cm_msgctx *ctx;
    cm_certs *certs;        /* the snapshot the message began with; NULL until a lookup */
    STACK_OF(X509) *rcpts;
    STACK_OF(X509) *archive;    /* EncryptToSelf certificates read (key_by_id) */
    cm_gwcerts *gw;         /* outbound: the set the message began with; NULL until used */
    STACK_OF(X509) *signers;    /* outbound: certificates signatures were checked with */
};

/* OpenSSL's reason for what failed, logged (never message content). */
void cm_cms_log_ssl(const cm_msgctx *mc, const char *what);

/* The outbound ops (cm_cms_dec.c), as cm_engine_ops describes them. */
cm_stat cm_cms_decrypt_gateway(cm_engine_session *s, cm_reader *in, cm_writer *out, int *ours,
                               int *authenticated);
cm_stat cm_cms_verify_opaque(cm_engine_session *s, cm_reader *in, cm_writer *out, cm_sigs *sigs);
cm_stat cm_cms_verify_detached(cm_engine_session *s, cm_reader *data, const void *sig,
                               size_t siglen, cm_sigs *sigs);
cm_stat cm_cms_key_has_addr(cm_engine_session *s, const char *fpr, const char *addr, int *yes);

/* BIOs reading io->in and writing io->out (either NULL when io's is).
 * 0, or -1 (out of memory). The caller frees them. */
int cm_cms_bios(cm_engine_io *io, BIO **in, BIO **out);

#endif
