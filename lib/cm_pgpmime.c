/* cm_pgpmime - the RFC 3156 multipart/encrypted framing around ciphertext. */
#include "cm_pgpmime.h"
#include "cm_buf.h"

#include <errno.h>

char *cm_pgpmime_content_type(const char *boundary)
{
    cm_buf b = CM_BUF_INIT;

    if (cm_buf_printf(&b, " multipart/encrypted;\n\tprotocol=\"application/pgp-encrypted\";\n"
                      "\tboundary=\"%s\"", boundary) < 0) {
        cm_buf_free(&b);
        return NULL;
    }
    return cm_buf_detach(&b, NULL);
}

static int write_text(cm_spool *out, cm_buf *b)
{
    int r = cm_spool_write(out, b->data, b->len);

    cm_buf_free(b);
    return r;
}

int cm_pgpmime_begin(const char *boundary, cm_spool *out)
{
    cm_buf b = CM_BUF_INIT;

    if (cm_buf_printf(&b,
                      "This is an OpenPGP/MIME encrypted message (RFC 4880 and 3156)\r\n"
                      "--%s\r\n"
                      "Content-Type: application/pgp-encrypted\r\n"
                      "Content-Description: PGP/MIME version identification\r\n"
                      "\r\n"
                      "Version: 1\r\n"
                      "\r\n"
                      "--%s\r\n"
                      "Content-Type: application/octet-stream; name=\"encrypted.asc\"\r\n"
                      "Content-Description: OpenPGP encrypted message\r\n"
                      "Content-Disposition: inline; filename=\"encrypted.asc\"\r\n"
                      "\r\n", boundary, boundary) < 0) {
        cm_buf_free(&b);
        errno = ENOMEM;
        return -1;
    }
    return write_text(out, &b);
}

int cm_pgpmime_end(const char *boundary, cm_spool *out)
{
    cm_buf b = CM_BUF_INIT;

    if (cm_buf_printf(&b, "\r\n--%s--\r\n", boundary) < 0) {
        cm_buf_free(&b);
        errno = ENOMEM;
        return -1;
    }
    return write_text(out, &b);
}
