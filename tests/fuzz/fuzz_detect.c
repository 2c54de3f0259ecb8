/* libFuzzer: MIME structure and already-encrypted detection (PGP/MIME,
 * inline armor, S/MIME DER) on a whole message, fed in uneven chunks. */
#include "cm_detect.h"
#include "cm_header.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cm_hdrs h;
    size_t off, pos, step;
    cm_stat st;
    cm_enc_kind k1, k2;
    cm_detector *d;

    cm_hdrs_init(&h, 200, 64 * 1024);
    if (cm_hdrs_parse(&h, data, size, 1, &off, &st) != CM_HPARSE_DONE) {
        cm_hdrs_free(&h);
        return 0;
    }
    if (cm_detect(&h, data + off, size - off, &k1) == 0 && (d = cm_detector_new(&h)) != NULL) {
        /* Chunking must not change the verdict. */
        for (pos = off, step = 1; pos < size; pos += step, step = step * 3 % 97 + 1)
            if (cm_detector_push(d, data + pos, size - pos < step ? size - pos : step) < 0)
                abort();
        if (cm_detector_finish(d, &k2) == 0 && k1 != k2)
            abort();
        cm_detector_free(d);
    }
    cm_hdrs_free(&h);
    return 0;
}
