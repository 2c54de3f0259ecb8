/* cm_pgpmime - the PGP/MIME format (RFC 3156): an OpenPGP engine's armored
 * ciphertext of the entity, checked and framed as multipart/encrypted. */
#ifndef CM_PGPMIME_H
#define CM_PGPMIME_H

#include "cm_buf.h"
#include "cm_engine.h"
#include "cm_entity.h"
#include "cm_rewrite.h"
#include "cm_spool.h"

/* A fresh boundary in env, and the header fields that name it (freed by
 * the caller with cm_envelope_free): known before a byte is encrypted, so
 * that a front end can send the header edits first. */
cm_stat cm_pgpmime_envelope(cm_envelope *env);
/* Encrypt in through the engine session s (recipients added) into out as
 * the multipart/encrypted body (CRLF, 7-bit) env describes. What the engine
 * wrote must be one complete message with one PKESK per recipient key and
 * one integrity-protected data packet running to the end, else
 * CM_ERR_ENCRYPT; of the engine's output, only what lies inside that data
 * packet, after the right session key packets, ever reaches out, so out
 * may stream into the MTA. */
cm_stat cm_pgpmime_encrypt(const cm_engine_ops *ops, cm_engine_session *s, const cm_msgctx *mc,
                           cm_entity *in, cm_spool *out, const cm_envelope *env);

/* The Content-Type value for boundary, folded with "\n\t"; heap string. */
char *cm_pgpmime_content_type(const char *boundary);
/* Append everything before the armored ciphertext to b: the preamble, the
 * application/pgp-encrypted version part and the octet-stream part's
 * header (it waits there with the first ciphertext). 0 or -1 (ENOMEM). */
int cm_pgpmime_begin(const char *boundary, cm_buf *b);
/* Write the close delimiter after the ciphertext. 0 or -1. */
int cm_pgpmime_end(const char *boundary, cm_spool *out);

#endif
