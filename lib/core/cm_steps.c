/* cm_steps - the steps both pipelines take: already-encrypted detection
 * over the whole body, and sealing (choose the format by the recipients'
 * keys, encrypt the entity, frame it). Below the pipelines: neither calls
 * the other's entry point. */
#include "cm_msg_int.h"
#include "cm_detect.h"
#include "cm_entity.h"
#include "cm_hp.h"
#include "cm_log.h"
#include "cm_pgpmime.h"
#include "cm_rewrite.h"
#include "cm_smime.h"
#include "cm_stats.h"

#include <errno.h>
#include <string.h>
#include <time.h>

/* The new body's way to the front end's output, noting whether the
 * front end failed (as against the spool or the engine). */
typedef struct stream {
    const cm_output *o;
    int failed;
} stream;

static int stream_body(void *arg, const void *p, size_t n)
{
    stream *st = arg;

    if (st->o->body(st->o->arg, p, n) < 0) {
        st->failed = 1;
        return -1;
    }
    return 0;
}

/* Where the new body goes: with an output, the edits go first and the body
 * streams after them; else both wait in res. */
static cm_stat open_body(cm_msg *m, cm_result *res, stream *st, cm_spool **out)
{
    if (m->output.body == NULL) {
        res->body = cm_spool_new((size_t) m->ctx.cfg->memory_buffer_size, m->ctx.cfg->spool_dir);
        *out = res->body;
        return *out == NULL ? CM_ERR_NOMEM : CM_OK;
    }
    st->o = &m->output;
    if (m->output.edits(m->output.arg, &res->edits) < 0) {
        st->failed = 1;
        return CM_ERR_INTERNAL;
    }
    cm_edits_free(&res->edits);
    *out = cm_spool_new_forward(stream_body, st);
    return *out == NULL ? CM_ERR_NOMEM : CM_OK;
}

/* Does the message get header protection (ProtectHeaders, RFC 9788)?
 * 1 yes, 0 no, -1 out of memory. */
static int protect(cm_msg *m, const cm_hdrs *ehdrs)
{
    const char *why;
    int r;

    if (!m->ctx.cfg->protect_headers)
        return 0;
    if ((r = cm_hp_refusal(ehdrs, &why)) == 1)
        cm_log_info("%s: encrypted without header protection: %s", CM_QID(&m->ctx), why);
    return r == 0 ? 1 : r == 1 ? 0 : -1;
}

/* Open the entity to encrypt, protected or not. */
static cm_stat open_entity(cm_msg *m, int hp, cm_entity *ent, const cm_hdrs *ehdrs,
                           const cm_hdrs *shown, cm_spool *ebody)
{
    const char *no_legacy = NULL;

    if (!hp)
        return cm_entity_open(ent, ehdrs, ebody) < 0 ? cm_stat_of_errno(errno) : CM_OK;
    if (cm_entity_open_hp(ent, shown, ehdrs, ebody, m->ctx.cfg->legacy_display, &no_legacy) < 0)
        return cm_stat_of_errno(errno);
    if (no_legacy != NULL && m->ctx.cfg->legacy_display)
        cm_log_debug("%s: no legacy display element: %s", CM_QID(&m->ctx), no_legacy);
    return CM_OK;
}

void cm_msg_encrypt(cm_msg *m, cm_engcall *eng, const size_t nkeyed[CM_ENGINES_MAX],
                    const cm_hdrs *ehdrs, const cm_hdrs *shown, cm_spool *ebody, cm_result *res)
{
    cm_envelope env;
    cm_entity ent;
    cm_spool *out = NULL;
    stream sm = {NULL, 0};
    cm_stat st;
    int e = cm_msg_engine(nkeyed), hp = protect(m, ehdrs);
    cm_key_class cls = cm_engcall_class(eng, e);
    cm_engine_session *s = NULL;
    char why[512] = "";

    /* One format per message: the recipients' keys are of one class. */
    if (cls != CM_KEY_OPENPGP && cls != CM_KEY_SMIME) {
        cm_result_refuse(res, CM_ERR_INTERNAL, "no format for the recipients' keys");
        return;
    }
    /* The header edits are known before a byte is encrypted. */
    st = cls == CM_KEY_SMIME ? cm_smime_envelope(&m->ctx, &env) : cm_pgpmime_envelope(&env);
    if (st == CM_OK && hp < 0)
        st = CM_ERR_NOMEM;
    if (st == CM_OK)
        st = cm_rewrite_encrypted(&m->hdrs, &env, &res->edits);
    if (st == CM_OK && hp)
        st = cm_hp_outer_edits(&m->hdrs, &res->edits);
    if (st == CM_OK)
        st = cm_engcall_session(eng, (size_t) e, &s);
    /* The archive keys join every encryption, or none is made. */
    if (st == CM_OK)
        st = cm_engcall_add_archive(eng, (size_t) e, (int64_t) time(NULL), why, sizeof(why));
    if (st == CM_OK)
        st = open_body(m, res, &sm, &out);
    if (st == CM_OK && (st = open_entity(m, hp, &ent, ehdrs, shown, ebody)) == CM_OK) {
        uint64_t t0 = cm_stats_clock_us();

        cm_entity_set_progress(&ent, m->progress, m->progress_arg);
        st = cls == CM_KEY_SMIME
             ? cm_smime_encrypt(cm_engcall_ops(eng, (size_t) e), s, &m->ctx, &ent, out)
             : cm_pgpmime_encrypt(cm_engcall_ops(eng, (size_t) e), s, &m->ctx, &ent, out, &env);
        cm_stats_engine(CM_STATS_OP_ENCRYPT, cm_stats_clock_us() - t0);
        cm_entity_close(&ent);
    }
    if (out != res->body)
        cm_spool_free(out);
    if (sm.failed) {
        cm_log_error("%s: the MTA did not take the encrypted message", CM_QID(&m->ctx));
        st = CM_ERR_INTERNAL;
    }
    if (st != CM_OK)
        cm_result_refuse(res, st, *why ? why : NULL);
    else
        res->trace = env.trace;
    cm_envelope_free(&env);
}

/* Run already-encrypted detection over the whole body, streamed from the
 * spool. 0, or the status to refuse with. */
cm_stat cm_msg_detect(cm_msg *m, cm_enc_kind *kind, cm_detect_where *where)
{
    unsigned char buf[16384];
    cm_detector *d;
    ssize_t n = 0;
    cm_stat st = CM_OK;

    *kind = CM_ENC_NONE;
    if ((d = cm_detector_new(&m->hdrs)) == NULL)
        return CM_ERR_NOMEM;
    if (cm_spool_rewind(m->body) < 0)
        st = CM_ERR_SPOOL;
    while (st == CM_OK && !cm_detector_decided(d)
           && (n = cm_spool_read(m->body, buf, sizeof(buf))) > 0)
        if (cm_detector_push(d, buf, (size_t) n) < 0)
            st = CM_ERR_NOMEM;
    if (st == CM_OK && n < 0)
        st = CM_ERR_SPOOL;
    if (st == CM_OK && cm_detector_finish(d, kind) < 0)
        st = CM_ERR_NOMEM;
    if (st == CM_OK && *kind != CM_ENC_NONE && where != NULL)
        cm_detector_where(d, where);
    cm_detector_free(d);
    return st;
}
