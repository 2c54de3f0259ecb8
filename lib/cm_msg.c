/* cm_msg - one message through the core. The calls mirror the milter
 * events: recipients, header fields, body chunks, end of message. */
#include "cm_msg.h"
#include "cm_addr.h"
#include "cm_detect.h"
#include "cm_entity.h"
#include "cm_header.h"
#include "cm_list.h"
#include "cm_log.h"
#include "cm_rewrite.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

enum { CLASS_UNSET = -1, CLASS_NONE = 0, CLASS_PGP = 1 };

struct cm_msg {
    const cm_config *cfg;
    const cm_crypto_ops *ops;
    cm_crypto_session *sess;
    char *qid;
    cm_direction dir;
    const char *dir_why;
    char *sender;
    cm_list rcpts;
    size_t nkeyless;
    char *first_keyless;
    int first_class;
    cm_hdrs hdrs;
    cm_spool *body;
    uint64_t size;          /* header and body bytes seen */
    int oversize;
    int keep_oversize;      /* store the body even when oversize */
    void (*progress)(void *);
    void *progress_arg;
    cm_stat sticky;         /* first internal error; the message fails with it */
};

void cm_result_free(cm_result *r)
{
    free(r->detail);
    cm_edits_free(&r->edits);
    cm_spool_free(r->body);
    memset(r, 0, sizeof(*r));
}

cm_msg *cm_msg_new(const cm_config *cfg, const cm_crypto_ops *ops, const char *qid)
{
    cm_msg *m = calloc(1, sizeof(*m));

    if (m == NULL)
        return NULL;
    m->cfg = cfg;
    m->ops = ops;
    m->dir = CM_DIR_INBOUND;
    m->dir_why = "default";
    m->first_class = CLASS_UNSET;
    cm_hdrs_init(&m->hdrs, CM_HDR_MAX_FIELDS, CM_HDR_MAX_BYTES);
    if ((m->body = cm_spool_new((size_t) cfg->memory_buffer_size, cfg->spool_dir)) == NULL
        || (qid != NULL && (m->qid = strdup(qid)) == NULL)) {
        cm_msg_free(m);
        return NULL;
    }
    return m;
}

void cm_msg_free(cm_msg *m)
{
    if (m == NULL)
        return;
    if (m->sess != NULL)
        m->ops->session_free(m->sess);
    free(m->qid);
    free(m->sender);
    free(m->first_keyless);
    cm_list_free(&m->rcpts);
    cm_hdrs_free(&m->hdrs);
    cm_spool_free(m->body);
    free(m);
}

void cm_msg_set_direction(cm_msg *m, cm_direction d, const char *why)
{
    m->dir = d;
    m->dir_why = why;
}

void cm_msg_set_progress(cm_msg *m, void (*fn)(void *), void *arg)
{
    m->progress = fn;
    m->progress_arg = arg;
}

void cm_msg_keep_oversize(cm_msg *m)
{
    m->keep_oversize = 1;
}

void cm_msg_set_queue_id(cm_msg *m, const char *qid)
{
    char *q;

    if (qid == NULL || (q = strdup(qid)) == NULL)
        return;
    free(m->qid);
    m->qid = q;
}

static cm_stat fail(cm_msg *m, cm_stat st)
{
    if (m->sticky == CM_OK)
        m->sticky = st;
    return st;
}

cm_stat cm_msg_sender(cm_msg *m, const char *envfrom)
{
    free(m->sender);
    if ((m->sender = cm_addr_bare(envfrom)) == NULL)
        return fail(m, CM_ERR_NOMEM);
    return CM_OK;
}

cm_stat cm_msg_rcpt(cm_msg *m, const char *envrcpt)
{
    char *addr = cm_addr_bare(envrcpt);
    int found = 0, cls;
    cm_stat st;

    if (addr == NULL)
        return fail(m, CM_ERR_NOMEM);
    if (m->dir == CM_DIR_INBOUND) {
        if (m->sess == NULL && (st = m->ops->session_new(m->cfg, &m->sess)) != CM_OK) {
            free(addr);
            return fail(m, st);
        }
        if ((st = m->ops->add_recipient(m->sess, addr, &found)) != CM_OK) {
            free(addr);
            return fail(m, st);
        }
        /* RecipientDelimiter: alice+news@ falls back to alice@'s key. */
        if (!found) {
            char *base = cm_addr_base(addr, m->cfg->recipient_delimiter);

            if (base != NULL) {
                st = m->ops->add_recipient(m->sess, base, &found);
                if (found)
                    cm_log_debug("%s: <%s> uses the key of <%s>", m->qid ? m->qid : "-", addr, base);
                free(base);
                if (st != CM_OK) {
                    free(addr);
                    return fail(m, st);
                }
            }
        }
        cls = found ? CLASS_PGP : CLASS_NONE;
        /* Under split, a transaction keeps to the class of its first recipient. */
        if (m->cfg->missing_key_action == CM_MISSING_SPLIT && m->first_class != CLASS_UNSET
            && cls != m->first_class) {
            /* A deferred recipient's key must not be used. Those accepted so
             * far are all keyless, so the session holds no other key. */
            if (found) {
                m->ops->session_free(m->sess);
                m->sess = NULL;
            }
            cm_log_info("%s: recipient <%s> deferred: %s key class than the first recipient",
                        m->qid ? m->qid : "-", addr, cls == CLASS_PGP ? "has a different" : "lacks the");
            free(addr);
            return CM_SPLIT_CLASS;
        }
        if (m->first_class == CLASS_UNSET)
            m->first_class = cls;
        if (!found) {
            m->nkeyless++;
            if (m->first_keyless == NULL && (m->first_keyless = strdup(addr)) == NULL) {
                free(addr);
                return fail(m, CM_ERR_NOMEM);
            }
        }
    }
    if (cm_list_add(&m->rcpts, addr, strlen(addr)) < 0) {
        free(addr);
        return fail(m, CM_ERR_NOMEM);
    }
    free(addr);
    return CM_OK;
}

static void count_bytes(cm_msg *m, uint64_t n)
{
    m->size = m->size + n < m->size ? UINT64_MAX : m->size + n;
    if (m->size > m->cfg->max_message_size)
        m->oversize = 1;
}

cm_stat cm_msg_header(cm_msg *m, const char *name, const char *value, size_t vlen)
{
    cm_stat st;

    count_bytes(m, strlen(name) + vlen + 3);
    if ((st = cm_hdrs_add(&m->hdrs, name, value, vlen)) != CM_OK)
        return fail(m, st);
    return CM_OK;
}

cm_stat cm_msg_body(cm_msg *m, const void *p, size_t n)
{
    count_bytes(m, n);
    if ((m->oversize && !m->keep_oversize) || m->sticky != CM_OK)
        return CM_OK;       /* keep counting, stop storing */
    if (cm_spool_write(m->body, p, n) < 0) {
        cm_log_errno("%s: spooling message body in %s", m->qid ? m->qid : "-", m->cfg->spool_dir);
        return fail(m, errno == ENOMEM ? CM_ERR_NOMEM : CM_ERR_SPOOL);
    }
    return CM_OK;
}

const cm_hdrs *cm_msg_headers(const cm_msg *m)
{
    return &m->hdrs;
}

cm_spool *cm_msg_body_spool(cm_msg *m)
{
    return m->body;
}

static void refuse(cm_result *res, cm_stat st, const char *detail)
{
    cm_edits_free(&res->edits);
    cm_spool_free(res->body);
    res->body = NULL;
    res->refuse = 1;
    res->stat = st;
    res->trace = cm_stat_lookup(st)->name;
    if (detail != NULL)
        res->detail = strdup(detail);   /* a missing detail only shortens the reply */
}

/* Deliver without encrypting, saying why in the trace field. */
static void pass(cm_msg *m, cm_result *res, const char *trace)
{
    cm_stat st = cm_rewrite_trace(&m->hdrs, trace, &res->edits);

    res->trace = trace;
    if (st != CM_OK)
        refuse(res, st, NULL);
}

static void encrypt(cm_msg *m, cm_result *res)
{
    cm_envelope env = {NULL, NULL};
    cm_entity ent;
    cm_stat st;

    if ((res->body = cm_spool_new((size_t) m->cfg->memory_buffer_size, m->cfg->spool_dir)) == NULL) {
        refuse(res, CM_ERR_NOMEM, NULL);
        return;
    }
    if (cm_entity_open(&ent, &m->hdrs, m->body) < 0) {
        refuse(res, CM_ERR_NOMEM, NULL);
        return;
    }
    cm_entity_set_progress(&ent, m->progress, m->progress_arg);
    st = m->ops->encrypt(m->sess, &ent, res->body, &env);
    cm_entity_close(&ent);
    if (st == CM_OK)
        st = cm_rewrite_encrypted(&m->hdrs, &env, &res->edits);
    if (st != CM_OK) {
        refuse(res, st, NULL);
    } else {
        res->trace = env.trace;
    }
    cm_envelope_free(&env);
}

static void missing_keys(cm_msg *m, cm_result *res)
{
    switch (m->cfg->missing_key_action) {
    case CM_MISSING_TEMPFAIL:
        refuse(res, CM_NOKEY_TEMP, m->first_keyless);
        break;
    case CM_MISSING_REJECT:
        refuse(res, CM_NOKEY_REJECT, m->first_keyless);
        break;
    case CM_MISSING_SPLIT:
        /* Homogeneous (the RCPT stage saw to it) and keyless: deliver as is. */
        if (m->nkeyless < m->rcpts.n) {
            refuse(res, CM_SPLIT_CLASS, m->first_keyless);
            break;
        }
        pass(m, res, "skipped no-key");
        break;
    default:
        pass(m, res, "skipped no-key");
        break;
    }
}

/* Run already-encrypted detection over the whole body, streamed from the
 * spool. 0, or the status to refuse with. */
static cm_stat detect(cm_msg *m, cm_enc_kind *kind)
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
    cm_detector_free(d);
    return st;
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

static void inbound(cm_msg *m, cm_result *res)
{
    cm_enc_kind kind;
    cm_stat st;

    if (m->oversize) {
        if (m->cfg->oversize_action == CM_OVERSIZE_PASS)
            pass(m, res, "skipped oversize");
        else
            refuse(res, m->cfg->oversize_action == CM_OVERSIZE_REJECT
                   ? CM_TOOBIG_REJECT : CM_TOOBIG_TEMP, NULL);
        return;
    }
    if (m->rcpts.n == 0) {
        refuse(res, CM_ERR_INTERNAL, "no recipients");
        return;
    }
    if (bare_cr(&m->hdrs)) {
        refuse(res, CM_BAD_INPUT, "bare CR (carriage return without line feed) in the header section");
        return;
    }
    if ((st = detect(m, &kind)) != CM_OK) {
        refuse(res, st, NULL);
        return;
    }
    if (kind != CM_ENC_NONE)
        pass(m, res, "skipped already-encrypted");
    else if (m->nkeyless > 0)
        missing_keys(m, res);
    else
        encrypt(m, res);
}

void cm_msg_eom(cm_msg *m, cm_result *res)
{
    const char *qid = m->qid ? m->qid : "-";

    memset(res, 0, sizeof(*res));
    if (m->sticky != CM_OK)
        refuse(res, m->sticky, NULL);
    else if (m->dir == CM_DIR_OUTBOUND)
        res->trace = "outbound passed";
    else
        inbound(m, res);
    cm_log_info("%s: %s (%s) from=<%s> nrcpt=%zu size=%llu: %s%s%s%s", qid,
                cm_direction_name(m->dir), m->dir_why, m->sender ? m->sender : "",
                m->rcpts.n, (unsigned long long) m->size,
                res->refuse ? "refused " : "", res->trace,
                res->detail ? " " : "", res->detail ? res->detail : "");
}
