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

int cm_pgpmime_begin(const char *boundary, cm_buf *b)
{
    if (cm_buf_printf(b,
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
        errno = ENOMEM;
        return -1;
    }
    return 0;
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
 * reader that judges it, and armored into the spool as it comes. Nothing
 * goes on to the spool (which may be the MTA itself) before the gate has
 * opened: session key packets, one for each of our keys, then an
 * integrity-protected data packet. From then on what goes on is inside
 * that packet, ciphertext; the gate shuts for good at the first byte
 * after it, or at anything else out of place, and the output is refused. */
typedef struct pgp_sink {
    cm_spool *out;
    cm_buf tmp;
    cm_armorw armor;
    cm_pgppkt check;
    size_t nkeys;
    int shut;           /* sticky: the output is not what it must be */
    uint64_t bytes;
} pgp_sink;

/* What the engine may write before the gate opens: its session key packets. */
#define GATE_HOLD_MAX ((size_t) 1 << 20)

static int gate_open(const pgp_sink *k)
{
    const cm_pgppkt *pk = &k->check;

    return !k->shut && !pk->bad && pk->npkesk == k->nkeys && pk->nskesk == 0
           && (pk->enc_tag == CM_PKT_SEIPD || pk->enc_tag == CM_PKT_AEAD);
}

static int sink_write(void *arg, const void *buf, size_t size)
{
    pgp_sink *k = arg;

    cm_pgppkt_push(&k->check, buf, size);
    k->bytes += size;
    if (k->check.bad || (!gate_open(k) && k->tmp.len > GATE_HOLD_MAX))
        k->shut = 1;
    if (k->shut) {
        /* Drained, not kept: refused when the engine is done. */
        cm_buf_reset(&k->tmp);
        return 0;
    }
    if (cm_armorw_push(&k->armor, buf, size, &k->tmp) < 0) {
        errno = ENOMEM;
        return -1;
    }
    /* On in pieces of 64 KiB or more: one write(2) each once the spool
     * is on disk, one body chunk each to the MTA. */
    return k->tmp.len >= 65536 && gate_open(k) ? cm_spool_write_buf(k->out, &k->tmp) : 0;
}

/* Is what the engine wrote one encrypted message for exactly our keys? */
static int output_ok(const cm_msgctx *mc, const pgp_sink *k)
{
    const cm_pgppkt *pk = &k->check;
    int whole = cm_pgppkt_finish(pk);

    if (whole == 1 && gate_open(k))
        return 1;
    cm_log_error("%s: engine output rejected: %s; %zu of %zu session key packets, data packet %d, "
                 "%llu bytes", CM_QID(mc), whole == 1 && !k->shut ? "wrong packets"
                 : "not one complete encrypted OpenPGP message", pk->npkesk, k->nkeys, pk->enc_tag,
                 (unsigned long long) k->bytes);
    return 0;
}

/* The engine's binary output, armored into out. The MIME preamble before
 * it waits with the armor header: nothing reaches out before the engine's
 * first 64 KiB (a milter may still say "progress" to the MTA until then,
 * and not after: Postfix takes nothing else once body replacement began). */
static cm_stat encrypt_armored(const cm_engine_ops *ops, cm_engine_session *s,
                               const cm_msgctx *mc, cm_entity *in, const char *boundary,
                               pgp_sink *k)
{
    cm_reader rd = cm_entity_reader(in);
    cm_writer wr = {sink_write, k};
    cm_stat st;

    if (cm_pgpmime_begin(boundary, &k->tmp) < 0 || cm_armorw_begin(&k->armor, &k->tmp) < 0)
        return CM_ERR_NOMEM;
    if ((st = ops->encrypt(s, &rd, &wr)) != CM_OK)
        return st;
    if (!output_ok(mc, k))
        return CM_ERR_ENCRYPT;
    if (cm_armorw_finish(&k->armor, &k->tmp) < 0)
        return CM_ERR_NOMEM;
    if (cm_spool_write_buf(k->out, &k->tmp) < 0)
        return cm_stat_of_errno(errno);
    return CM_OK;
}

cm_stat cm_pgpmime_envelope(cm_envelope *env)
{
    memset(env, 0, sizeof(*env));
    if (cm_boundary_new(env->boundary) < 0)
        return CM_ERR_INTERNAL;
    if ((env->content_type = cm_pgpmime_content_type(env->boundary)) == NULL)
        return CM_ERR_NOMEM;
    env->trace = "encrypted pgp-mime";
    return CM_OK;
}

cm_stat cm_pgpmime_encrypt(const cm_engine_ops *ops, cm_engine_session *s, const cm_msgctx *mc,
                           cm_entity *in, cm_spool *out, const cm_envelope *env)
{
    pgp_sink sink;
    cm_stat st;

    memset(&sink, 0, sizeof(sink));
    sink.out = out;
    sink.nkeys = ops->recipients(s);
    cm_buf_init(&sink.tmp);
    cm_pgppkt_init(&sink.check);
    if ((st = encrypt_armored(ops, s, mc, in, env->boundary, &sink)) != CM_OK)
        ;
    else if (cm_pgpmime_end(env->boundary, out) < 0)
        st = cm_stat_of_errno(errno);
    cm_buf_free(&sink.tmp);
    return st;
}
