/* cm_plainsink - where a decryption's plaintext goes: into a spool with
 * CRLF line ends, and, if a digest is given, digested as the engine wrote
 * it (what was signed). A cm_writer: {cm_plainsink_write, &sink}. Shared
 * by the OpenPGP and S/MIME outbound paths. */
#ifndef CM_PLAINSINK_H
#define CM_PLAINSINK_H

#include <stddef.h>

#include "cm_buf.h"
#include "cm_crlf.h"
#include "cm_digest.h"
#include "cm_spool.h"

typedef struct cm_plainsink {
    cm_spool *out;
    cm_digest *dg;      /* NULL: no digest */
    cm_crlf crlf;
    cm_buf tmp;
} cm_plainsink;

void cm_plainsink_init(cm_plainsink *p, cm_spool *out, cm_digest *dg);
void cm_plainsink_free(cm_plainsink *p);
/* 0, or -1 with errno (ENOMEM, or the spool's). */
int cm_plainsink_write(void *arg, const void *buf, size_t n);

#endif
