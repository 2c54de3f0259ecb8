/* cm_plainsink - where a decryption's plaintext goes: into a spool with
 * CRLF line ends, and, if a digest is given, digested as the engine wrote
 * it (what was signed). A cm_writer: {cm_plainsink_write, &sink}. Shared
 * by the OpenPGP and S/MIME outbound paths.
 *
 * The plaintext is bounded (MaxDecryptedSize, SPEC §4.2): a write that
 * would take the spool past max fails with EFBIG and sets over, so the
 * engine stops at once (a compressed packet can expand a few KiB into
 * GiB) and nothing past the bound is ever written. */
#ifndef CM_PLAINSINK_H
#define CM_PLAINSINK_H

#include <stddef.h>

#include "cm_buf.h"
#include "cm_crlf.h"
#include "cm_digest.h"
#include "cm_engine.h"
#include "cm_spool.h"

typedef struct cm_plainsink {
    cm_spool *out;
    cm_digest *dg;      /* NULL: no digest */
    cm_crlf crlf;
    cm_buf tmp;
    uint64_t max;       /* the most the spool may hold */
    int over;           /* a write would have crossed max */
} cm_plainsink;

void cm_plainsink_init(cm_plainsink *p, cm_spool *out, cm_digest *dg, uint64_t max);
void cm_plainsink_free(cm_plainsink *p);
/* 0, or -1 with errno (ENOMEM, EFBIG past the bound, or the spool's). */
int cm_plainsink_write(void *arg, const void *buf, size_t n);

/* The engine was stopped at the bound: logged once, CM_DECRYPT_TOOBIG
 * (permanent: the same message crosses it again). */
cm_stat cm_plainsink_over(const cm_plainsink *p, const cm_msgctx *mc);

#endif
