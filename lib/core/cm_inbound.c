/* cm_inbound - the inbound pipeline (SPEC §3): oversize, bare CR, already
 * encrypted, missing keys, then encryption of the original entity. */
#include "cm_msg_int.h"
#include "cm_detect.h"

#include <string.h>

cm_stat cm_msg_missing(cm_msg *m, int *encrypt, const char **trace)
{
    m->tally.nrcpt = m->rcpts.n;
    return cm_policy_outcome(m->ctx.cfg->missing_key_action, &m->tally, encrypt, trace);
}

static void missing_keys(cm_msg *m, cm_result *res)
{
    const char *pass;
    int enc;
    cm_stat st = cm_msg_missing(m, &enc, &pass);

    if (st != CM_OK)
        cm_result_refuse(res, st, m->first_keyless);
    else if (pass != NULL)
        cm_result_pass(&m->hdrs, res, pass);
    else
        cm_msg_encrypt(m, &m->eng, m->nkeyed, &m->hdrs, &m->hdrs, m->body, res);
}

/* A bare CR (not before LF) in the header section: a reader that takes CR
 * as a line end would show what follows it as the body, which would then
 * stay in the clear in the header. Such a message is refused (RFC 5322
 * allows CR only in CRLF). */
static int bare_cr(const cm_hdrs *h)
{
    size_t i;

    for (i = 0; i < h->n; i++)
        if (strchr(h->v[i].raw, '\r') != NULL)
            return 1;
    return 0;
}

void cm_inbound_eom(cm_msg *m, cm_result *res)
{
    cm_enc_kind kind;
    cm_stat st;

    if (m->oversize) {
        if (m->ctx.cfg->oversize_action == CM_OVERSIZE_PASS)
            cm_result_pass(&m->hdrs, res, "skipped oversize");
        else
            cm_result_refuse(res, CM_TOOBIG, NULL);    /* tempfail or reject */
        return;
    }
    if (m->rcpts.n == 0) {
        cm_result_refuse(res, CM_ERR_INTERNAL, "no recipients");
        return;
    }
    if (bare_cr(&m->hdrs)) {
        cm_result_refuse(res, CM_BAD_INPUT, "bare CR (carriage return without line feed) in the header section");
        return;
    }
    if ((st = cm_msg_detect(m, &kind, NULL)) != CM_OK) {
        cm_result_refuse(res, st, NULL);
        return;
    }
    if (kind != CM_ENC_NONE)
        cm_result_pass(&m->hdrs, res, "skipped already-encrypted");
    else
        missing_keys(m, res);
}
