/* libFuzzer: the header section parser and envelope addresses. */
#include "cm_addr.h"
#include "cm_header.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cm_hdrs h;
    size_t off, i;
    cm_stat st;
    char *a, *s, *base;

    cm_hdrs_init(&h, 200, 64 * 1024);
    if (cm_hdrs_parse(&h, data, size, 1, &off, &st) == CM_HPARSE_DONE && off > size)
        abort();
    for (i = 0; i < h.n; i++) {
        char *u = cm_hdr_unfold(h.v[i].value);

        free(u);
    }
    cm_hdrs_free(&h);
    if ((s = strndup((const char *) data, size)) != NULL) {
        if ((a = cm_addr_bare(s)) != NULL) {
            (void) cm_addr_domain(a);
            (void) cm_addr_base(a, "+-", &base);
            free(base);
            free(a);
        }
        free(s);
    }
    return 0;
}
