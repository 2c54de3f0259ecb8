/* cm_testbuf - a cm_buf as an engine operation's reader (read from the
 * front, what is read is gone) and as its writer (appended to). */
#ifndef CM_TESTBUF_H
#define CM_TESTBUF_H

#include "cm_buf.h"

#include <string.h>
#include <sys/types.h>

static inline ssize_t buf_read(void *arg, void *out, size_t n)
{
    cm_buf *b = arg;
    size_t k = n < b->len ? n : b->len;

    memcpy(out, b->data, k);
    memmove(b->data, b->data + k, b->len - k);
    b->len -= k;
    return (ssize_t) k;
}

static inline int buf_write(void *arg, const void *p, size_t n)
{
    return cm_buf_append(arg, p, n);
}

#endif
