/* libFuzzer: the armor reader, the OpenPGP packet walk and the BER walk. */
#include "cm_armor.h"
#include "cm_der.h"
#include "cm_pgppkt.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cm_armor a;
    cm_pgppkt w;
    cm_der d;
    size_t i;
    int r;

    cm_armor_init(&a);
    if (cm_armor_push(&a, data, size) < 0)
        abort();
    r = cm_armor_finish(&a);
    if (r < 0 || r > 1)
        abort();
    cm_armor_free(&a);
    /* The raw bytes as a packet stream, one byte at a time and at once. */
    cm_pgppkt_init(&w);
    for (i = 0; i < size; i++)
        cm_pgppkt_push(&w, data + i, 1);
    r = cm_pgppkt_finish(&w);
    cm_pgppkt_init(&w);
    cm_pgppkt_push(&w, data, size);
    if (cm_pgppkt_finish(&w) != r)
        abort();
    cm_der_init(&d);
    cm_der_push(&d, data, size);
    (void) cm_der_is_enveloped(&d);
    return 0;
}
