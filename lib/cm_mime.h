/* cm_mime - find the body parts of a multipart entity (RFC 2046 §5.1.1). */
#ifndef CM_MIME_H
#define CM_MIME_H

#include <stddef.h>

typedef struct cm_part {
    size_t off, len;    /* the part (its headers and body), without delimiters */
    int complete;       /* 0: the data ended before the part's closing delimiter */
} cm_part;

/* Find up to max parts of the multipart body p[0..n) delimited by boundary.
 * Returns the number of parts found; a part still open when the data ends is
 * returned too, with complete = 0. Sets *closed if the close delimiter was seen. */
size_t cm_mime_parts(const unsigned char *p, size_t n, const char *boundary,
                     cm_part *parts, size_t max, int *closed);

#endif
