/* cm_smime - the S/MIME format (RFC 8551 §3.3). */
#include "cm_smime.h"
#include "cm_base64.h"
#include "cm_buf.h"
#include "cm_der.h"
#include "cm_log.h"

#include <errno.h>
#include <string.h>

/* Where the engine's DER goes: through the BER reader that judges it, and
 * base64 into the spool. As in cm_pgpmime, nothing goes on to the spool
 * (which may be the MTA itself) before the gate has opened: the DER begins
 * as a ContentInfo of the type asked for, whose content is ciphertext and
 * the recipients' public key material. The gate shuts for good at the first
 * byte that is not part of that one element, and the output is refused. */
typedef struct der_sink {
    cm_spool *out;
    cm_b64enc enc;
    cm_buf tmp;
    cm_der check;
    int want;           /* cm_der_kind of the ContentInfo asked for */
    int shut;           /* sticky: the output is not what it must be */
} der_sink;

static int gate_open(const der_sink *d)
{
    return !d->shut && cm_der_kind(&d->check) == d->want;
}

static int sink_write(void *arg, const void *buf, size_t size)
{
    der_sink *d = arg;

    cm_der_push(&d->check, buf, size);
    /* The content type is in the first CM_DER_PREFIX bytes. */
    if (d->check.bad || (d->check.off >= CM_DER_PREFIX && !gate_open(d)))
        d->shut = 1;
    if (d->shut) {
        cm_buf_reset(&d->tmp);          /* drained, refused when the engine is done */
        return 0;
    }
    if (cm_b64enc_push(&d->enc, buf, size, &d->tmp) < 0) {
        errno = ENOMEM;
        return -1;
    }
    return d->tmp.len >= 65536 && gate_open(d) ? cm_spool_write_buf(d->out, &d->tmp) : 0;
}

/* Is what the engine wrote one ContentInfo of the type asked for? */
static int output_ok(const cm_msgctx *mc, const der_sink *d)
{
    int got = cm_der_is_enveloped(&d->check);

    if (got == d->want && !d->shut)
        return 1;
    cm_log_error("%s: engine output rejected: %s, %llu bytes", CM_QID(mc),
                 !cm_der_finish(&d->check) ? "not one complete BER element"
                 : got == 0 ? "not enveloped data" : "not the content type SMIMECipher asks for",
                 (unsigned long long) d->check.off);
    return 0;
}

cm_stat cm_smime_envelope(const cm_msgctx *mc, cm_envelope *env)
{
    const int auth = mc->cfg->smime_cipher == CM_SMIME_AES256_GCM;

    memset(env, 0, sizeof(*env));
    if ((env->content_type = strdup(auth
         ? " application/pkcs7-mime; smime-type=authEnveloped-data;\n\tname=\"smime.p7m\""
         : " application/pkcs7-mime; smime-type=enveloped-data;\n\tname=\"smime.p7m\"")) == NULL)
        return CM_ERR_NOMEM;
    env->cte = " base64";
    env->disposition = " attachment; filename=\"smime.p7m\"";
    env->trace = "encrypted smime";
    return CM_OK;
}

cm_stat cm_smime_encrypt(const cm_engine_ops *ops, cm_engine_session *s, const cm_msgctx *mc,
                         cm_entity *in, cm_spool *out)
{
    cm_reader rd = cm_entity_reader(in);
    cm_writer wr;
    der_sink sink;
    cm_stat st;

    memset(&sink, 0, sizeof(sink));
    sink.out = out;
    sink.want = mc->cfg->smime_cipher == CM_SMIME_AES256_GCM ? 2 : 1;
    cm_b64enc_init(&sink.enc);
    cm_buf_init(&sink.tmp);
    cm_der_init(&sink.check);
    wr.write = sink_write;
    wr.arg = &sink;
    if ((st = ops->encrypt(s, &rd, &wr)) != CM_OK)
        ;
    else if (!output_ok(mc, &sink))
        st = CM_ERR_ENCRYPT;
    else if (cm_b64enc_finish(&sink.enc, &sink.tmp) < 0)
        st = CM_ERR_NOMEM;
    else if (cm_spool_write_buf(sink.out, &sink.tmp) < 0)
        st = cm_stat_of_errno(errno);
    cm_buf_free(&sink.tmp);
    return st;
}
