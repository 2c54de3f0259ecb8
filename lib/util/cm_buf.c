/* cm_buf - growable, binary-safe, overflow-checked byte buffer. */
#include "cm_buf.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void cm_buf_init(cm_buf *b)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}

void cm_buf_free(cm_buf *b)
{
    free(b->data);
    cm_buf_init(b);
}

void cm_buf_reset(cm_buf *b)
{
    b->len = 0;
    if (b->data != NULL)
        b->data[0] = 0;
}

/* Make room for extra bytes plus the terminating NUL. */
int cm_buf_reserve(cm_buf *b, size_t extra)
{
    size_t need, ncap;
    unsigned char *p;

    if (extra > SIZE_MAX - 1 - b->len) {
        errno = EOVERFLOW;
        return -1;
    }
    need = b->len + extra + 1;
    if (need <= b->cap)
        return 0;
    ncap = b->cap ? b->cap : 64;
    while (ncap < need) {
        if (ncap > SIZE_MAX / 2) {
            ncap = need;
            break;
        }
        ncap *= 2;
    }
    if ((p = realloc(b->data, ncap)) == NULL) {
        errno = ENOMEM;
        return -1;
    }
    b->data = p;
    b->cap = ncap;
    return 0;
}

int cm_buf_append(cm_buf *b, const void *p, size_t n)
{
    if (cm_buf_reserve(b, n) < 0)
        return -1;
    if (n > 0)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = 0;
    return 0;
}

int cm_buf_puts(cm_buf *b, const char *s)
{
    return cm_buf_append(b, s, strlen(s));
}

int cm_buf_putc(cm_buf *b, int c)
{
    unsigned char ch = (unsigned char) c;

    return cm_buf_append(b, &ch, 1);
}

int cm_buf_printf(cm_buf *b, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return -1;
    if (cm_buf_reserve(b, (size_t) n) < 0)
        return -1;
    va_start(ap, fmt);
    n = vsnprintf((char *) b->data + b->len, b->cap - b->len, fmt, ap);
    va_end(ap);
    if (n < 0)
        return -1;
    b->len += (size_t) n;
    return 0;
}

char *cm_buf_detach(cm_buf *b, size_t *lenp)
{
    char *s;

    if (b->data == NULL && cm_buf_reserve(b, 0) < 0)
        return NULL;
    b->data[b->len] = 0;
    s = (char *) b->data;
    if (lenp != NULL)
        *lenp = b->len;
    cm_buf_init(b);
    return s;
}

const char *cm_buf_str(const cm_buf *b)
{
    return b->data != NULL ? (const char *) b->data : "";
}

void *cm_array_resize(void *v, size_t n, size_t size)
{
    if (size != 0 && n > ((size_t) -1) / size) {
        errno = EOVERFLOW;
        return NULL;
    }
    return realloc(v, n == 0 || size == 0 ? 1 : n * size);
}
