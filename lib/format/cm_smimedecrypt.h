/* cm_smimedecrypt - the S/MIME ciphertext of an outbound message (SPEC
 * §4.1), decrypted if it is enveloped to a gateway certificate; and the
 * reader both S/MIME steps take their DER from (a range of a spool, in its
 * transfer encoding). */
#ifndef CM_SMIMEDECRYPT_H
#define CM_SMIMEDECRYPT_H

#include "cm_base64.h"
#include "cm_detect.h"
#include "cm_engine.h"
#include "cm_spool.h"

/* Bytes [off, off + len) of a spool, base64-decoded if cte says so. */
typedef struct cm_der_reader {
    cm_spool_range r;
    cm_cte cte;
    cm_b64 b64;
    cm_buf pend;            /* decoded, not yet read */
    size_t pos;
    int err;                /* errno of the first failed spool read, 0 if none */
    int bad;                /* not base64: read as the end (the DER is then cut short) */
} cm_der_reader;

void cm_der_reader_init(cm_der_reader *d, cm_spool *sp, uint64_t off, uint64_t len, cm_cte cte);
void cm_der_reader_free(cm_der_reader *d);
/* As cm_reader's read (arg a cm_der_reader). */
ssize_t cm_der_reader_read(void *arg, void *buf, size_t n);

/* Decrypt the ciphertext at w in body into plain (CRLF line ends) if it is
 * for a gateway certificate: *ours then set, and *authenticated if the
 * encryption has integrity (AuthEnvelopedData). CM_OK with *ours 0: not
 * ours, untouched. Unless CM_OK, whatever is in plain must be thrown away. */
cm_stat cm_smime_decrypt(const cm_engine_ops *ops, cm_engine_session *s, const cm_msgctx *mc,
                         cm_spool *body, const cm_detect_where *w, cm_spool *plain, int *ours,
                         int *authenticated);

#endif
