/* cm_rewrite - the header edits that turn a message into its encrypted form
 * (SPEC §3.5, §3.7), whatever format and engine produced the new body. */
#ifndef CM_REWRITE_H
#define CM_REWRITE_H

#include "cm_boundary.h"
#include "cm_edit.h"
#include "cm_header.h"
#include "cm_status.h"

/* What an encrypted message looks like from outside: a format says. */
typedef struct cm_envelope {
    char *content_type;     /* new Content-Type value, folded with "\n\t" */
    const char *trace;      /* X-Cryptmilter value, e.g. "encrypted pgp-mime" */
    const char *cte;        /* Content-Transfer-Encoding value, or NULL for none */
    const char *disposition;    /* Content-Disposition value, or NULL for none */
    char boundary[CM_BOUNDARY_LEN];     /* a multipart format's, or "" */
} cm_envelope;

void cm_envelope_free(cm_envelope *env);

#define CM_TRACE_HEADER "X-Cryptmilter"

/* Replace any X-Cryptmilter fields (they may be forged) with one saying trace. */
cm_stat cm_rewrite_trace(const cm_hdrs *h, const char *trace, cm_edits *e);
/* Drop every Content-* field but the first Content-Type, which becomes
 * env->content_type; add env's Content-Transfer-Encoding and
 * Content-Disposition if it has them; ensure MIME-Version: 1.0; add the
 * trace field. */
cm_stat cm_rewrite_encrypted(const cm_hdrs *h, const cm_envelope *env, cm_edits *e);

#endif
