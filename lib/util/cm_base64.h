/* cm_base64 - incremental base64 decoder (RFC 4648), white space ignored,
 * and encoder into MIME lines (RFC 2045). */
#ifndef CM_BASE64_H
#define CM_BASE64_H

#include <stddef.h>

#include "cm_buf.h"

typedef struct cm_b64 {
    unsigned acc;
    int bits;
    int done;       /* padding seen */
} cm_b64;

void cm_b64_init(cm_b64 *d);
/* Each byte's value: 0-63 for the alphabet, 64 invalid, 65 white space,
 * 66 '='. */
extern const unsigned char cm_b64_table[256];

/* Is c a base64 alphabet character or '=' (what an armor data line holds)? */
static inline int cm_b64_is_data(int c)
{
    unsigned char v = cm_b64_table[(unsigned char) c];

    return v < 64 || v == 66;
}
/* Decode p[0..n) appending to out, never growing out beyond max bytes.
 * 0 ok, -1 invalid character, -2 out of memory. */
int cm_b64_decode(cm_b64 *d, const char *p, size_t n, cm_buf *out, size_t max);

/* The encoder: lines of CM_B64_LINE characters (MIME), or another
 * multiple of 4, each ending in CRLF. */
#define CM_B64_LINE 76

typedef struct cm_b64enc {
    unsigned char pend[3];
    size_t npend;
    size_t col;             /* characters on the current line */
    size_t line;            /* characters a line */
} cm_b64enc;

/* Lines of CM_B64_LINE. */
void cm_b64enc_init(cm_b64enc *e);
/* Lines of line characters: a multiple of 4, at least 4. */
void cm_b64enc_init_line(cm_b64enc *e, size_t line);
/* Encode p[0..n), appending to out. 0, or -1 (out of memory). */
int cm_b64enc_push(cm_b64enc *e, const void *p, size_t n, cm_buf *out);
/* The last group, padded, and the last line's CRLF. 0 or -1. */
int cm_b64enc_finish(cm_b64enc *e, cm_buf *out);

#endif
