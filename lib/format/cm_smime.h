/* cm_smime - the S/MIME format (RFC 8551): an S/MIME engine's DER
 * (EnvelopedData or AuthEnvelopedData) of the entity, checked and framed as
 * application/pkcs7-mime, base64 in lines of 76. */
#ifndef CM_SMIME_H
#define CM_SMIME_H

#include "cm_engine.h"
#include "cm_entity.h"
#include "cm_rewrite.h"
#include "cm_spool.h"

/* The header fields of an S/MIME enveloped message (env, freed by the
 * caller with cm_envelope_free): known before a byte is encrypted. */
cm_stat cm_smime_envelope(const cm_msgctx *mc, cm_envelope *env);
/* Encrypt in through the engine session s (recipients added) into out as
 * the base64 body (CRLF). What the engine wrote must be one complete BER
 * element, a ContentInfo of the type SMIMECipher calls for, else
 * CM_ERR_ENCRYPT; nothing of it reaches out unless it begins as that
 * ContentInfo, and nothing after that element ever does, so out may stream
 * into the MTA. */
cm_stat cm_smime_encrypt(const cm_engine_ops *ops, cm_engine_session *s, const cm_msgctx *mc,
                         cm_entity *in, cm_spool *out);

#endif
