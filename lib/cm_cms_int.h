/* cm_cms_int - what the S/MIME engine's files share. Not for other files. */
#ifndef CM_CMS_INT_H
#define CM_CMS_INT_H

#include <stdint.h>

#include <openssl/bio.h>
#include <openssl/x509.h>

#include "cm_certs.h"
#include "cm_engine.h"

struct cm_engine {
    cm_certcache *certs;    /* CertificateDir, shared by every thread */
};

struct cm_engine_session {
    cm_engine *e;
    const cm_msgctx *ctx;
    cm_certs *certs;        /* the snapshot the message began with; NULL until a lookup */
    STACK_OF(X509) *rcpts;
};

/* One operation's reader and writer, and what failed in them. */
typedef struct cm_cms_io {
    cm_reader *in;          /* may be NULL */
    cm_writer *out;         /* may be NULL */
    int read_errno, write_errno;
    int64_t deadline;       /* monotonic seconds: EngineTimeout */
    int timed_out;
} cm_cms_io;

/* io over in and out, with the deadline EngineTimeout from now. */
void cm_cms_io_init(cm_cms_io *io, const cm_msgctx *mc, cm_reader *in, cm_writer *out);

/* BIOs reading io->in and writing io->out (either NULL when io's is).
 * 0, or -1 (out of memory). The caller frees them. */
int cm_cms_bios(cm_cms_io *io, BIO **in, BIO **out);

#endif
