/* cm_mime - find the body parts of a multipart entity (RFC 2046 §5.1.1). */
#ifndef CM_MIME_H
#define CM_MIME_H

#include <stddef.h>
#include <stdint.h>

typedef struct cm_part {
    size_t off, len;    /* the part (its headers and body), without delimiters */
    int complete;       /* 0: the data ended before the part's closing delimiter */
} cm_part;

/* Find up to max parts of the multipart body p[0..n) delimited by boundary.
 * Returns the number of parts found; a part still open when the data ends is
 * returned too, with complete = 0. Sets *closed if the close delimiter was seen. */
size_t cm_mime_parts(const unsigned char *p, size_t n, const char *boundary,
                     cm_part *parts, size_t max, int *closed);

/* The same, as a stream: bytes are pushed as they come (a 10 MiB part is
 * never held), offsets are from the first byte pushed. */
#define CM_MIME_SCAN_MAX 4
/* A delimiter line is judged on its first bytes (a boundary is at most
 * 70), and past them on whether only transport padding follows, of any
 * length, as cm_mime_parts judges the whole line. */
#define CM_MIME_HEAD 128

typedef struct cm_part64 {
    uint64_t off, len;
    int complete;
} cm_part64;

typedef struct cm_mime_scan {
    char boundary[71];
    size_t blen;
    uint64_t pos;           /* bytes pushed */
    uint64_t line_start;
    int prev_crlf;          /* the line before the current one ended in CRLF */
    unsigned char head[CM_MIME_HEAD];
    size_t hlen;            /* bytes of the current line kept in head */
    int overflow;           /* more than padding past head: no delimiter */
    int last_cr;            /* the last byte pushed was CR */
    cm_part64 parts[CM_MIME_SCAN_MAX];
    size_t n;               /* parts found (more are counted in extra) */
    size_t extra;
    int open, closed;
    uint64_t start;         /* of the current part; once closed, of the epilogue */
    uint64_t preamble;      /* the preamble's length: where the first delimiter's
                             * line (or its line break) begins; set once open */
} cm_mime_scan;

/* 0, or -1 if boundary is empty or longer than RFC 2046's 70. */
int cm_mime_scan_init(cm_mime_scan *s, const char *boundary);
void cm_mime_scan_push(cm_mime_scan *s, const unsigned char *p, size_t n);
/* After the last byte: a part still open is recorded with complete = 0. */
void cm_mime_scan_finish(cm_mime_scan *s);

#endif
