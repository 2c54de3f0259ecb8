/* cm_pgpmime - the PGP/MIME format (RFC 3156). */
#include "cm_pgpmime.h"
#include "cm_armorw.h"
#include "cm_boundary.h"
#include "cm_buf.h"
#include "cm_pgppkt.h"
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

/* Where the engine's output goes: binary OpenPGP, walked by the packet
 * reader that judges it, and armored into the spool as it comes. */
typedef struct pgp_sink {
    cm_spool *out;
    cm_buf tmp;
    cm_armorw armor;
    cm_pgppkt check;
    uint64_t bytes;
} pgp_sink;

static int sink_write(void *arg, const void *buf, size_t size)
{
    pgp_sink *k = arg;

    cm_pgppkt_push(&k->check, buf, size);
    k->bytes += size;
    if (cm_armorw_push(&k->armor, buf, size, &k->tmp) < 0) {
        errno = ENOMEM;
        return -1;
    }
    /* Into the spool in pieces of 64 KiB or more: one write(2) each once
     * the spool is on disk. */
    return k->tmp.len >= 65536 ? cm_spool_write_buf(k->out, &k->tmp) : 0;
}

/* Is what the engine wrote one encrypted message for exactly our keys? */
static int output_ok(const cm_msgctx *mc, const pgp_sink *k, size_t nkeys)
{
    const cm_pgppkt *pk = &k->check;
    int whole = cm_pgppkt_finish(pk);

    if (whole == 1 && pk->npkesk == nkeys && pk->nskesk == 0
        && (pk->enc_tag == CM_PKT_SEIPD || pk->enc_tag == CM_PKT_AEAD))
        return 1;
    cm_log_error("%s: engine output rejected: %s; %zu of %zu session key packets, data packet %d, "
                 "%llu bytes", CM_QID(mc), whole == 1 ? "wrong packets"
                 : "not one complete encrypted OpenPGP message", pk->npkesk, nkeys, pk->enc_tag,
                 (unsigned long long) k->bytes);
    return 0;
}

/* The engine's binary output, armored into out. */
static cm_stat encrypt_armored(const cm_engine_ops *ops, cm_engine_session *s,
                               const cm_msgctx *mc, cm_entity *in, pgp_sink *k)
{
    cm_reader rd = cm_entity_reader(in);
    cm_writer wr = {sink_write, k};
    cm_stat st;

    if (cm_armorw_begin(&k->armor, &k->tmp) < 0)
        return CM_ERR_NOMEM;
    if ((st = ops->encrypt(s, &rd, &wr)) != CM_OK)
        return st;
    if (!output_ok(mc, k, ops->recipients(s)))
        return CM_ERR_ENCRYPT;
    if (cm_armorw_finish(&k->armor, &k->tmp) < 0)
        return CM_ERR_NOMEM;
    if (cm_spool_write_buf(k->out, &k->tmp) < 0)
        return errno == ENOMEM ? CM_ERR_NOMEM : CM_ERR_SPOOL;
    return CM_OK;
}

cm_stat cm_pgpmime_encrypt(const cm_engine_ops *ops, cm_engine_session *s, const cm_msgctx *mc,
                           cm_entity *in, cm_spool *out, cm_envelope *env)
{
    char boundary[CM_BOUNDARY_LEN];
    pgp_sink sink;
    cm_stat st;

    memset(env, 0, sizeof(*env));
    memset(&sink, 0, sizeof(sink));
    sink.out = out;
    cm_buf_init(&sink.tmp);
    cm_pgppkt_init(&sink.check);
    if (cm_boundary_new(boundary) < 0)
        st = CM_ERR_INTERNAL;
    else if (cm_pgpmime_begin(boundary, out) < 0)
        st = errno == ENOMEM ? CM_ERR_NOMEM : CM_ERR_SPOOL;
    else if ((st = encrypt_armored(ops, s, mc, in, &sink)) != CM_OK)
        ;
    else if (cm_pgpmime_end(boundary, out) < 0)
        st = errno == ENOMEM ? CM_ERR_NOMEM : CM_ERR_SPOOL;
    else if ((env->content_type = cm_pgpmime_content_type(boundary)) == NULL)
        st = CM_ERR_NOMEM;
    else
        env->trace = "encrypted pgp-mime";
    cm_buf_free(&sink.tmp);
    return st;
}
