/* cm_pgpfake - build armored OpenPGP packet sequences for detection tests.
 * Only the packet framing is real; the contents are filler. */
#ifndef CM_PGPFAKE_H
#define CM_PGPFAKE_H

#include <stdio.h>
#include <string.h>

#include "cm_armor.h"
#include "cm_buf.h"

__attribute__((unused)) static void fake_b64(const unsigned char *p, size_t n, cm_buf *out)
{
    static const char al[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t i, col = 0;

    for (i = 0; i < n; i += 3) {
        unsigned v = (unsigned) p[i] << 16 | (i + 1 < n ? (unsigned) p[i + 1] << 8 : 0)
                     | (i + 2 < n ? p[i + 2] : 0);
        char q[4] = {al[v >> 18 & 63], al[v >> 12 & 63], i + 1 < n ? al[v >> 6 & 63] : '=',
                     i + 2 < n ? al[v & 63] : '='};

        cm_buf_append(out, q, 4);
        if ((col += 4) == 64) {
            cm_buf_puts(out, "\n");
            col = 0;
        }
    }
    if (col)
        cm_buf_puts(out, "\n");
}

/* Append a new-format packet with tag and len filler bytes. */
__attribute__((unused)) static void fake_packet(cm_buf *b, int tag, size_t len)
{
    size_t i;

    cm_buf_putc(b, 0xc0 | tag);
    if (len < 192) {
        cm_buf_putc(b, (int) len);
    } else if (len > 8383) {
        cm_buf_putc(b, 255);
        cm_buf_putc(b, (int) (len >> 24 & 0xff));
        cm_buf_putc(b, (int) (len >> 16 & 0xff));
        cm_buf_putc(b, (int) (len >> 8 & 0xff));
        cm_buf_putc(b, (int) (len & 0xff));
    } else {
        cm_buf_putc(b, (int) (((len - 192) >> 8) + 192));
        cm_buf_putc(b, (int) ((len - 192) & 0xff));
    }
    for (i = 0; i < len; i++)
        cm_buf_putc(b, (int) (i & 0xff));
}

/* Armor packets into out, with their real CRC-24. */
__attribute__((unused)) static void fake_armor(const cm_buf *packets, cm_buf *out)
{
    uint32_t crc = cm_crc24(CM_CRC24_INIT, packets->data, packets->len);
    unsigned char c[3] = {(unsigned char) (crc >> 16), (unsigned char) (crc >> 8),
                          (unsigned char) crc};

    cm_buf_puts(out, "-----BEGIN PGP MESSAGE-----\nComment: test\n\n");
    fake_b64(packets->data, packets->len, out);
    cm_buf_puts(out, "=");
    fake_b64(c, 3, out);
    cm_buf_puts(out, "-----END PGP MESSAGE-----\n");
}

/* A plausible encrypted message: nesk PKESKs then a SEIPD packet. */
__attribute__((unused)) static void fake_encrypted(cm_buf *out, int nesk, size_t data_len)
{
    cm_buf p = CM_BUF_INIT;
    int i;

    for (i = 0; i < nesk; i++)
        fake_packet(&p, 1, 94);
    fake_packet(&p, 18, data_len);
    fake_armor(&p, out);
    cm_buf_free(&p);
}

#endif
