/* standalone - run a libFuzzer harness over files named on the command
 * line, without libFuzzer: every build compiles the harnesses this way and
 * ctest replays their seed corpora (under ASan/UBSan in that build). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int main(int argc, char **argv)
{
    int i;

    for (i = 1; i < argc; i++) {
        FILE *fp = fopen(argv[i], "rb");
        unsigned char *buf = NULL;
        size_t len = 0, cap = 0, n;

        if (fp == NULL) {
            perror(argv[i]);
            return 1;
        }
        do {
            if (len == cap) {
                unsigned char *nb;

                cap = cap ? 2 * cap : 65536;
                if ((nb = realloc(buf, cap)) == NULL) {
                    fclose(fp);
                    free(buf);
                    return 1;
                }
                buf = nb;
            }
            n = fread(buf + len, 1, cap - len, fp);
            len += n;
        } while (n > 0);
        if (ferror(fp)) {
            perror(argv[i]);
            return 1;
        }
        fclose(fp);
        (void) LLVMFuzzerTestOneInput(buf, len);
        free(buf);
    }
    printf("%d inputs replayed\n", argc - 1);
    return 0;
}
