/* cm_gate - the outbound signature gate (SPEC §4.2). Every signature the
 * decrypted message carries must be good, made by a key of the envelope
 * sender, and fresh; From: must be the sender. One failing signature is
 * enough to refuse: a second, foreign signature is not "extra trust". */
#include "cm_gate.h"

#include <stdio.h>
#include <string.h>

void cm_gate_duration(uint64_t secs, char *out, size_t outlen)
{
    if (secs >= 2 * 86400)
        snprintf(out, outlen, "%llud", (unsigned long long) (secs / 86400));
    else if (secs >= 2 * 3600)
        snprintf(out, outlen, "%lluh", (unsigned long long) (secs / 3600));
    else if (secs >= 2 * 60)
        snprintf(out, outlen, "%llum", (unsigned long long) (secs / 60));
    else
        snprintf(out, outlen, "%llus", (unsigned long long) secs);
}

static cm_stat bad_status(const cm_sig *sg, char *detail, size_t dlen)
{
    /* The engine's own words, when it has them (S/MIME: why the
     * certificate is not trusted). */
    if (sg->note[0])
        snprintf(detail, dlen, "%s", sg->note);
    switch (sg->status) {
    case CM_SIG_NOKEY:
        if (!sg->note[0])
            snprintf(detail, dlen, "key %s", sg->keyid[0] ? sg->keyid : "unknown");
        return CM_GATE_UNKNOWN_SIGNER;
    case CM_SIG_KEY_EXPIRED:
        if (!sg->note[0])
            snprintf(detail, dlen, "your key %s has expired", sg->fpr[0] ? sg->fpr : sg->keyid);
        return CM_GATE_BADSIG;
    case CM_SIG_KEY_REVOKED:
        if (!sg->note[0])
            snprintf(detail, dlen, "your key %s is revoked", sg->fpr[0] ? sg->fpr : sg->keyid);
        return CM_GATE_BADSIG;
    case CM_SIG_EXPIRED:
        if (!sg->note[0])
            snprintf(detail, dlen, "the signature has expired");
        return CM_GATE_BADSIG;
    case CM_SIG_BAD:
        if (!sg->note[0])
            snprintf(detail, dlen, "the signed content was changed");
        return CM_GATE_BADSIG;
    default:
        if (!sg->note[0])
            snprintf(detail, dlen, "the signature cannot be checked");
        return CM_GATE_BADSIG;
    }
}

cm_stat cm_gate_check(const cm_gate_in *in, char *detail, size_t dlen)
{
    const cm_sigs *ss = in->sigs;
    char a[32], b[32];
    size_t i;

    detail[0] = 0;
    if (ss->seen == 0)
        return CM_GATE_UNSIGNED;
    if (ss->seen > ss->n) {
        snprintf(detail, dlen, "more than %d signatures", CM_SIGS_MAX);
        return CM_GATE_BADSIG;
    }
    for (i = 0; i < ss->n; i++)
        if (ss->v[i].status != CM_SIG_GOOD || ss->v[i].fpr[0] == 0 || ss->v[i].created < 0)
            return bad_status(&ss->v[i], detail, dlen);
    for (i = 0; i < ss->n; i++) {
        if (!in->owns[i] || in->sender == NULL || *in->sender == 0) {
            snprintf(detail, dlen, ss->v[i].x509 ? "certificate %s is not for <%s>"
                     : "key %s has no user ID <%s>", ss->v[i].fpr, in->sender ? in->sender : "");
            return CM_GATE_WRONG_SIGNER;
        }
    }
    if (in->from == NULL || strcmp(in->from, in->sender) != 0) {
        snprintf(detail, dlen, "From: %s%s%s, envelope sender <%s>", in->from ? "<" : "",
                 in->from ? in->from : "missing or more than one address", in->from ? ">" : "",
                 in->sender);
        return CM_GATE_FROM;
    }
    for (i = 0; i < ss->n; i++) {
        int64_t t = ss->v[i].created;

        if (t < in->now && (uint64_t) (in->now - t) > in->max_age) {
            cm_gate_duration((uint64_t) (in->now - t), a, sizeof(a));
            cm_gate_duration(in->max_age, b, sizeof(b));
            snprintf(detail, dlen, "signature is %s old; the limit is %s", a, b);
            return CM_GATE_STALE;
        }
        if (t > in->now && t - in->now > CM_GATE_FUTURE_SLACK) {
            cm_gate_duration((uint64_t) (t - in->now), a, sizeof(a));
            snprintf(detail, dlen, "signature is dated %s ahead of the gateway's clock", a);
            return CM_GATE_FUTURE;
        }
    }
    return CM_OK;
}
