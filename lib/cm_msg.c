/* cm_msg - one message through the core. The calls mirror the milter
 * events: recipients, header fields, body chunks, end of message. */
#include "cm_msg_int.h"
#include "cm_addr.h"
#include "cm_header.h"
#include "cm_list.h"
#include "cm_log.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

cm_msg *cm_msg_new(const cm_config *cfg, const cm_crypto_ops *ops, const char *qid)
{
    cm_msg *m = calloc(1, sizeof(*m));

    if (m == NULL)
        return NULL;
    m->cfg = cfg;
    m->ops = ops;
    m->dir = CM_DIR_INBOUND;
    m->dir_why = "default";
    m->first_class = CM_KEY_UNSET;
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
    int found = 0;
    cm_key_class cls;
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
        cls = found ? CM_KEY_OPENPGP : CM_KEY_NONE;
        /* Under split, a transaction keeps to the class of its first recipient. */
        if (!cm_policy_rcpt_admits(m->cfg->missing_key_action, m->first_class, cls)) {
            /* A deferred recipient's key must not be used. Those accepted so
             * far are all keyless, so the session holds no other key. */
            if (found) {
                m->ops->session_free(m->sess);
                m->sess = NULL;
            }
            cm_log_info("%s: recipient <%s> deferred: %s key class than the first recipient",
                        m->qid ? m->qid : "-", addr, cls == CM_KEY_OPENPGP ? "has a different" : "lacks the");
            free(addr);
            return CM_SPLIT_CLASS;
        }
        if (m->first_class == CM_KEY_UNSET)
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

void cm_msg_eom(cm_msg *m, cm_result *res)
{
    const char *qid = m->qid ? m->qid : "-";

    memset(res, 0, sizeof(*res));
    if (m->sticky != CM_OK)
        cm_result_refuse(res, m->sticky, NULL);
    else if (m->dir == CM_DIR_OUTBOUND)
        cm_outbound_eom(m, res);
    else
        cm_inbound_eom(m, res);
    cm_log_info("%s: %s (%s) from=<%s> nrcpt=%zu size=%llu: %s%s%s%s", qid,
                cm_direction_name(m->dir), m->dir_why, m->sender ? m->sender : "",
                m->rcpts.n, (unsigned long long) m->size,
                res->refuse ? "refused " : "", res->trace,
                res->detail ? " " : "", res->detail ? res->detail : "");
}
