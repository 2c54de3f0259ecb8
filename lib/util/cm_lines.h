/* cm_lines - split a byte stream into lines of bounded length, however it
 * is cut into chunks. */
#ifndef CM_LINES_H
#define CM_LINES_H

#include <stddef.h>

#include "cm_buf.h"

typedef struct cm_lines {
    cm_buf partial;         /* a line not yet ended */
    size_t max;             /* longest line accepted, without its LF */
    int too_long;           /* sticky: a line was longer */
} cm_lines;

/* Called with each line, without its LF; returns 0, or -1 to stop. */
typedef int (*cm_line_fn)(void *arg, const unsigned char *p, size_t n);

void cm_lines_init(cm_lines *l, size_t max);
void cm_lines_free(cm_lines *l);
/* Feed bytes; fn sees every complete line. Stops at a line over max
 * (too_long set, returns 0) or when fn returns -1 (returns -1); -1 also
 * on out of memory. *stop, if not NULL, is read before each line: nonzero
 * ends the feeding early. */
int cm_lines_push(cm_lines *l, const unsigned char *p, size_t n, cm_line_fn fn, void *arg,
                  const int *stop);
/* Hand fn the last line if the stream did not end with LF. */
int cm_lines_finish(cm_lines *l, cm_line_fn fn, void *arg);

#endif
