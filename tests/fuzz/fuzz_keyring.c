/* libFuzzer: the keyring file checks (keybox blob chain, packet chain). */
#include "cm_keyring.h"

#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[256];
    size_t n;

    (void) cm_keyring_check(data, size, 1, &n, err, sizeof(err));
    (void) cm_keyring_check(data, size, 0, &n, err, sizeof(err));
    return 0;
}
