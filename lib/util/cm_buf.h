/* cm_buf - growable, binary-safe, overflow-checked byte buffer. */
#ifndef CM_BUF_H
#define CM_BUF_H

#include <stddef.h>

typedef struct cm_buf {
    unsigned char *data;  /* always NUL-terminated after a successful append */
    size_t len;
    size_t cap;
} cm_buf;

#define CM_BUF_INIT { NULL, 0, 0 }

void cm_buf_init(cm_buf *b);
void cm_buf_free(cm_buf *b);
void cm_buf_reset(cm_buf *b);
/* All of these return 0, or -1 with errno ENOMEM/EOVERFLOW and b unchanged. */
int cm_buf_reserve(cm_buf *b, size_t extra);
int cm_buf_append(cm_buf *b, const void *p, size_t n);
int cm_buf_puts(cm_buf *b, const char *s);
int cm_buf_putc(cm_buf *b, int c);
int cm_buf_printf(cm_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Detach the contents as a NUL-terminated heap string; b becomes empty. */
char *cm_buf_detach(cm_buf *b, size_t *lenp);
const char *cm_buf_str(const cm_buf *b);

/* realloc(v, n * size) for arrays, with the multiplication checked:
 * NULL (errno ENOMEM or EOVERFLOW, v untouched) on failure. */
void *cm_array_resize(void *v, size_t n, size_t size);

#endif
