/* cm_armorw - writes the ASCII armor of one OpenPGP message (RFC 4880 §6,
 * RFC 9580 §6.2) around binary packets as they come: the BEGIN line, no
 * armor headers, base64 in lines of 64 characters as gpg writes them, the
 * CRC-24 line and the END line, every line ending in CRLF. The engines
 * write binary and this writes the armor, so the engine's output is
 * judged (cm_pgppkt) without first decoding an armor it made. */
#ifndef CM_ARMORW_H
#define CM_ARMORW_H

#include <stddef.h>
#include <stdint.h>

#include "cm_base64.h"
#include "cm_buf.h"

typedef struct cm_armorw {
    cm_b64enc enc;
    uint32_t crc;       /* CRC-24 of the bytes so far */
} cm_armorw;

/* Start an armor: its BEGIN line and the blank line after the headers
 * are appended to out. 0, or -1 out of memory. */
int cm_armorw_begin(cm_armorw *w, cm_buf *out);
/* The armor of the next n bytes, appended to out. 0 or -1. */
int cm_armorw_push(cm_armorw *w, const void *p, size_t n, cm_buf *out);
/* The last base64 line, the CRC line and the END line. 0 or -1. */
int cm_armorw_finish(cm_armorw *w, cm_buf *out);

#endif
