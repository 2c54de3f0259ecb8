/* cm_policy - the direction of a message (SPEC §2), the RCPT rules and the
 * missing-key rules (SPEC §3.3), as pure functions. */
#include "cm_policy.h"

#include <string.h>
#include <strings.h>

cm_direction cm_policy_direction(const cm_config *cfg, const cm_conn_facts *f,
                                 const char **why)
{
    if (f->auth_authen != NULL && *f->auth_authen) {
        *why = "authenticated";
        return CM_DIR_OUTBOUND;
    }
    if (f->client_addr != NULL && cm_cidr_list_match(&cfg->internal_hosts, f->client_addr)) {
        *why = "internal-host";
        return CM_DIR_OUTBOUND;
    }
    if (f->daemon_name != NULL && *f->daemon_name
        && cm_list_has_ci(&cfg->outbound_daemons, f->daemon_name)) {
        *why = "outbound-daemon";
        return CM_DIR_OUTBOUND;
    }
    *why = "external";
    return CM_DIR_INBOUND;
}

const char *cm_direction_name(cm_direction d)
{
    return d == CM_DIR_OUTBOUND ? "outbound" : "inbound";
}

int cm_direction_parse(const char *s, cm_direction *d)
{
    if (strcasecmp(s, "inbound") == 0)
        *d = CM_DIR_INBOUND;
    else if (strcasecmp(s, "outbound") == 0)
        *d = CM_DIR_OUTBOUND;
    else
        return -1;
    return 0;
}

int cm_policy_rcpt_admits(int missing_action, cm_key_class first, cm_key_class cls)
{
    return missing_action != CM_MISSING_SPLIT || first == CM_KEY_UNSET || first == cls;
}

cm_stat cm_policy_rcpt_locality(int seen, int local)
{
    return seen >= 0 && local != seen ? CM_SPLIT_LOCAL : CM_OK;
}

cm_stat cm_policy_rcpt_class(int missing_action, int as_inbound, cm_key_class first,
                             cm_key_class keyed, cm_key_class cls, cm_key_class *theirs)
{
    /* Under split, a transaction keeps to the class of its first
     * recipient; a deferred recipient's key is never added. */
    if ((as_inbound && !cm_policy_rcpt_admits(missing_action, first, cls))
        || (cls != CM_KEY_NONE && keyed != CM_KEY_NONE && keyed != cls)) {
        *theirs = keyed != CM_KEY_NONE ? keyed : first;
        return CM_SPLIT_CLASS;
    }
    return CM_OK;
}

cm_stat cm_policy_keyring_fresh(uint64_t max_age, int64_t stamp, int64_t now)
{
    int64_t age;

    if (max_age == 0)
        return CM_OK;
    if (stamp < 0 || now < 0)
        return CM_KEYRING_STALE;
    /* Both are times since the epoch (>= 0): the difference cannot overflow. */
    age = now - stamp;
    if (age < 0)
        age = -age;
    return (uint64_t) age > max_age ? CM_KEYRING_STALE : CM_OK;
}

const char *cm_policy_class_name(cm_key_class c)
{
    return c == CM_KEY_OPENPGP ? "OpenPGP" : c == CM_KEY_SMIME ? "S/MIME" : "none";
}

int cm_policy_rejects(const cm_config *cfg, cm_stat st)
{
    switch (st) {
    case CM_NOKEY:
        return cfg->missing_key_action == CM_MISSING_REJECT;
    case CM_TOOBIG:
        return cfg->oversize_action == CM_OVERSIZE_REJECT;
    default:
        return cm_stat_lookup(st)->cls == CM_CLASS_INTERNAL && cfg->on_error == CM_ONERROR_REJECT;
    }
}

cm_stat cm_policy_missing(int missing_action, size_t nrcpt, size_t nkeyless,
                          int *encrypt, int *pass)
{
    *encrypt = 0;
    *pass = 0;
    if (nkeyless == 0) {
        *encrypt = 1;
        return CM_OK;
    }
    switch (missing_action) {
    case CM_MISSING_TEMPFAIL:
    case CM_MISSING_REJECT:
        return CM_NOKEY;        /* cm_policy_rejects picks the reply */
    case CM_MISSING_SPLIT:
        /* The RCPT stage keeps a transaction to one class; a mixed one
         * (a front end that cannot defer at RCPT) is deferred whole. */
        if (nkeyless < nrcpt)
            return CM_SPLIT_CLASS;
        *pass = 1;
        return CM_OK;
    default:
        /* pass: the keyless recipients' mailboxes hold the plaintext
         * anyway; encrypting the others' copies would protect nothing. */
        *pass = 1;
        return CM_OK;
    }
}
