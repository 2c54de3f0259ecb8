/* cm_armor - a streaming reader of one OpenPGP ASCII-armored message
 * (RFC 4880 §6): BEGIN line, a few standard armor headers, base64 lines,
 * the CRC-24 line, END line, white space around it and nothing else. The
 * decoded bytes go through cm_pgppkt, so the verdict is "one complete,
 * intact encrypted message" or not. */
#ifndef CM_ARMOR_H
#define CM_ARMOR_H

#include <stddef.h>
#include <stdint.h>

#include "cm_buf.h"
#include "cm_base64.h"
#include "cm_crc24.h"
#include "cm_lines.h"
#include "cm_pgppkt.h"

/* Longest line accepted (RFC 5322's 998 plus CRLF); armor lines are 64-76. */
#define CM_ARMOR_MAX_LINE 1000
/* Armor headers accepted: Version, Comment and Charset, each at most once
 * and at most this long. Anything else may be text a reader shows. */
#define CM_ARMOR_MAX_HEADER 76

typedef struct cm_armor {
    int state;
    int bad;                /* sticky: not one armored encrypted message */
    unsigned seen_hdrs;     /* bit per accepted armor header key */
    cm_b64 dec;
    uint32_t crc;           /* CRC-24 of the decoded bytes so far */
    int has_crc;
    uint32_t want_crc;
    cm_lines lines;         /* cm_armor_push's line splitter */
    cm_buf out;             /* scratch for decoded bytes */
    uint64_t decoded;       /* bytes decoded */
    cm_pgppkt pkt;
} cm_armor;

void cm_armor_init(cm_armor *a);
void cm_armor_free(cm_armor *a);
/* Feed n bytes of text. 0, or -1 out of memory. */
int cm_armor_push(cm_armor *a, const unsigned char *p, size_t n);
/* Feed one line, without its line break. 0, or -1 out of memory. */
int cm_armor_line(cm_armor *a, const unsigned char *p, size_t n);
/* After the last byte: 1 one complete armored encrypted message (CRC
 * right where present), 0 not, -1 out of memory. */
int cm_armor_finish(cm_armor *a);
/* Whether the reader has already decided "not". */
int cm_armor_failed(const cm_armor *a);

#endif
