/* cm_detect - is this message already encrypted (SPEC §3.1)? A streaming
 * check over the whole body: a message counts as encrypted only if nothing
 * a mail reader could show lies outside the ciphertext. */
#ifndef CM_DETECT_H
#define CM_DETECT_H

#include <stddef.h>
#include <stdint.h>

#include "cm_header.h"
#include "cm_pgppkt.h"

typedef enum cm_enc_kind {
    CM_ENC_NONE,
    CM_ENC_PGP_MIME,
    CM_ENC_PGP_INLINE,
    CM_ENC_SMIME
} cm_enc_kind;

/* A PGP/MIME preamble or epilogue may hold a short note, no more (bytes of
 * text, white space at line ends not counted). */
#define CM_DETECT_MAX_NOTE 256
/* The header section of each PGP/MIME part. */
#define CM_DETECT_MAX_PART_HEADER 1024

/* Where the ciphertext lies in the body, for the outbound path to stream
 * it from the spool: bytes [off, off + len), in this transfer encoding. */
typedef enum cm_cte { CM_CTE_IDENTITY, CM_CTE_BASE64 } cm_cte;

typedef struct cm_detect_where {
    uint64_t off, len;
    cm_cte cte;
    cm_pgppkt pkt;          /* OpenPGP: what the packet walk found (key IDs, data packet) */
} cm_detect_where;

typedef struct cm_detector cm_detector;

/* A detector for a message with header list h (h must outlive it).
 * NULL on out of memory. */
cm_detector *cm_detector_new(const cm_hdrs *h);
void cm_detector_free(cm_detector *d);
/* Feed the next body bytes. 0, or -1 out of memory. */
int cm_detector_push(cm_detector *d, const unsigned char *p, size_t n);
/* 1 once the verdict is "not encrypted" whatever follows: the caller may
 * stop feeding. */
int cm_detector_decided(const cm_detector *d);
/* After the whole body: the verdict. 0, or -1 out of memory. */
int cm_detector_finish(cm_detector *d, cm_enc_kind *kind);
/* After a verdict other than CM_ENC_NONE: where the ciphertext is (the
 * armored block of PGP/MIME part 2, without the line break before the
 * close delimiter; the whole body for inline PGP and S/MIME) and, for
 * OpenPGP, what its packets are, so it is not read again to learn whom it
 * is for. */
void cm_detector_where(const cm_detector *d, cm_detect_where *w);

/* The whole body at once. 0, or -1 out of memory. */
int cm_detect(const cm_hdrs *h, const unsigned char *body, size_t n, cm_enc_kind *kind);
const char *cm_enc_kind_name(cm_enc_kind kind);
/* h's Content-Transfer-Encoding: 1 identity (absent, 7bit, 8bit, binary),
 * 2 base64, 0 anything else, more than one field, or out of memory. */
int cm_detect_cte(const cm_hdrs *h);

#endif
