/* cm_gpgme_dec - the GPGME engine's outbound half: which keys a message is
 * for, decryption with the signatures made with it, detached signatures,
 * and who a signing key belongs to.
 *
 * What gpg says is read from its status lines, not from its exit:
 * - a decryption counts only with DECRYPTION_OKAY, END_DECRYPTION, an
 *   integrity-protected cipher (DECRYPTION_INFO) and no DECRYPTION_FAILED,
 *   BADMDC or ERROR; gpg writes plaintext before it knows, so the caller
 *   throws the output away on anything else;
 * - inside the encryption there must be one message: one encryption layer
 *   (BEGIN_DECRYPTION once: a message nested in the message is refused,
 *   not decrypted through) and one literal data packet (PLAINTEXT once);
 * - a signature is what GOODSIG/BADSIG/ERRSIG/... say, with the signer's
 *   primary fingerprint and the signature time from VALIDSIG or ERRSIG;
 *   the time window and the signer's address are checked by cm_gate;
 * - the gateway key could not be used (4xx) only if gpg said so of a
 *   gateway key: NO_SECKEY for another recipient's packet, or a session
 *   key packet for the gateway that does not decrypt, is the message's. */
#include "cm_gpgme_int.h"
#include "cm_idn.h"
#include "cm_log.h"
#include "cm_sigs.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

cm_stat cm_gpgme_gateway_match(cm_engine_session *s, const uint64_t *keyids, size_t n, int *yes)
{
    const cm_list *gw = &s->mc->cfg->gateway_keys;
    size_t g, i;

    *yes = 0;
    for (g = 0; g < gw->n; g++) {
        gpgme_key_t key = cm_gpgme_index_by_fpr(s->index, gw->v[g]);
        gpgme_subkey_t sk;

        if (key == NULL) {
            cm_log_error("%s: GatewayKeys names %s, which is not in KeyringDir %s", CM_QID(s->mc),
                         gw->v[g], s->mc->cfg->keyring_dir);
            return CM_ERR_GATEWAY_KEY;
        }
        /* Any of its encryption subkeys, expired ones too: mail encrypted
         * shortly before a subkey expired is still the gateway's. */
        for (sk = key->subkeys; sk != NULL; sk = sk->next) {
            uint64_t id;

            if (!sk->can_encrypt || sk->keyid == NULL
                || sscanf(sk->keyid, "%16" SCNx64, &id) != 1)
                continue;
            for (i = 0; i < n; i++)
                if (keyids[i] == id)
                    *yes = 1;
        }
    }
    return CM_OK;
}

cm_stat cm_gpgme_gateway_ready(cm_engine_session *s, char *why, size_t len)
{
    const cm_list *gw = &s->mc->cfg->gateway_keys;
    size_t g;

    for (g = 0; g < gw->n; g++) {
        gpgme_key_t key = NULL;
        gpgme_subkey_t sk;
        gpgme_error_t ge;
        int usable = 0;

        if (cm_gpgme_index_by_fpr(s->index, gw->v[g]) == NULL) {
            snprintf(why, len, "GatewayKeys names %s, which is not in KeyringDir %s", gw->v[g],
                     s->mc->cfg->keyring_dir);
            return CM_ERR_GATEWAY_KEY;
        }
        /* A secret key listing: gpg asks gpg-agent which keys it holds. */
        if ((ge = gpgme_get_key(s->ctx, gw->v[g], &key, 1)) != 0) {
            snprintf(why, len, "GatewayKeys %s: no secret key in gpg-agent for KeyringDir %s (%s)",
                     gw->v[g], s->mc->cfg->keyring_dir,
                     gpg_err_code(ge) == GPG_ERR_EOF ? "not found" : gpgme_strerror(ge));
            return CM_ERR_GATEWAY_KEY;
        }
        for (sk = key->subkeys; sk != NULL; sk = sk->next)
            if (sk->can_encrypt && sk->secret)
                usable = 1;
        gpgme_key_unref(key);
        if (!usable) {
            snprintf(why, len, "GatewayKeys %s: no secret encryption subkey in gpg-agent",
                     gw->v[g]);
            return CM_ERR_GATEWAY_KEY;
        }
    }
    return CM_OK;
}

cm_stat cm_gpgme_key_has_addr(cm_engine_session *s, const char *fpr, const char *addr, int *yes)
{
    gpgme_key_t key = cm_gpgme_index_by_fpr(s->index, fpr);
    gpgme_user_id_t uid;
    int r;

    *yes = 0;
    if (key == NULL || key->revoked || key->disabled || key->invalid)
        return CM_OK;
    /* as the index matches addresses: an IDN domain in any form and case */
    for (uid = key->uids; uid != NULL && !*yes; uid = uid->next)
        if (!uid->revoked && !uid->invalid && uid->email != NULL) {
            if ((r = cm_idn_addr_eq(uid->email, addr)) < 0)
                return CM_ERR_NOMEM;
            *yes = r;
        }
    return CM_OK;
}

/* What gpg's status lines said. */
typedef struct dec_status {
    int begin;              /* BEGIN_DECRYPTION lines: encryption layers */
    int plaintexts;         /* PLAINTEXT lines: literal data packets */
    int okay, failed, badmdc, end, no_integrity, info;
    int error;              /* ERROR lines */
    int failure;            /* FAILURE lines (gpg's exit code, say) */
    int nosec;              /* NO_SECKEY lines */
    int nosec_gw;           /* ... for a gateway key */
    int enc_gw;             /* ENC_TO lines for a gateway key */
    int nodata;             /* NODATA: gpg found nothing it could read */
    int agent_error;        /* an ERROR/FAILURE naming the agent */
    int64_t plain_len;      /* PLAINTEXT_LENGTH, -1 if not said */
    cm_engine_session *s;   /* for the gateway's key IDs; NULL: none */
    cm_sigs *sigs;
    cm_sig *cur;            /* the signature being reported */
    int cur_done;           /* its verdict line has come */
} dec_status;

/* The n-th (0-based) space-separated field of args into out. */
static int field(const char *args, size_t n, char *out, size_t outlen)
{
    const char *p = args, *e;
    size_t len;

    if (p == NULL)
        return -1;
    for (;;) {
        while (*p == ' ')
            p++;
        if (*p == 0)
            return -1;
        e = strchr(p, ' ');
        len = e ? (size_t) (e - p) : strlen(p);
        if (n-- == 0) {
            if (len >= outlen)
                return -1;
            memcpy(out, p, len);
            out[len] = 0;
            return 0;
        }
        p += len;
    }
}

/* A status-line time: seconds since the epoch, or ISO 8601 "YYYYMMDDThhmmss". */
static int64_t parse_time(const char *t)
{
    struct tm tm;

    if (strchr(t, 'T') != NULL) {
        memset(&tm, 0, sizeof(tm));
        if (sscanf(t, "%4d%2d%2dT%2d%2d%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
                   &tm.tm_min, &tm.tm_sec) != 6)
            return -1;
        tm.tm_year -= 1900;
        tm.tm_mon -= 1;
        return (int64_t) timegm(&tm);
    }
    return (int64_t) strtoll(t, NULL, 10);
}

static cm_sig *new_sig(dec_status *ds)
{
    cm_sigs *ss = ds->sigs;

    ss->seen++;
    ds->cur_done = 0;
    if (ss->n == CM_SIGS_MAX) {
        ds->cur = NULL;     /* counted, not kept: cm_gate refuses too many */
        return NULL;
    }
    ds->cur = &ss->v[ss->n++];
    memset(ds->cur, 0, sizeof(*ds->cur));
    ds->cur->status = CM_SIG_ERROR;
    ds->cur->created = -1;
    return ds->cur;
}

/* The signature a verdict line is about: the current one, or a new one if
 * the current one already has its verdict (gpg without NEWSIG). */
static cm_sig *verdict_sig(dec_status *ds)
{
    if (ds->cur == NULL || ds->cur_done)
        (void) new_sig(ds);
    ds->cur_done = 1;
    return ds->cur;
}

static void sig_status(dec_status *ds, const char *kw, const char *args)
{
    static const struct {
        const char *kw;
        cm_sig_status st;
    } verdicts[] = {
        {"GOODSIG", CM_SIG_GOOD}, {"BADSIG", CM_SIG_BAD}, {"EXPSIG", CM_SIG_EXPIRED},
        {"EXPKEYSIG", CM_SIG_KEY_EXPIRED}, {"REVKEYSIG", CM_SIG_KEY_REVOKED},
        {"ERRSIG", CM_SIG_ERROR},
    };
    char f[CM_FPR_MAX + 1];
    size_t i;
    cm_sig *sg;

    if (strcmp(kw, "NEWSIG") == 0) {
        (void) new_sig(ds);
        return;
    }
    if (strcmp(kw, "VALIDSIG") == 0) {
        if ((sg = ds->cur) == NULL)
            return;
        if (field(args, 9, sg->fpr, sizeof(sg->fpr)) < 0)
            (void) field(args, 0, sg->fpr, sizeof(sg->fpr));
        if (field(args, 2, f, sizeof(f)) == 0)
            sg->created = parse_time(f);
        return;
    }
    for (i = 0; i < sizeof(verdicts) / sizeof(verdicts[0]); i++) {
        if (strcmp(kw, verdicts[i].kw) != 0)
            continue;
        if ((sg = verdict_sig(ds)) == NULL)
            return;
        sg->status = verdicts[i].st;
        (void) field(args, 0, sg->keyid, sizeof(sg->keyid));
        if (verdicts[i].st == CM_SIG_ERROR) {
            /* ERRSIG keyid pkalgo hashalgo class time rc [fpr] */
            if (field(args, 5, f, sizeof(f)) == 0 && strcmp(f, "9") == 0)
                sg->status = CM_SIG_NOKEY;
            if (field(args, 4, f, sizeof(f)) == 0)
                sg->created = parse_time(f);
        }
        return;
    }
}

/* An ERROR line that means the secret key could not be used: the agent is
 * gone or cannot unlock the key, which is the gateway's problem (4xx), not
 * the message's. A missing key is NO_SECKEY, which names the key: not
 * here, or another recipient's key would count. */
static int agent_problem(const char *args)
{
    char code[32];
    gpgme_error_t e;

    if (field(args, 1, code, sizeof(code)) < 0)
        return 0;
    e = (gpgme_error_t) strtoul(code, NULL, 10);
    switch (gpg_err_code(e)) {
    case GPG_ERR_NO_AGENT:
    case GPG_ERR_AGENT:
    case GPG_ERR_NO_PIN_ENTRY:
    case GPG_ERR_CANCELED:
    case GPG_ERR_BAD_PASSPHRASE:
    case GPG_ERR_EOF:
    case GPG_ERR_TIMEOUT:
    case GPG_ERR_ECONNREFUSED:
    case GPG_ERR_ENOENT:
        return 1;
    default:
        return 0;
    }
}

/* NO_SECKEY or ENC_TO keyid: is keyid one of a gateway key's? A gateway
 * key not in the keyring counts as one (the gateway's problem either way). */
static int gateway_keyid(cm_engine_session *s, const char *args)
{
    char kid[17];
    uint64_t id;
    int yes = 0;

    if (s == NULL || field(args, 0, kid, sizeof(kid)) < 0 || strlen(kid) != 16
        || sscanf(kid, "%16" SCNx64, &id) != 1)
        return 0;
    if (cm_gpgme_gateway_match(s, &id, 1, &yes) != CM_OK)
        return 1;
    return yes;
}

static gpgme_error_t status_cb(void *opaque, const char *kw, const char *args)
{
    dec_status *ds = opaque;
    char f[24];

    if (strcmp(kw, "BEGIN_DECRYPTION") == 0)
        ds->begin++;
    else if (strcmp(kw, "PLAINTEXT") == 0)
        ds->plaintexts++;
    else if (strcmp(kw, "PLAINTEXT_LENGTH") == 0) {
        if (field(args, 0, f, sizeof(f)) == 0 && strspn(f, "0123456789") == strlen(f))
            ds->plain_len = (int64_t) strtoll(f, NULL, 10);
    } else if (strcmp(kw, "DECRYPTION_OKAY") == 0)
        ds->okay = 1;
    else if (strcmp(kw, "DECRYPTION_FAILED") == 0)
        ds->failed = 1;
    else if (strcmp(kw, "BADMDC") == 0)
        ds->badmdc = 1;
    else if (strcmp(kw, "END_DECRYPTION") == 0)
        ds->end = 1;
    else if (strcmp(kw, "ENC_TO") == 0) {
        if (gateway_keyid(ds->s, args))
            ds->enc_gw++;
    } else if (strcmp(kw, "NO_SECKEY") == 0) {
        ds->nosec++;
        if (gateway_keyid(ds->s, args))
            ds->nosec_gw++;
    }
    else if (strcmp(kw, "NODATA") == 0)
        ds->nodata = 1;
    else if (strcmp(kw, "DECRYPTION_INFO") == 0) {
        /* DECRYPTION_INFO mdc_method sym_algo [aead_algo] */
        int mdc = field(args, 0, f, sizeof(f)) == 0 ? atoi(f) : 0;
        int aead = field(args, 2, f, sizeof(f)) == 0 ? atoi(f) : 0;

        ds->info = 1;
        if (mdc == 0 && aead == 0)
            ds->no_integrity = 1;
    } else if (strcmp(kw, "ERROR") == 0) {
        ds->error = 1;
        if (agent_problem(args))
            ds->agent_error = 1;
    } else if (strcmp(kw, "FAILURE") == 0) {
        ds->failure = 1;
        if (agent_problem(args))
            ds->agent_error = 1;
    } else if (ds->sigs != NULL)
        sig_status(ds, kw, args);
    return 0;
}

typedef struct op_args {
    gpgme_ctx_t ctx;
    gpgme_data_t a, b;
} op_args;

static gpgme_error_t decrypt_start(void *arg)
{
    op_args *o = arg;

    return gpgme_op_decrypt_verify_start(o->ctx, o->a, o->b);
}

static gpgme_error_t verify_start(void *arg)
{
    op_args *o = arg;

    return gpgme_op_verify_start(o->ctx, o->a, o->b, NULL);
}

/* The plaintext's writer, counting what gpg wrote. */
typedef struct counted {
    cm_writer *w;
    uint64_t n;
} counted;

static int counted_write(void *arg, const void *buf, size_t len)
{
    counted *c = arg;
    int r = c->w->write(c->w->arg, buf, len);

    if (r >= 0)
        c->n += len;
    return r;
}

/* gpg stopped inside the decryption right after an expired signature:
 * with --batch (GPGME's) it exits on the first signature that is not
 * good, before it reads the MDC. The literal data written is then exactly
 * what that signature covers (VALIDSIG: it verifies over it), so the
 * message is whole as far as anyone can use it, and what is wrong with it
 * is the signature's verdict (cm_gate: 550 5.7.7), not damage. A bad
 * signature (BADSIG) proves nothing: that stays "cannot decrypt". */
static int stopped_at_expired_signature(const dec_status *ds, const cm_sigs *sigs,
                                        uint64_t written)
{
    size_t i;

    if (ds->begin != 1 || ds->plaintexts != 1 || ds->okay || ds->end || ds->failed
        || ds->badmdc || ds->error || ds->nodata || !ds->info || ds->no_integrity
        || sigs->n == 0 || sigs->seen != sigs->n || sigs->v[sigs->n - 1].status != CM_SIG_EXPIRED)
        return 0;
    if (ds->plain_len >= 0 && (uint64_t) ds->plain_len != written)
        return 0;           /* not all of it came out */
    for (i = 0; i < sigs->n; i++) {
        const cm_sig *sg = &sigs->v[i];

        if (sg->fpr[0] == 0 || sg->created < 0)
            return 0;       /* no VALIDSIG */
        if (sg->status != CM_SIG_GOOD && sg->status != CM_SIG_EXPIRED
            && sg->status != CM_SIG_KEY_EXPIRED && sg->status != CM_SIG_KEY_REVOKED)
            return 0;
    }
    return 1;
}

/* The answer for a decryption that did not come out whole. */
static cm_stat failed_verdict(cm_engine_session *s, const dec_status *ds, gpgme_error_t ge)
{
    const char *qid = CM_QID(s->mc);

    /* Why, for the administrator; the sender learns only "cannot decrypt". */
    cm_log_notice("%s: decryption failed: %s%s%s%s%s%s%s%s(%s)", qid,
                  ds->okay ? "" : "no DECRYPTION_OKAY; ",
                  ds->failed ? "DECRYPTION_FAILED; " : "", ds->badmdc ? "BADMDC; " : "",
                  ds->no_integrity ? "no integrity protection; " : "",
                  ds->nosec_gw ? "no secret gateway key; "
                  : ds->nosec ? "no secret key for another recipient; " : "",
                  ds->begin > 1 ? "a message nested in the message; " : "",
                  ds->plaintexts != 1 ? "not one literal data packet; " : "",
                  ds->error ? "ERROR; " : ds->nodata ? "NODATA; " : "",
                  ge ? gpgme_strerror(ge) : "no error code");
    /* No secret key for a gateway key, or none for any key when gpg saw
     * no packet for a gateway key (cm_pgp_decrypt asks only for messages
     * with one: we were asked wrong). */
    if (!ds->okay && (ds->nosec_gw > 0 || ds->agent_error || (ds->nosec > 0 && !ds->enc_gw))) {
        cm_log_error("%s: the gateway key's secret part is not usable: is it in the gpg-agent "
                     "of KeyringDir %s, and does the agent run?", qid, s->mc->cfg->keyring_dir);
        return CM_ERR_GATEWAY_KEY;
    }
    if (ds->okay || ds->failed || ds->badmdc || ds->no_integrity || ds->nodata
        || (ds->begin && (ds->error || ds->failure)))
        return CM_DECRYPT_FAILED;
    /* gpg ended without a verdict. After BEGIN_DECRYPTION that is what
     * gpg does on some damage (a "Fatal" zlib error exits 2 with no status
     * line), and also what a crash looks like: the caller tells them apart
     * by trying again. Before it, gpg could not start or read the input. */
    if (gpg_err_code(ge) == GPG_ERR_ENOMEM)
        return CM_ERR_NOMEM;
    return ds->begin ? CM_ERR_ENGINE_MIDSTREAM : CM_ERR_ENGINE;
}

cm_stat cm_gpgme_decrypt_verify(cm_engine_session *s, cm_reader *in, cm_writer *out,
                                cm_sigs *sigs)
{
    struct gpgme_data_cbs in_cbs = {cm_gpgme_read_cb, NULL, NULL, NULL};
    struct gpgme_data_cbs out_cbs = {NULL, cm_gpgme_write_cb, NULL, NULL};
    const char *qid = CM_QID(s->mc);
    counted cnt = {out, 0};
    cm_writer cw = {counted_write, &cnt};
    cm_gpgme_sink k = {&cw, 0};
    dec_status ds;
    op_args o;
    gpgme_error_t ge;
    cm_stat st;

    memset(sigs, 0, sizeof(*sigs));
    memset(&ds, 0, sizeof(ds));
    memset(&o, 0, sizeof(o));
    ds.sigs = sigs;
    ds.s = s;
    ds.plain_len = -1;
    o.ctx = s->ctx;
    if ((ge = gpgme_data_new_from_cbs(&o.a, &in_cbs, in)) != 0
        || (ge = gpgme_data_new_from_cbs(&o.b, &out_cbs, &k)) != 0) {
        cm_log_error("%s: GPGME data: %s", qid, gpgme_strerror(ge));
        gpgme_data_release(o.a);
        return CM_ERR_ENGINE;
    }
    ge = cm_gpgme_run_watched(s, "decryption", decrypt_start, &o, in, status_cb, &ds, &st);
    gpgme_data_release(o.a);
    gpgme_data_release(o.b);
    if (st != CM_OK)
        return st;
    if (k.write_errno != 0) {
        errno = k.write_errno;
        cm_log_errno("%s: decryption: writing the plaintext", qid);
        return cm_stat_of_errno(k.write_errno);
    }
    if (ds.okay && ds.end && ds.info && !ds.failed && !ds.badmdc && !ds.error && !ds.failure
        && !ds.nodata && !ds.no_integrity && ge == 0 && ds.begin == 1 && ds.plaintexts == 1) {
        cm_sigs_log(s->mc, sigs);
        return CM_OK;
    }
    if (stopped_at_expired_signature(&ds, sigs, cnt.n)) {
        cm_log_info("%s: gpg stopped at an expired signature, after all the data it signs",
                    qid);
        cm_sigs_log(s->mc, sigs);
        return CM_OK;
    }
    return failed_verdict(s, &ds, ge);
}

cm_stat cm_gpgme_verify_detached(cm_engine_session *s, cm_reader *data, const void *sig,
                                 size_t siglen, cm_sigs *sigs)
{
    struct gpgme_data_cbs in_cbs = {cm_gpgme_read_cb, NULL, NULL, NULL};
    const char *qid = CM_QID(s->mc);
    dec_status ds;
    op_args o;
    gpgme_error_t ge;
    cm_stat st;

    memset(sigs, 0, sizeof(*sigs));
    memset(&ds, 0, sizeof(ds));
    memset(&o, 0, sizeof(o));
    ds.sigs = sigs;
    o.ctx = s->ctx;
    if ((ge = gpgme_data_new_from_mem(&o.a, sig, siglen, 0)) != 0
        || (ge = gpgme_data_new_from_cbs(&o.b, &in_cbs, data)) != 0) {
        cm_log_error("%s: GPGME data: %s", qid, gpgme_strerror(ge));
        gpgme_data_release(o.a);
        return CM_ERR_ENGINE;
    }
    ge = cm_gpgme_run_watched(s, "signature check", verify_start, &o, data, status_cb, &ds, &st);
    gpgme_data_release(o.a);
    gpgme_data_release(o.b);
    if (st != CM_OK)
        return st;
    if (sigs->seen == 0 && !ds.nodata && !ds.error && !ds.failure) {
        /* gpg ended without a word about the signature: it died or could
         * not start (GPGME may even call that success). Ours (4xx), not
         * "your signature does not verify", nor "unsigned". */
        cm_log_error("%s: signature check: gpg ended without a verdict: %s", qid,
                     ge ? gpgme_strerror(ge) : "no status at all");
        return gpg_err_code(ge) == GPG_ERR_ENOMEM ? CM_ERR_NOMEM : CM_ERR_ENGINE;
    }
    if (sigs->seen == 0 && (ge != 0 || ds.error || ds.failure || ds.nodata)) {
        /* gpg said it could read no signature there (NODATA, ERROR): a
         * signature that does not verify, as far as the sender is
         * concerned. */
        cm_log_notice("%s: detached signature unreadable: %s", qid,
                      ge ? gpgme_strerror(ge) : "NODATA or ERROR status");
        sigs->seen = sigs->n = 1;
        sigs->v[0].status = CM_SIG_BAD;
        sigs->v[0].created = -1;
    }
    cm_sigs_log(s->mc, sigs);
    return CM_OK;
}
