/* cm_pgpdecrypt - the OpenPGP ciphertext of an outbound message, checked
 * (for a gateway key, integrity protected) and decrypted. */
#ifndef CM_PGPDECRYPT_H
#define CM_PGPDECRYPT_H

#include "cm_detect.h"
#include "cm_digest.h"
#include "cm_engine.h"
#include "cm_spool.h"

typedef struct cm_pgp_plain {
    cm_spool *plain;        /* in: where the plaintext goes (CRLF line ends) */
    int ours;               /* out: for a gateway key (else nothing was decrypted) */
    cm_sigs sigs;           /* out: the signatures made with the encryption */
    unsigned char digest[CM_DIGEST_LEN];    /* out: of the plaintext as signed */
} cm_pgp_plain;

/* Decrypt the ciphertext at w in body (w as detection filled it, with the
 * packet walk's findings) if it is for a gateway key. CM_OK
 * with out->ours 0: not ours, untouched. CM_DECRYPT_FAILED: ours but not
 * integrity protected, or the engine refused it. Unless CM_OK, whatever is
 * in out->plain must be thrown away. */
cm_stat cm_pgp_decrypt(const cm_engine_ops *ops, cm_engine_session *s, const cm_msgctx *mc,
                       cm_spool *body, const cm_detect_where *w, cm_pgp_plain *out);

#endif
