/* cm_outbound - the outbound pipeline (SPEC §4).
 *
 * A message whose whole content is encrypted to a gateway key (OpenPGP)
 * or gateway certificate (S/MIME) is decrypted, and let out only through the signature gate: every signature
 * good, by the envelope sender's key, fresh, never seen before (the replay
 * cache is asked last, once everything else is done, so a message refused
 * for another reason does not burn its signature). Everything else is as
 * it was: mail encrypted to others passes; local recipients are handled
 * as inbound; with OpportunisticEncryption the result is encrypted to the
 * recipients when every one of them has a key. */
#include "cm_msg_int.h"
#include "cm_cover.h"
#include "cm_discover.h"
#include "cm_gate.h"
#include "cm_log.h"
#include "cm_pgpdecrypt.h"
#include "cm_replay.h"
#include "cm_sigcheck.h"
#include "cm_rewrite.h"
#include "cm_smimedecrypt.h"
#include "cm_stats.h"
#include "cm_strip.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* A decrypted message on its way out. */
typedef struct outmsg {
    cm_msg *m;
    size_t e;               /* the engine that decrypted it */
    cm_engine_session *s;
    cm_pgp_plain pp;        /* the plaintext (and, OpenPGP, the signatures made with it) */
    int authenticated;      /* S/MIME: the encryption had integrity (AuthEnvelopedData) */
    cm_stripped x;
    cm_sigset ss;           /* every signature: made with the encryption, then inner */
    const char *trace;
} outmsg;

/* The signature gate, then (by the caller, last) the replay cache. */
static cm_stat gate(outmsg *o, char *detail, size_t dlen)
{
    int owns[CM_SIGS_MAX] = {0}, nomem = 0;
    char *from = cm_strip_from(&o->m->hdrs, &nomem), *inner_from = NULL;
    cm_gate_in in;
    cm_stat st = CM_OK;
    size_t i;

    const cm_hdrs *inner[2] = {NULL, NULL};

    if (nomem)
        return CM_ERR_NOMEM;
    /* A From: the gate does not see must not travel beside the one it does. */
    if (cm_strip_second_originator(&o->m->hdrs, detail, dlen)
        || cm_strip_second_originator(&o->x.ehdrs, detail, dlen)
        || cm_strip_second_originator(&o->x.phdrs, detail, dlen)) {
        free(from);
        return CM_GATE_ORIGINATOR;
    }
    /* A From: inside, of the decrypted entity or of the signed part in it
     * (or the content of opaque signed data), is what a reader that knows
     * protected headers shows: it must be the sender's too, whether or not
     * our parser saw the declaration (a reader may be more lenient). */
    inner[0] = &o->x.ehdrs;
    inner[1] = &o->x.phdrs;
    for (i = 0; i < 2; i++) {
        if (inner[i] == NULL || cm_hdrs_find(inner[i], "From", 0) == NULL)
            continue;
        inner_from = cm_strip_from(inner[i], &nomem);
        if (nomem || from == NULL || inner_from == NULL || strcmp(from, inner_from) != 0) {
            free(from);
            from = NULL;
        }
        free(inner_from);
        if (nomem) {
            free(from);
            return CM_ERR_NOMEM;
        }
    }
    for (i = 0; i < o->ss.sigs.n && st == CM_OK; i++)
        if (o->ss.sigs.v[i].fpr[0] && o->m->sender != NULL)
            st = cm_engcall_key_has_addr(&o->m->eng, o->ss.engine[i], o->ss.sigs.v[i].fpr,
                                         o->m->sender, &owns[i]);
    if (st == CM_OK) {
        in.sigs = &o->ss.sigs;
        in.owns = owns;
        in.sender = o->m->sender ? o->m->sender : "";
        in.from = from;
        in.now = (int64_t) time(NULL);
        in.max_age = o->m->ctx.cfg->signature_max_age;
        st = cm_gate_check(&in, detail, dlen);
    }
    free(from);
    return st;
}

/* Remember every signature; refuse if one was seen before. */
static cm_stat record(outmsg *o)
{
    const cm_config *cfg = o->m->ctx.cfg;
    int64_t now = (int64_t) time(NULL);
    cm_replay_id id;
    cm_stat st;
    size_t i;

    for (i = 0; i < o->ss.sigs.n; i++) {
        const cm_sig *sg = &o->ss.sigs.v[i];

        if (cm_replay_id_make(sg->fpr, sg->created, o->ss.digests[i], &id) < 0)
            return CM_ERR_NOMEM;
        /* Kept while the gate could still accept it: SignatureMaxAge, and
         * the slack for clocks on either side. */
        if ((st = cm_replay_record(o->m->replay, cfg->replay_cache, cfg->replay_cache_size, &id,
                                   sg->created, now,
                                   cfg->signature_max_age + 2 * CM_GATE_FUTURE_SLACK,
                                   CM_QID(&o->m->ctx))) != CM_OK)
            return st;
    }
    return CM_OK;
}

static void log_signers(const outmsg *o, const char *verdict, const char *detail)
{
    const char *fpr = o->ss.sigs.n > 0 && o->ss.sigs.v[0].fpr[0] ? o->ss.sigs.v[0].fpr
                      : o->ss.sigs.n > 0 && o->ss.sigs.v[0].keyid[0] ? o->ss.sigs.v[0].keyid : "none";

    cm_log_info("%s: outbound gate: signer %s%s: %s%s%s", CM_QID(&o->m->ctx), fpr,
                o->ss.sigs.n > 1 ? " (and others)" : "", verdict, detail[0] ? ": " : "", detail);
}

/* How a message for external recipients leaves. */
typedef enum leave {
    LEAVE_CLEAR,            /* not every recipient has a key */
    LEAVE_ENCRYPTED,        /* encrypted to the keys found at RCPT */
    LEAVE_DISCOVERED,       /* encrypted to keys of the discovered keyring (d) */
    LEAVE_REFUSED           /* an internal failure: res holds the refusal */
} leave;

/* OpportunisticEncryption (or EncryptionPolicy requires a recipient:
 * then all have keys), and every recipient has a key, in KeyringDir or
 * (KeyDiscovery) all of them in the discovered keyring: encrypt. Says in
 * the log when a recipient without a key keeps the message in clear;
 * LEAVE_REFUSED with res set when a required recipient cannot be encrypted
 * to or discovery failed inside. */
static leave opportunistic(cm_msg *m, cm_discover *d, const char *as, cm_result *res)
{
    cm_stat st;
    int ready;

    if (!m->ctx.cfg->opportunistic && !m->required)
        return LEAVE_CLEAR;
    if (m->tally.nkeyless == 0 && cm_msg_engine(m->nkeyed) >= 0)
        return LEAVE_ENCRYPTED;
    if (m->required) {
        /* RCPT let a required recipient in only beside keyed ones: if that
         * no longer holds, refuse rather than send it in clear. */
        cm_log_error("%s: EncryptionPolicy requires encryption, but not every recipient has "
                     "a key of one class at end of message", CM_QID(&m->ctx));
        cm_result_refuse(res, CM_ERR_INTERNAL, NULL);
        return LEAVE_REFUSED;
    }
    if ((st = cm_discover_prepare(m, d, &ready)) != CM_OK) {
        cm_result_refuse(res, st, NULL);
        return LEAVE_REFUSED;
    }
    if (ready)
        return LEAVE_DISCOVERED;
    cm_log_info("%s: not every recipient has a key (<%s> has none): sent %s", CM_QID(&m->ctx),
                m->first_keyless ? m->first_keyless : "?", as);
    return LEAVE_CLEAR;
}

/* Decrypted: what goes out. Encrypted again to the recipients if they are
 * local, or all have keys under OpportunisticEncryption; else in clear.
 * 1 if it was encrypted, 0 if not (or refused). */
static int deliver(outmsg *o, cm_result *res, cm_spool *body)
{
    cm_msg *m = o->m;
    const char *pass;
    int enc = 0;
    leave how = LEAVE_CLEAR;
    cm_discover d;
    cm_stat st;

    cm_discover_init(&d);
    if (m->local == 1) {
        if ((st = cm_msg_missing(m, &enc, &pass)) != CM_OK) {
            cm_spool_free(body);
            cm_result_refuse(res, st, m->first_keyless);
            return 0;
        }
        how = enc ? LEAVE_ENCRYPTED : LEAVE_CLEAR;
    } else if ((how = opportunistic(m, &d, "decrypted", res)) == LEAVE_REFUSED) {
        cm_spool_free(body);
        cm_discover_done(&d);
        return 0;
    }
    if (how != LEAVE_CLEAR) {
        /* Encrypted again: what header protection carries inside is what
         * the sender's signature covers, as it would have gone out. */
        cm_hdrs shown;
        cm_edits e = {NULL, 0};

        cm_hdrs_init(&shown, CM_HDR_MAX_FIELDS, CM_HDR_MAX_BYTES);
        if ((st = cm_hdrs_copy(&shown, &m->hdrs)) == CM_OK && m->ctx.cfg->require_signature
            && (st = cm_strip_restore(&o->x, &m->hdrs, &e)) == CM_OK)
            st = cm_edits_apply(&e, &shown);
        if (st == CM_OK && how == LEAVE_DISCOVERED)
            cm_msg_encrypt(m, &d.eng, d.nkeyed, &o->x.ehdrs, &shown, body, res);
        else if (st == CM_OK)
            cm_msg_encrypt(m, &m->eng, m->nkeyed, &o->x.ehdrs, &shown, body, res);
        else
            cm_result_refuse(res, st, NULL);
        cm_edits_free(&e);
        cm_hdrs_free(&shown);
        cm_spool_free(body);
        cm_discover_done(&d);
        return st == CM_OK;
    }
    res->body = body;
    /* Protected fields come back only from what a signature covers, and
     * without the gate (RequireSignature no) nothing is known signed. */
    if ((st = cm_strip_edits(&o->x, &m->hdrs, o->trace, m->ctx.cfg->require_signature,
                             &res->edits)) != CM_OK)
        cm_result_refuse(res, st, NULL);
    else
        res->trace = o->trace;
    return 0;
}

/* Decrypt into o->pp.plain with the engine of kind, if it is for us.
 * CM_OK with o->pp.ours 0: not ours. */
static cm_stat decrypt(outmsg *o, cm_enc_kind kind, const cm_detect_where *w)
{
    cm_msg *m = o->m;
    const cm_engine_ops *ops = cm_engcall_ops(&m->eng, o->e);
    cm_stat st;

    if (kind == CM_ENC_SMIME)
        return cm_smime_decrypt(ops, o->s, &m->ctx, m->body, w, o->pp.plain, &o->pp.ours,
                                &o->authenticated);
    if ((st = cm_pgp_decrypt(ops, o->s, &m->ctx, m->body, w, &o->pp)) != CM_OK || !o->pp.ours)
        return st;
    cm_sigset_keep(&o->ss, &o->pp.sigs, o->e, o->pp.digest);
    return CM_OK;
}

/* The plaintext of o, decrypted with its engine into a spool of its own.
 * CM_OK with o->pp.ours 0: not for us. */
static cm_stat open_plain(outmsg *o, cm_enc_kind kind, const cm_detect_where *w)
{
    const cm_config *cfg = o->m->ctx.cfg;
    cm_stat st;

    if ((st = cm_engcall_session(&o->m->eng, o->e, &o->s)) != CM_OK)
        return st;
    if ((o->pp.plain = cm_spool_new((size_t) cfg->memory_buffer_size, cfg->spool_dir)) == NULL)
        return CM_ERR_NOMEM;
    return decrypt(o, kind, w);
}

/* Decrypted for us: its structure, its integrity, and (RequireSignature)
 * its coverage and the signature gate. CM_OK, or the refusal, with detail
 * for the reply when there is one. */
static cm_stat check(outmsg *o, cm_enc_kind kind, char *detail, size_t dlen)
{
    cm_msg *m = o->m;
    const cm_config *cfg = m->ctx.cfg;
    cm_stat st;

    if ((st = cm_strip_parse(&o->x, o->pp.plain, kind == CM_ENC_PGP_INLINE, &m->hdrs)) != CM_OK
        || (st = cm_sigcheck_structure(m, &o->x, o->pp.plain, o->e, &o->ss)) != CM_OK)
        return st;
    if (kind == CM_ENC_SMIME && !o->authenticated && !cfg->require_signature) {
        /* EnvelopedData (CBC) has no integrity of its own; the signature
         * gate gives it that. Without the gate it is EFAIL's malleable
         * ciphertext, refused as OpenPGP without MDC is (SPEC §4.3). */
        cm_log_notice("%s: S/MIME enveloped-data has no integrity protection and "
                      "RequireSignature is off: not decrypted", CM_QID(&m->ctx));
        return CM_DECRYPT_FAILED;
    }
    if (!cfg->require_signature) {
        o->ss.sigs.n = 0;       /* RequireSignature no: nothing to remember */
        return CM_OK;
    }
    /* What leaves is what a signature covers: all of it, when signed with
     * the encryption; else the signed structure and nothing more. Asked
     * first: whether an engine can read a signature with words around it
     * must not decide the answer. */
    if (o->pp.sigs.seen == 0 && (st = cm_cover_check(&o->x, o->pp.plain, detail, dlen)) != CM_OK) {
        if (st == CM_GATE_UNCOVERED)
            log_signers(o, "refused", detail);
        return st;
    }
    if ((st = gate(o, detail, dlen)) != CM_OK)
        log_signers(o, "refused", detail);
    return st;
}

/* Checked: the stripped message goes out (deliver answers in res), and
 * then its signatures are remembered. CM_OK, or the refusal. */
static cm_stat let_out(outmsg *o, cm_result *res, char *detail, size_t dlen)
{
    cm_msg *m = o->m;
    const cm_config *cfg = m->ctx.cfg;
    cm_spool *body;
    cm_stat st;
    int encrypted;

    if ((body = cm_spool_new((size_t) cfg->memory_buffer_size, cfg->spool_dir)) == NULL)
        return CM_ERR_NOMEM;
    if ((st = cm_strip_body(&o->x, o->pp.plain, body)) != CM_OK) {
        cm_spool_free(body);
        return st;
    }
    encrypted = deliver(o, res, body);
    if (res->refuse)
        return CM_OK;           /* answered */
    /* A copy for local mailboxes encrypted to their keys never leaves in
     * the clear, so it is no replay: a client sent 452 for its local
     * recipients sends the same message again, and it must arrive. */
    if (!(m->local == 1 && encrypted) && (st = record(o)) != CM_OK) {
        if (st == CM_GATE_REPLAY)
            snprintf(detail, dlen, "signature by %s", o->ss.sigs.v[0].fpr);
        log_signers(o, "refused", st == CM_GATE_REPLAY ? "seen before" : "replay cache failed");
        return st;
    }
    if (cfg->require_signature)
        log_signers(o, "passed", "");
    return CM_OK;
}

/* What became of a message encrypted for someone. */
typedef enum strip_outcome {
    STRIP_NOT_OURS,         /* not for a gateway key: goes on as it is */
    STRIP_ANSWERED          /* res holds the answer */
} strip_outcome;

/* Decrypt a message encrypted for the gateway, check it, let it out. */
static strip_outcome strip(cm_msg *m, cm_result *res, cm_enc_kind kind, const cm_detect_where *w)
{
    const cm_config *cfg = m->ctx.cfg;
    int smime = kind == CM_ENC_SMIME;
    int e = cm_engcall_verifier(&m->eng, smime ? CM_KEY_SMIME : CM_KEY_OPENPGP);
    strip_outcome out = STRIP_ANSWERED;
    char detail[512] = "";
    outmsg o;
    cm_stat st;
    uint64_t t0;

    if (e < 0 || (smime ? cfg->gateway_certificates.n : cfg->gateway_keys.n) == 0)
        return STRIP_NOT_OURS;      /* nothing can be for us */
    t0 = cm_stats_clock_us();
    memset(&o, 0, sizeof(o));
    o.m = m;
    /* OpenPGP is decrypted by gpg-agent whatever the backend (cm_engines.h). */
    o.e = smime ? (size_t) e : cm_engcall_pgp_decrypter(&m->eng);
    o.trace = smime ? "decrypted smime"
              : kind == CM_ENC_PGP_MIME ? "decrypted pgp-mime" : "decrypted pgp-inline";
    st = open_plain(&o, kind, w);
    if (st == CM_OK && !o.pp.ours)
        out = STRIP_NOT_OURS;       /* for someone else: passes as it is */
    else if (st == CM_OK && (st = check(&o, kind, detail, sizeof(detail))) == CM_OK)
        st = let_out(&o, res, detail, sizeof(detail));
    if (st != CM_OK)
        cm_result_refuse(res, st, detail[0] ? detail : NULL);
    cm_stats_engine(CM_STATS_OP_DECRYPT, cm_stats_clock_us() - t0);
    cm_stripped_free(&o.x);
    cm_spool_free(o.pp.plain);
    return out;
}

cm_phase cm_outbound_eom(cm_msg *m, cm_result *res)
{
    cm_discover d;
    leave how;
    cm_detect_where w;
    cm_enc_kind kind;
    cm_stat st;

    if (m->rcpts.n == 0 || (m->oversize && m->local == 1))
        return CM_PHASE_INBOUND;    /* the same answers */
    if (m->oversize) {
        /* Too large to handle, for external recipients: as it is, as
         * before outbound was built. OversizeAction guards mailboxes; a
         * 4xx here would only hold the message until it bounced. */
        res->trace = "outbound passed oversize";
        return CM_PHASE_DONE;
    }
    if (m->local != 1 && !m->ctx.cfg->opportunistic && !m->required && m->ctx.cfg->gateway_keys.n == 0
        && m->ctx.cfg->gateway_certificates.n == 0) {
        /* Nothing to decrypt, nothing to encrypt: no need to read it. */
        res->trace = "outbound passed";
        return CM_PHASE_DONE;
    }
    if ((st = cm_msg_detect(m, &kind, &w)) != CM_OK) {
        cm_result_refuse(res, st, NULL);
        return CM_PHASE_DONE;
    }
    if (kind != CM_ENC_NONE && strip(m, res, kind, &w) == STRIP_ANSWERED)
        return CM_PHASE_DONE;
    if (m->local == 1)
        return CM_PHASE_INBOUND;    /* local recipients: as inbound */
    if (kind != CM_ENC_NONE) {
        res->trace = "outbound passed";
        return CM_PHASE_DONE;
    }
    cm_discover_init(&d);
    how = opportunistic(m, &d, "as written", res);
    if (how == LEAVE_ENCRYPTED)
        cm_msg_encrypt(m, &m->eng, m->nkeyed, &m->hdrs, &m->hdrs, m->body, res);
    else if (how == LEAVE_DISCOVERED)
        cm_msg_encrypt(m, &d.eng, d.nkeyed, &m->hdrs, &m->hdrs, m->body, res);
    else if (how == LEAVE_CLEAR)
        res->trace = "outbound passed";
    cm_discover_done(&d);
    return CM_PHASE_DONE;
}
