/* cm_armorw - the ASCII armor of one OpenPGP message, written as the
 * binary comes. */
#include "cm_armorw.h"
#include "cm_armor.h"

#define ARMOR_LINE 64

int cm_armorw_begin(cm_armorw *w, cm_buf *out)
{
    cm_b64enc_init_line(&w->enc, ARMOR_LINE);
    w->crc = CM_CRC24_INIT;
    return cm_buf_puts(out, "-----BEGIN PGP MESSAGE-----\r\n\r\n");
}

int cm_armorw_push(cm_armorw *w, const void *p, size_t n, cm_buf *out)
{
    w->crc = cm_crc24(w->crc, p, n);
    return cm_b64enc_push(&w->enc, p, n, out);
}

int cm_armorw_finish(cm_armorw *w, cm_buf *out)
{
    unsigned char crc[3] = {(unsigned char) (w->crc >> 16), (unsigned char) (w->crc >> 8),
                            (unsigned char) w->crc};
    cm_b64enc line;

    if (cm_b64enc_finish(&w->enc, out) < 0 || cm_buf_puts(out, "=") < 0)
        return -1;
    /* Three bytes are one group of four characters: one line, CRLF. */
    cm_b64enc_init_line(&line, ARMOR_LINE);
    if (cm_b64enc_push(&line, crc, sizeof(crc), out) < 0 || cm_b64enc_finish(&line, out) < 0)
        return -1;
    return cm_buf_puts(out, "-----END PGP MESSAGE-----\r\n");
}
