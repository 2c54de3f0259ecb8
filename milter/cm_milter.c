/* cm_milter - the libmilter callbacks: a thin adapter over cm_msg.
 * Connection context is made in connect, message context in envfrom; one
 * cleanup serves eom, abort and close. Internal errors answer TEMPFAIL. */
#include "cm_milter.h"
#include "cm_confhold.h"
#include "cm_log.h"
#include "cm_msg.h"
#include "cm_policy.h"
#include "cm_stack.h"
#include "cm_status.h"

#include <limits.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define REPLACE_CHUNK 65536
/* The steps whose callbacks can only continue: asked to go unanswered. */
#define NOREPLY_STEPS (SMFIP_NR_CONN | SMFIP_NR_MAIL | SMFIP_NR_HDR | SMFIP_NR_BODY)

cm_gateway *cm_milter_gw;
/* Connections with a context: made at the first callback, gone at close. */
static atomic_long live;

typedef struct conn_ctx {
    char *client_addr;
    char *daemon_name;
    int leadspc;            /* header values keep their leading space */
    unsigned long noreply;  /* SMFIP_NR_* steps the MTA sends without waiting */
    const cm_config *cfg;   /* held from MAIL to the message's end */
    cm_msg *msg;
} conn_ctx;

static conn_ctx *get_ctx(SMFICTX *ctx)
{
    return smfi_getpriv(ctx);
}

/* The connection context: made in negotiate, or in connect if the MTA
 * skipped negotiation. NULL on out of memory. */
static conn_ctx *ensure_ctx(SMFICTX *ctx)
{
    conn_ctx *c = get_ctx(ctx);

    if (c != NULL)
        return c;
    if ((c = calloc(1, sizeof(*c))) == NULL)
        return NULL;
    if (smfi_setpriv(ctx, c) != MI_SUCCESS) {
        free(c);
        return NULL;
    }
    atomic_fetch_add(&live, 1);
    return c;
}

int cm_milter_wait_idle(unsigned seconds)
{
    struct timespec tick = {0, 50 * 1000 * 1000};
    unsigned long i;

    for (i = 0; atomic_load(&live) > 0; i++) {
        if (i >= seconds * 20UL)
            return 0;
        (void) nanosleep(&tick, NULL);
    }
    return 1;
}

static void msg_cleanup(conn_ctx *c)
{
    if (c == NULL)
        return;
    if (c->msg != NULL) {
        cm_msg_free(c->msg);
        c->msg = NULL;
    }
    if (c->cfg != NULL) {
        cm_confhold_put(cm_milter_gw->conf, c->cfg);
        c->cfg = NULL;
    }
}

/* The MTA's queue ID, for a log line of the message; "-" before it is known. */
static const char *qid_of(SMFICTX *ctx)
{
    const char *q = smfi_getsymval(ctx, "i");

    return q != NULL && *q ? q : "-";
}

/* Copy text for smfi_setreply: '%' must be doubled. */
static void reply_escape(const char *in, char *out, size_t len)
{
    size_t o = 0;

    for (; *in && o + 2 < len; in++) {
        if (*in == '%')
            out[o++] = '%';
        out[o++] = *in;
    }
    out[o] = 0;
}

/* Answer stat: sets the reply and returns TEMPFAIL or REJECT by its class. */
static sfsistat answer(SMFICTX *ctx, cm_stat st, const char *detail)
{
    conn_ctx *c = get_ctx(ctx);
    const cm_config *cfg;
    cm_reply r;
    char text[1100];
    int reject;

    /* The action (OnError, MissingKeyAction, OversizeAction) of the
     * message's own configuration, else the current one. */
    if (c != NULL && c->cfg != NULL) {
        reject = cm_policy_rejects(c->cfg, st);
    } else {
        cfg = cm_confhold_get(cm_milter_gw->conf);
        reject = cm_policy_rejects(cfg, st);
        cm_confhold_put(cm_milter_gw->conf, cfg);
    }
    cm_stat_reply(st, reject, detail, &r);
    reply_escape(r.text, text, sizeof(text));
    if (smfi_setreply(ctx, r.rcode, r.xcode, text) != MI_SUCCESS)
        cm_log_warn("%s: smfi_setreply %s %s failed", qid_of(ctx), r.rcode, r.xcode);
    return r.rcode[0] == '5' ? SMFIS_REJECT : SMFIS_TEMPFAIL;
}

static sfsistat cm_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1,
                             unsigned long f2, unsigned long f3, unsigned long *pf0,
                             unsigned long *pf1, unsigned long *pf2, unsigned long *pf3)
{
    const unsigned long need = SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_CHGBODY;
    unsigned long steps = 0;
    conn_ctx *c;

    (void) f2;
    (void) f3;
    if ((f0 & need) != need) {
        cm_log_error("the MTA does not offer the actions cryptmilter needs "
                     "(add/change headers, replace body): refusing to filter");
        return SMFIS_REJECT;
    }
    *pf0 = need | (f0 & SMFIF_SETSYMLIST);
    /* Skip the steps with no callback, and answer none of the steps whose
     * callback can only continue (errors there stick and are answered at
     * end of message, or at RCPT for MAIL's): the MTA then sends them
     * without a round trip each. RCPT keeps its answer. libmilter
     * offers the no-reply flags itself and fakes them for an MTA without. */
    steps = f1 & (SMFIP_NOHELO | SMFIP_NOEOH | SMFIP_NOUNKNOWN | SMFIP_NODATA | SMFIP_HDR_LEADSPC
                  | NOREPLY_STEPS);
    *pf1 = steps;
    *pf2 = 0;
    *pf3 = 0;
    if ((c = ensure_ctx(ctx)) == NULL)
        return SMFIS_TEMPFAIL;
    c->leadspc = (steps & SMFIP_HDR_LEADSPC) != 0;
    c->noreply = steps & NOREPLY_STEPS;
    if (f0 & SMFIF_SETSYMLIST) {
        (void) smfi_setsymlist(ctx, SMFIM_CONNECT, "{client_addr} {daemon_name}");
        (void) smfi_setsymlist(ctx, SMFIM_ENVFROM, "i {auth_authen} {client_addr} {daemon_name}");
        (void) smfi_setsymlist(ctx, SMFIM_EOM, "i");
    }
    return SMFIS_CONTINUE;
}

static char *macro_dup(SMFICTX *ctx, const char *name)
{
    const char *v = smfi_getsymval(ctx, (char *) name);

    return v != NULL ? strdup(v) : NULL;
}

/* What a step that only continues returns: no reply if negotiated so. */
static sfsistat carry_on(const conn_ctx *c, unsigned long nr_step)
{
    return c != NULL && (c->noreply & nr_step) ? SMFIS_NOREPLY : SMFIS_CONTINUE;
}

/* An error at a step: answered now if the step has a reply; if not, a
 * later step answers it, finding the message refused or missing (each
 * RCPT when MAIL made none, end of message for the rest). */
static sfsistat refuse_at(SMFICTX *ctx, const conn_ctx *c, unsigned long nr_step, cm_stat st)
{
    return carry_on(c, nr_step) == SMFIS_NOREPLY ? SMFIS_NOREPLY : answer(ctx, st, NULL);
}

static sfsistat cm_connect(SMFICTX *ctx, char *host, _SOCK_ADDR *addr)
{
    conn_ctx *c = ensure_ctx(ctx);

    (void) host;
    (void) addr;
    /* Only without negotiation (which makes the context, or ends the
     * session): then every step has a reply. */
    if (c == NULL)
        return answer(ctx, CM_ERR_NOMEM, NULL);
    free(c->client_addr);
    free(c->daemon_name);
    c->client_addr = macro_dup(ctx, "{client_addr}");
    c->daemon_name = macro_dup(ctx, "{daemon_name}");
    return carry_on(c, SMFIP_NR_CONN);
}

static sfsistat cm_envfrom(SMFICTX *ctx, char **argv)
{
    conn_ctx *c = get_ctx(ctx);
    cm_conn_facts f;
    const char *why, *v;
    cm_direction dir;

    if (c == NULL)
        return answer(ctx, CM_ERR_INTERNAL, NULL);
    msg_cleanup(c);
    /* Each message runs on the configuration current at its MAIL command,
     * whatever a reload does meanwhile. */
    c->cfg = cm_confhold_get(cm_milter_gw->conf);
    if ((c->msg = cm_gateway_msg(cm_milter_gw, c->cfg, smfi_getsymval(ctx, "i"))) == NULL)
        return refuse_at(ctx, c, SMFIP_NR_MAIL, CM_ERR_NOMEM);
    /* Some MTAs only send the client macros with MAIL. */
    f.auth_authen = smfi_getsymval(ctx, "{auth_authen}");
    f.client_addr = (v = smfi_getsymval(ctx, "{client_addr}")) != NULL ? v : c->client_addr;
    f.daemon_name = (v = smfi_getsymval(ctx, "{daemon_name}")) != NULL ? v : c->daemon_name;
    dir = cm_policy_direction(c->cfg, &f, &why);
    cm_msg_set_direction(c->msg, dir, why);
    /* An error sticks to the message: answered at end of message. */
    (void) cm_msg_sender(c->msg, argv[0]);
    return carry_on(c, SMFIP_NR_MAIL);
}

static sfsistat cm_envrcpt(SMFICTX *ctx, char **argv)
{
    conn_ctx *c = get_ctx(ctx);
    cm_stat st;

    if (c == NULL || c->msg == NULL)
        return answer(ctx, CM_ERR_INTERNAL, NULL);
    if ((st = cm_msg_rcpt(c->msg, argv[0])) != CM_OK)
        return answer(ctx, st, st == CM_SPLIT_CLASS || st == CM_SPLIT_LOCAL || st == CM_NOKEY_POLICY
                               || st == CM_NOKEY_POLICY_REJECT ? argv[0] : NULL);
    return SMFIS_CONTINUE;
}

static sfsistat cm_header(SMFICTX *ctx, char *name, char *value)
{
    conn_ctx *c = get_ctx(ctx);

    if (c == NULL || c->msg == NULL)
        return refuse_at(ctx, c, SMFIP_NR_HDR, CM_ERR_INTERNAL);
    if (c->leadspc) {
        (void) cm_msg_header(c->msg, name, value, strlen(value));
    } else {
        /* Without SMFIP_HDR_LEADSPC the MTA ate the space after the colon. */
        char *v = malloc(strlen(value) + 2);

        if (v == NULL) {
            cm_msg_fail(c->msg, CM_ERR_NOMEM);
            return carry_on(c, SMFIP_NR_HDR);
        }
        v[0] = ' ';
        strcpy(v + 1, value);
        (void) cm_msg_header(c->msg, name, v, strlen(v));
        free(v);
    }
    /* Errors stick in the message and are answered at end of message. */
    return carry_on(c, SMFIP_NR_HDR);
}

static sfsistat cm_body(SMFICTX *ctx, unsigned char *p, size_t n)
{
    conn_ctx *c = get_ctx(ctx);

    if (c == NULL || c->msg == NULL)
        return refuse_at(ctx, c, SMFIP_NR_BODY, CM_ERR_INTERNAL);
    (void) cm_msg_body(c->msg, p, n);
    return carry_on(c, SMFIP_NR_BODY);
}

/* Header edits, all before any body replacement (never interleaved). */
static int apply_edits(SMFICTX *ctx, const conn_ctx *c, const cm_edits *edits)
{
    size_t i;

    for (i = 0; i < edits->n; i++) {
        const cm_edit *e = &edits->v[i];
        char *v = e->value;
        int rc;

        if (v != NULL && !c->leadspc && *v == ' ')
            v++;
        switch (e->kind) {
        case CM_EDIT_ADD:
            rc = smfi_addheader(ctx, e->name, v);
            break;
        case CM_EDIT_CHANGE:
            rc = smfi_chgheader(ctx, e->name, (int) e->idx, v);
            break;
        default:
            rc = smfi_chgheader(ctx, e->name, (int) e->idx, NULL);
            break;
        }
        if (rc != MI_SUCCESS) {
            cm_log_error("%s: header edit %s failed", qid_of(ctx), e->name);
            return -1;
        }
    }
    return 0;
}

static int replace_body(SMFICTX *ctx, const void *p, size_t n)
{
    /* libmilter cuts it into protocol-sized chunks itself. */
    if (n > INT_MAX || smfi_replacebody(ctx, (unsigned char *) p, (int) n) != MI_SUCCESS) {
        cm_log_error("%s: body replacement failed", qid_of(ctx));
        return -1;
    }
    return 0;
}

/* The core's output while it encrypts: the ciphertext streams into the MTA
 * as the engine makes it, never stored here. A refusal after the first
 * piece is safe: a 4xx or 5xx at end of message makes Postfix and Sendmail
 * drop the message with every change a milter asked for. */
typedef struct eom_out {
    SMFICTX *ctx;
    const conn_ctx *c;
    int replacing;          /* body replacement has begun */
} eom_out;

static int out_edits(void *arg, const cm_edits *e)
{
    const eom_out *o = arg;

    return apply_edits(o->ctx, o->c, e);
}

static int out_body(void *arg, const void *p, size_t n)
{
    eom_out *o = arg;

    o->replacing = 1;
    return replace_body(o->ctx, p, n);
}

/* What the core left in res (a message it did not stream): the edits,
 * then the body. */
static int apply(SMFICTX *ctx, conn_ctx *c, cm_result *res)
{
    unsigned char *buf;
    ssize_t r;

    if (apply_edits(ctx, c, &res->edits) < 0)
        return -1;
    if (res->body == NULL)
        return 0;
    if (cm_spool_rewind(res->body) < 0)
        return -1;
    /* On the heap: a thread's stack is new to each connection (libmilter
     * starts a thread for it), and its pages would fault in every time. */
    if ((buf = malloc(REPLACE_CHUNK)) == NULL)
        return -1;
    while ((r = cm_spool_read(res->body, buf, REPLACE_CHUNK)) > 0)
        if (replace_body(ctx, buf, (size_t) r) < 0) {
            r = -1;
            break;
        }
    free(buf);
    return r == 0 ? 0 : -1;
}

/* Long encryption: tell the MTA we are alive, so that its own milter
 * timeout does not fire before EngineTimeout does. Only until body
 * replacement begins: Postfix takes no other request after it (and each
 * piece of the body is a sign of life itself). */
static void progress(void *arg)
{
    const eom_out *o = arg;

    if (!o->replacing && smfi_progress(o->ctx) != MI_SUCCESS)
        cm_log_warn("%s: smfi_progress failed", qid_of(o->ctx));
}

typedef struct eom_call {
    SMFICTX *ctx;
    sfsistat rc;
} eom_call;

static void eom_run(void *arg)
{
    eom_call *e = arg;
    SMFICTX *ctx = e->ctx;
    conn_ctx *c = get_ctx(ctx);
    const char *qid;
    cm_result res;
    eom_out o = {ctx, c, 0};
    cm_output out = {out_edits, out_body, &o};

    e->rc = SMFIS_CONTINUE;
    if (c == NULL || c->msg == NULL) {
        e->rc = answer(ctx, CM_ERR_INTERNAL, NULL);
        return;
    }
    if ((qid = smfi_getsymval(ctx, "i")) != NULL)
        cm_msg_set_queue_id(c->msg, qid);
    cm_msg_set_progress(c->msg, progress, &o);
    cm_msg_set_output(c->msg, &out);
    cm_msg_eom(c->msg, &res);
    if (!res.refuse && apply(ctx, c, &res) < 0)
        cm_result_refuse(&res, CM_ERR_INTERNAL, NULL);
    cm_msg_report(c->msg, &res);
    if (res.refuse)
        e->rc = answer(ctx, res.stat, res.detail);
    cm_result_free(&res);
    msg_cleanup(c);
}

/* End of message runs on a stack the process keeps (cm_stack.h): the
 * engines' stack pages then stay mapped from one message to the next,
 * whichever of libmilter's short-lived threads calls. */
static sfsistat cm_eom(SMFICTX *ctx)
{
    eom_call e = {ctx, SMFIS_TEMPFAIL};

    cm_stack_run(eom_run, &e);
    return e.rc;
}

static sfsistat cm_abort(SMFICTX *ctx)
{
    msg_cleanup(get_ctx(ctx));
    return SMFIS_CONTINUE;
}

static sfsistat cm_close(SMFICTX *ctx)
{
    conn_ctx *c = get_ctx(ctx);

    if (c != NULL) {
        msg_cleanup(c);
        free(c->client_addr);
        free(c->daemon_name);
        free(c);
        (void) smfi_setpriv(ctx, NULL);
        atomic_fetch_sub(&live, 1);     /* last: the gateway is not used after */
    }
    return SMFIS_CONTINUE;
}

struct smfiDesc cm_milter_desc = {
    "cryptmilter",
    SMFI_VERSION,
    SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_CHGBODY | SMFIF_SETSYMLIST,
    cm_connect,
    NULL,               /* helo */
    cm_envfrom,
    cm_envrcpt,
    cm_header,
    NULL,               /* eoh */
    cm_body,
    cm_eom,
    cm_abort,
    cm_close,
    NULL,               /* unknown */
    NULL,               /* data */
    cm_negotiate,
};
