/* libFuzzer: the header section parser, envelope and From: addresses,
 * the decrypted entity reader (outbound) and the streaming MIME scan,
 * which must agree with the whole-buffer one. */
#include "cm_addr.h"
#include "cm_header.h"
#include "cm_mime.h"
#include "cm_strip.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The streaming and the whole-buffer part finders give the same parts,
 * the stream cut in two at a point the input chooses. */
static void mime_scan(const uint8_t *data, size_t size)
{
    cm_part whole[CM_MIME_SCAN_MAX];
    cm_mime_scan sc;
    size_t n, i, cut = size > 0 ? data[0] % (size + 1) : 0;
    int closed;

    n = cm_mime_parts(data, size, "b", whole, CM_MIME_SCAN_MAX, &closed);
    if (cm_mime_scan_init(&sc, "b") < 0)
        abort();
    cm_mime_scan_push(&sc, data, cut);
    cm_mime_scan_push(&sc, data + cut, size - cut);
    cm_mime_scan_finish(&sc);
    if (sc.n != n || sc.closed != closed)
        abort();
    for (i = 0; i < n; i++)
        if (sc.parts[i].off != whole[i].off || sc.parts[i].len != whole[i].len
            || sc.parts[i].complete != whole[i].complete)
            abort();
}

/* Decrypted plaintext as the outbound path reads it. */
static void stripped(const uint8_t *data, size_t size, const cm_hdrs *outer)
{
    cm_spool *sp = cm_spool_new(1 << 20, NULL);
    cm_stripped x;
    cm_edits e = {NULL, 0};
    int nomem, inl;
    char *from;

    if (sp == NULL || cm_spool_write(sp, data, size) < 0) {
        cm_spool_free(sp);
        return;
    }
    for (inl = 0; inl < 2; inl++) {
        if (cm_strip_parse(&x, sp, inl, outer) == CM_OK) {
            if (x.body_off > size || (x.is_signed && x.signed_part.off + x.signed_part.len > size))
                abort();
            (void) cm_strip_edits(&x, outer, "decrypted pgp-mime", 1, &e);
            cm_edits_free(&e);
            from = cm_strip_from(&x.ehdrs, &nomem);
            free(from);
        }
        cm_stripped_free(&x);
    }
    cm_spool_free(sp);
}

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
        int nomem;

        free(u);
        u = cm_strip_from(&h, &nomem);
        free(u);
    }
    stripped(data, size, &h);
    cm_hdrs_free(&h);
    mime_scan(data, size);
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
