/* cm_detect - is this message already encrypted (SPEC §3.1)? */
#ifndef CM_DETECT_H
#define CM_DETECT_H

#include <stddef.h>

#include "cm_header.h"

typedef enum cm_enc_kind {
    CM_ENC_NONE,
    CM_ENC_PGP_MIME,
    CM_ENC_PGP_INLINE,
    CM_ENC_SMIME
} cm_enc_kind;

/* How many body bytes detection looks at: enough for the PGP/MIME version
 * part and the session key packets of any realistic number of recipients. */
#define CM_DETECT_PREFIX (256 * 1024)

/* Classify the message with header list h and body prefix body[0..n)
 * (complete: the prefix is the whole body). Only real ciphertext counts:
 * a look-alike carrying plaintext is CM_ENC_NONE. -1 on out of memory. */
int cm_detect(const cm_hdrs *h, const unsigned char *body, size_t n, int complete,
              cm_enc_kind *kind);
const char *cm_enc_kind_name(cm_enc_kind kind);

#endif
