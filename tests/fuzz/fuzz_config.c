/* libFuzzer: the configuration loader (a file of any bytes). */
#include "cm_config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char path[64];
    char err[1024];
    cm_config *cfg;
    FILE *fp;

    if (path[0] == 0)
        snprintf(path, sizeof(path), "/tmp/cm-fuzz-config.%ld", (long) getpid());
    if ((fp = fopen(path, "wb")) == NULL)
        abort();
    if (size > 0 && fwrite(data, 1, size, fp) != size)
        abort();
    if (fclose(fp) != 0)
        abort();
    if ((cfg = cm_config_load(path, err, sizeof(err))) != NULL) {
        (void) cm_config_check_reload(cfg, path, err, sizeof(err));
        cm_config_free(cfg);
    }
    (void) unlink(path);
    return 0;
}
