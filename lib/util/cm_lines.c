/* cm_lines - split a byte stream into lines of bounded length. */
#include "cm_lines.h"

#include <string.h>

void cm_lines_init(cm_lines *l, size_t max)
{
    cm_buf_init(&l->partial);
    l->max = max;
    l->too_long = 0;
}

void cm_lines_free(cm_lines *l)
{
    cm_buf_free(&l->partial);
}

int cm_lines_push(cm_lines *l, const unsigned char *p, size_t n, cm_line_fn fn, void *arg,
                  const int *stop)
{
    while (n > 0 && !l->too_long && !(stop != NULL && *stop)) {
        const unsigned char *nl = memchr(p, '\n', n);
        size_t take = nl ? (size_t) (nl - p) : n;

        if (l->partial.len + take > l->max) {
            l->too_long = 1;
            break;
        }
        if (nl == NULL)
            return cm_buf_append(&l->partial, p, take);
        if (l->partial.len == 0) {
            if (fn(arg, p, take) < 0)
                return -1;
        } else {
            if (cm_buf_append(&l->partial, p, take) < 0
                || fn(arg, l->partial.data, l->partial.len) < 0)
                return -1;
            cm_buf_reset(&l->partial);
        }
        p += take + 1;
        n -= take + 1;
    }
    return 0;
}

int cm_lines_finish(cm_lines *l, cm_line_fn fn, void *arg)
{
    int r = 0;

    if (l->partial.len > 0 && !l->too_long)
        r = fn(arg, l->partial.data, l->partial.len);
    cm_buf_reset(&l->partial);
    return r;
}
