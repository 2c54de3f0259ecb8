/* cm_cms_int - what the S/MIME engine's files share. Not for other files. */
#ifndef CM_CMS_INT_H
#define CM_CMS_INT_H

#include <openssl/bio.h>
#include <openssl/x509.h>

#include "cm_certs.h"
#include "cm_engine.h"
#include "cm_engine_io.h"

struct cm_engine {
    cm_certcache *certs;    /* CertificateDir, shared by every thread */
};

struct cm_engine_session {
    cm_engine *e;
    const cm_msgctx *ctx;
    cm_certs *certs;        /* the snapshot the message began with; NULL until a lookup */
    STACK_OF(X509) *rcpts;
};

/* BIOs reading io->in and writing io->out (either NULL when io's is).
 * 0, or -1 (out of memory). The caller frees them. */
int cm_cms_bios(cm_engine_io *io, BIO **in, BIO **out);

#endif
