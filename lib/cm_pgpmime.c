/* cm_pgpmime - the PGP/MIME format (RFC 3156). */
#include "cm_pgpmime.h"
#include "cm_armor.h"
#include "cm_boundary.h"
#include "cm_buf.h"
#include "cm_crlf.h"
#include "cm_log.h"

#include <errno.h>
#include <string.h>

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

/* Where the engine's output goes: CRLF into the spool, and through the
 * armor reader that judges it. */
typedef struct armor_sink {
    cm_spool *out;
    cm_crlf crlf;
    cm_buf tmp;
    cm_armor check;
} armor_sink;

static int sink_write(void *arg, const void *buf, size_t size)
{
    armor_sink *a = arg;

    cm_buf_reset(&a->tmp);
    if (cm_armor_push(&a->check, buf, size) < 0 || cm_crlf_push(&a->crlf, buf, size, &a->tmp) < 0) {
        errno = ENOMEM;
        return -1;
    }
    return cm_spool_write(a->out, a->tmp.data, a->tmp.len);
}

/* Is what the engine wrote one encrypted message for exactly our keys? */
static int output_ok(const cm_msgctx *mc, armor_sink *sink, size_t nkeys)
{
    const cm_pgppkt *pk = &sink->check.pkt;
    int r = cm_armor_finish(&sink->check);

    if (r < 0)
        return -1;
    if (r == 1 && pk->npkesk == nkeys && pk->nskesk == 0
        && (pk->enc_tag == CM_PKT_SEIPD || pk->enc_tag == CM_PKT_AEAD))
        return 1;
    cm_log_error("%s: engine output rejected: %s; %zu of %zu session key packets, data packet %d, "
                 "%llu bytes", CM_QID(mc), r == 1 ? "wrong packets"
                 : "not one complete armored message", pk->npkesk, nkeys, pk->enc_tag,
                 (unsigned long long) sink->check.decoded);
    return 0;
}

cm_stat cm_pgpmime_encrypt(const cm_engine_ops *ops, cm_engine_session *s, const cm_msgctx *mc,
                           cm_entity *in, cm_spool *out, cm_envelope *env)
{
    cm_reader rd = cm_entity_reader(in);
    cm_writer wr;
    armor_sink sink;
    char boundary[CM_BOUNDARY_LEN];
    cm_stat st;
    int ok;

    memset(env, 0, sizeof(*env));
    memset(&sink, 0, sizeof(sink));
    sink.out = out;
    cm_crlf_init(&sink.crlf);
    cm_buf_init(&sink.tmp);
    cm_armor_init(&sink.check);
    wr.write = sink_write;
    wr.arg = &sink;
    if (cm_boundary_new(boundary) < 0)
        st = CM_ERR_INTERNAL;
    else if (cm_pgpmime_begin(boundary, out) < 0)
        st = errno == ENOMEM ? CM_ERR_NOMEM : CM_ERR_SPOOL;
    else if ((st = ops->encrypt(s, &rd, &wr)) != CM_OK)
        ;
    else if ((ok = output_ok(mc, &sink, ops->recipients(s))) <= 0)
        st = ok < 0 ? CM_ERR_NOMEM : CM_ERR_ENCRYPT;
    else if (cm_pgpmime_end(boundary, out) < 0)
        st = errno == ENOMEM ? CM_ERR_NOMEM : CM_ERR_SPOOL;
    else if ((env->content_type = cm_pgpmime_content_type(boundary)) == NULL)
        st = CM_ERR_NOMEM;
    else
        env->trace = "encrypted pgp-mime";
    cm_buf_free(&sink.tmp);
    cm_armor_free(&sink.check);
    return st;
}
