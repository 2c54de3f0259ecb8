/* cm_msg - one message through the core. The calls mirror the milter
 * events: recipients, header fields, body chunks, end of message. */
#include "cm_msg_int.h"
#include "cm_addr.h"
#include "cm_header.h"
#include "cm_idn.h"
#include "cm_list.h"
#include "cm_log.h"
#include "cm_stats.h"
#include "cm_syncstamp.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

cm_msg *cm_msg_new(const cm_config *cfg, const cm_engines *engines, const char *qid)
{
    cm_msg *m = calloc(1, sizeof(*m));

    if (m == NULL)
        return NULL;
    m->ctx.cfg = cfg;
    cm_engcall_init(&m->eng, engines, &m->ctx);
    m->dir = CM_DIR_INBOUND;
    m->dir_why = "default";
    m->first_class = CM_KEY_UNSET;
    m->local = -1;
    cm_hdrs_init(&m->hdrs, CM_HDR_MAX_FIELDS, CM_HDR_MAX_BYTES);
    if ((m->body = cm_spool_new((size_t) cfg->memory_buffer_size, cfg->spool_dir)) == NULL
        || (qid != NULL && (m->ctx.qid = strdup(qid)) == NULL)) {
        cm_msg_free(m);
        return NULL;
    }
    return m;
}

void cm_msg_free(cm_msg *m)
{
    if (m == NULL)
        return;
    cm_engcall_done(&m->eng);
    free(m->ctx.qid);
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

void cm_msg_set_output(cm_msg *m, const cm_output *out)
{
    m->output = *out;
}

void cm_msg_set_progress(cm_msg *m, void (*fn)(void *), void *arg)
{
    m->progress = fn;
    m->progress_arg = arg;
}

void cm_msg_set_replay(cm_msg *m, cm_replay *r)
{
    m->replay = r;
}

void cm_msg_set_discovery_engines(cm_msg *m, const cm_engines *e)
{
    m->disc_engines = e;
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
    free(m->ctx.qid);
    m->ctx.qid = q;
}

static cm_stat fail(cm_msg *m, cm_stat st)
{
    if (m->sticky == CM_OK)
        m->sticky = st;
    return st;
}

void cm_msg_fail(cm_msg *m, cm_stat st)
{
    (void) fail(m, st);
}

cm_stat cm_msg_sender(cm_msg *m, const char *envfrom)
{
    free(m->sender);
    if ((m->sender = cm_addr_bare(envfrom)) == NULL)
        return fail(m, CM_ERR_NOMEM);
    return CM_OK;
}

/* The action for addr, handled as inbound (cm_policy_rcpt_action), with
 * its RecipientDelimiter base as key lookup has it. */
static cm_stat rcpt_action(const cm_msg *m, const char *addr, int *action, int *from_policy)
{
    const cm_config *cfg = m->ctx.cfg;
    char *base = NULL;
    int r = 0;

    *from_policy = 0;
    *action = cfg->missing_key_action;
    if (cfg->policy == NULL)
        return CM_OK;
    if ((r = cm_addr_base(addr, cfg->recipient_delimiter, &base)) < 0)
        return CM_ERR_NOMEM;
    *action = cm_policy_rcpt_action(cfg, addr, r == 1 ? base : NULL, from_policy);
    if (r == 1)
        free(base);
    if (*from_policy < 0)
        return CM_ERR_NOMEM;
    if (*from_policy)
        cm_log_debug("%s: <%s>: EncryptionPolicy %s", CM_QID(&m->ctx), addr,
                     cm_addrpol_action_name(*action));
    return CM_OK;
}

/* A keyless alias of KeyAliases (action: its own, handled as inbound) is
 * expanded by the MTA after us: it may go in clear only where each
 * member's own rule lets that member's mail go in clear. The first member
 * whose rule refuses it keyless (require, tempfail, reject) gives the alias
 * that action. */
static cm_stat alias_action(cm_msg *m, const char *addr, int *action, int *from_policy)
{
    const char *const *mem;
    size_t n, i;
    int a, fp;
    cm_stat st;

    if (m->ctx.cfg->policy == NULL || cm_policy_rcpt_keyless(*action, *from_policy) != CM_OK)
        return CM_OK;
    if ((st = cm_engcall_alias(&m->eng, addr, &mem, &n)) != CM_OK)
        return st;
    for (i = 0; mem != NULL && i < n; i++) {
        if ((st = rcpt_action(m, mem[i], &a, &fp)) != CM_OK)
            return st;
        if (cm_policy_rcpt_keyless(a, fp) != CM_OK) {
            cm_log_info("%s: alias <%s> has no key, and its member <%s>'s EncryptionPolicy says %s",
                        CM_QID(&m->ctx), addr, mem[i], cm_addrpol_action_name(a));
            *action = a;
            *from_policy = fp;
            break;
        }
    }
    return CM_OK;
}

/* An external recipient of outbound mail whose EncryptionPolicy rule is
 * require (or require reject): *required, and its action. The other
 * rules are for recipients handled as inbound. */
static cm_stat external_action(const cm_msg *m, const char *addr, int *action, int *from_policy,
                               int *required)
{
    int a, fp;
    cm_stat st;

    *required = 0;
    if ((st = rcpt_action(m, addr, &a, &fp)) != CM_OK)
        return st;
    if (fp && (a == CM_ADDRPOL_REQUIRE || a == CM_ADDRPOL_REQUIRE_REJECT)) {
        *required = 1;
        *action = a;
        *from_policy = fp;
    }
    return CM_OK;
}

/* Outbound, external recipients: where one is required, every recipient
 * has a key, so the message leaves encrypted (cm_outbound_eom). May a
 * recipient (required; nkeys keys) join the ones accepted so far? */
static cm_stat external_joins(const cm_msg *m, const char *addr, int required, size_t nkeys)
{
    size_t keyed = 0, e;

    for (e = 0; e < CM_ENGINES_MAX; e++)
        keyed += m->nkeyed[e];
    if ((required && keyed < m->rcpts.n) || (m->required && nkeys == 0)) {
        cm_log_info("%s: recipient <%s> deferred: EncryptionPolicy requires %s encrypted, and "
                    "not every recipient has a key", CM_QID(&m->ctx), addr,
                    required ? "it" : "another one");
        return CM_SPLIT_CLASS;
    }
    return CM_OK;
}

/* May the recipient join (CM_OK), or is it deferred (logged)? */
static cm_stat rcpt_joins(cm_msg *m, const char *addr, int as_inbound, int action, cm_key_class cls)
{
    cm_key_class theirs;
    cm_stat st;

    if ((st = cm_policy_rcpt_class(action, as_inbound, m->first_class, cm_msg_keyed_class(m), cls,
                                   &theirs)) != CM_OK) {
        cm_log_info("%s: recipient <%s> deferred: its key class is %s, the transaction's %s",
                    CM_QID(&m->ctx), addr, cm_policy_class_name(cls), cm_policy_class_name(theirs));
        return st;
    }
    if (as_inbound && (st = cm_policy_rcpt_mix(cm_policy_strict(action), m->strict_seen, m->mixed,
                                               m->first_class, cls)) != CM_OK)
        cm_log_info("%s: recipient <%s> deferred: EncryptionPolicy (%s) keeps it apart from the "
                    "transaction's recipients", CM_QID(&m->ctx), addr, cm_addrpol_action_name(action));
    return st;
}

/* Count an accepted recipient as the end of message weighs it. */
static void rcpt_tally(cm_msg *m, int as_inbound, int action, int from_policy, size_t nkeys)
{
    if (as_inbound && action == CM_ADDRPOL_NEVER) {
        m->tally.nnever++;
    } else if (nkeys == 0) {
        m->tally.nkeyless++;
        m->tally.npass += from_policy && action == CM_ADDRPOL_PASS;
        m->tally.nsplit += from_policy && action == CM_ADDRPOL_SPLIT;
    } else if (action == CM_ADDRPOL_REQUIRE || action == CM_ADDRPOL_REQUIRE_REJECT) {
        m->tally.nrequired++;
    }
}

/* KeyringMaxAge: a recipient is deferred while keysync's copy of the
 * directory is too old (or was never made), whatever the direction: inbound
 * it would be taken as keyless, outbound the gate would still trust a
 * sender key the directory has revoked. Not sticky: each RCPT asks again. */
static cm_stat keyring_fresh(cm_msg *m, const char *addr)
{
    const cm_config *cfg = m->ctx.cfg;
    int64_t stamp = -1;
    cm_stat st;

    if (cfg->keyring_max_age == 0 || !cm_config_has_keyring(cfg))
        return CM_OK;
    if (cm_syncstamp_read(cfg->keyring_dir, &stamp) < 0) {
        if (errno != ENOENT)
            cm_log_errno("%s: keysync stamp in %s", CM_QID(&m->ctx), cfg->keyring_dir);
        stamp = -1;
    }
    if ((st = cm_policy_keyring_fresh(cfg->keyring_max_age, stamp, (int64_t) time(NULL))) != CM_OK) {
        cm_log_warn("%s: recipient <%s> deferred: keyring %s not synchronised %s"
                       " (KeyringMaxAge %llus)", CM_QID(&m->ctx), addr, cfg->keyring_dir,
                       stamp < 0 ? "ever" : "recently",
                       (unsigned long long) cfg->keyring_max_age);
        cm_stats_keyring_stale();
    }
    return st;
}

/* Is addr's domain in LocalDomains, in any form and case of an IDN domain
 * (the MTA delivers them all to one place)? 1, 0, -1 out of memory. */
static int is_local(const cm_msg *m, const char *addr)
{
    return cm_idn_list_has(&m->ctx.cfg->local_domains, cm_addr_domain(addr));
}

cm_stat cm_msg_rcpt(cm_msg *m, const char *envrcpt)
{
    char *addr = cm_addr_bare(envrcpt);
    const cm_key *keys[CM_ALIAS_MAX_MEMBERS];
    cm_key_class cls;
    cm_stat st = CM_OK;
    size_t nkeys = 0, i;
    int e = -1, as_inbound, action = m->ctx.cfg->missing_key_action, from_policy = 0;
    int required = 0;

    if (addr == NULL)
        return fail(m, CM_ERR_NOMEM);
    if ((st = keyring_fresh(m, addr)) != CM_OK) {
        free(addr);
        return st;
    }
    if (m->dir == CM_DIR_OUTBOUND) {
        /* Local recipients of an outbound message are handled as inbound
         * (SPEC §4.6); a transaction holds only one kind. */
        int local = is_local(m, addr);

        if (local < 0) {
            st = CM_ERR_NOMEM;
            goto failed;
        }
        if ((st = cm_policy_rcpt_locality(m->local, local)) != CM_OK) {
            cm_log_info("%s: recipient <%s> deferred: %s recipient in a transaction of %s ones",
                        CM_QID(&m->ctx), addr, local ? "local" : "external",
                        local ? "external" : "local");
            free(addr);
            return st;
        }
        m->local = local;
        m->ctx.no_gateway_keys = !local;
    }
    as_inbound = m->dir == CM_DIR_INBOUND || m->local == 1;
    if (as_inbound && (st = rcpt_action(m, addr, &action, &from_policy)) != CM_OK)
        goto failed;
    if (!as_inbound && m->ctx.cfg->policy != NULL
        && (st = external_action(m, addr, &action, &from_policy, &required)) != CM_OK)
        goto failed;
    if (as_inbound || required || m->required
        || (m->ctx.cfg->opportunistic && m->tally.nkeyless == 0)) {
        /* never: not encrypted, so no key is looked up. */
        if (!(as_inbound && action == CM_ADDRPOL_NEVER)
            && (st = cm_engcall_find_keys(&m->eng, addr, &e, keys, &nkeys)) != CM_OK)
            goto failed;
        cls = nkeys > 0 ? cm_engcall_class(&m->eng, e) : CM_KEY_NONE;
        if (nkeys == 0 && as_inbound && action != CM_ADDRPOL_NEVER
            && (st = alias_action(m, addr, &action, &from_policy)) != CM_OK)
            goto failed;
        if (nkeys == 0 && (as_inbound || required)
            && (st = cm_policy_rcpt_keyless(action, from_policy)) != CM_OK) {
            cm_log_info("%s: recipient <%s> refused: no key, and EncryptionPolicy says %s",
                        CM_QID(&m->ctx), addr, cm_addrpol_action_name(action));
            /* Decided here, for this recipient: counted here. */
            cm_stats_outcome(1, st, st == CM_NOKEY_POLICY_REJECT, NULL);
            free(addr);
            return st;
        }
        if ((st = rcpt_joins(m, addr, as_inbound, action, cls)) != CM_OK
            || (!as_inbound && (st = external_joins(m, addr, required, nkeys)) != CM_OK)) {
            free(addr);
            return st;
        }
        m->required |= required;
        for (i = 0; i < nkeys; i++)
            if ((st = cm_engcall_add_recipient(&m->eng, (size_t) e, keys[i])) != CM_OK)
                goto failed;
        if (nkeys > 0)
            m->nkeyed[e]++;
        if (m->first_class == CM_KEY_UNSET)
            m->first_class = cls;
        else if (cls != m->first_class)
            m->mixed = 1;
        m->strict_seen |= as_inbound && cm_policy_strict(action);
        rcpt_tally(m, as_inbound, action, from_policy, nkeys);
        if (nkeys == 0 && !(as_inbound && action == CM_ADDRPOL_NEVER) && m->first_keyless == NULL
            && (m->first_keyless = strdup(addr)) == NULL) {
            st = CM_ERR_NOMEM;
            goto failed;
        }
    }
    if (cm_list_add(&m->rcpts, addr, strlen(addr)) < 0) {
        st = CM_ERR_NOMEM;
        goto failed;
    }
    free(addr);
    return CM_OK;
failed:
    free(addr);
    return fail(m, st);
}

static void count_bytes(cm_msg *m, uint64_t n)
{
    m->size = m->size + n < m->size ? UINT64_MAX : m->size + n;
    if (m->size > m->ctx.cfg->max_message_size)
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
        cm_log_errno("%s: spooling message body in %s", CM_QID(&m->ctx), m->ctx.cfg->spool_dir);
        return fail(m, cm_stat_of_errno(errno));
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
    memset(res, 0, sizeof(*res));
    if (m->sticky != CM_OK)
        cm_result_refuse(res, m->sticky, NULL);
    else if (m->dir != CM_DIR_OUTBOUND || cm_outbound_eom(m, res) == CM_PHASE_INBOUND)
        cm_inbound_eom(m, res);
}

void cm_msg_report(const cm_msg *m, const cm_result *res)
{
    const char *qid = CM_QID(&m->ctx);

    cm_log_info("%s: %s (%s) from=<%s> nrcpt=%zu size=%llu: %s%s%s%s", qid,
                cm_direction_name(m->dir), m->dir_why, m->sender ? m->sender : "",
                m->rcpts.n, (unsigned long long) m->size,
                res->refuse ? "refused " : "", res->trace,
                res->detail ? " " : "", res->detail ? res->detail : "");
    /* The counters from the values just logged: the two cannot disagree. */
    cm_stats_outcome(res->refuse, res->stat,
                     res->refuse && cm_policy_rejects(m->ctx.cfg, res->stat), res->trace);
}
