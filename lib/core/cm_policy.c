/* cm_policy - the direction of a message (SPEC §2), the RCPT rules and the
 * missing-key rules (SPEC §3.3), as pure functions. */
#include "cm_policy.h"

#include <string.h>
#include <strings.h>

_Static_assert((int) CM_ADDRPOL_PASS == (int) CM_MISSING_PASS
               && (int) CM_ADDRPOL_TEMPFAIL == (int) CM_MISSING_TEMPFAIL
               && (int) CM_ADDRPOL_REJECT == (int) CM_MISSING_REJECT
               && (int) CM_ADDRPOL_SPLIT == (int) CM_MISSING_SPLIT,
               "a policy action names MissingKeyAction's values as they are");

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

int cm_policy_rcpt_action(const cm_config *cfg, const char *addr, const char *base,
                          int *from_policy)
{
    int action;

    *from_policy = cm_addrpol_find(cfg->policy, addr, base, &action, NULL);
    return *from_policy > 0 ? action : cfg->missing_key_action;
}

cm_stat cm_policy_rcpt_keyless(int action, int from_policy)
{
    if (!from_policy)
        return CM_OK;   /* MissingKeyAction: the end of message decides */
    switch (action) {
    case CM_ADDRPOL_TEMPFAIL:
    case CM_ADDRPOL_REQUIRE:
        return CM_NOKEY_POLICY;
    case CM_ADDRPOL_REJECT:
    case CM_ADDRPOL_REQUIRE_REJECT:
        return CM_NOKEY_POLICY_REJECT;
    default:
        return CM_OK;
    }
}

int cm_policy_strict(int action)
{
    return action == CM_ADDRPOL_SPLIT || action == CM_ADDRPOL_NEVER
           || action == CM_ADDRPOL_REQUIRE || action == CM_ADDRPOL_REQUIRE_REJECT;
}

cm_stat cm_policy_rcpt_mix(int strict, int strict_seen, int mixed, cm_key_class first,
                           cm_key_class cls)
{
    if (first == CM_KEY_UNSET || !(strict || strict_seen))
        return CM_OK;
    return mixed || cls != first ? CM_SPLIT_CLASS : CM_OK;
}

cm_stat cm_policy_outcome(int missing_action, const cm_rcpt_tally *t, int *encrypt,
                          const char **trace)
{
    size_t byaction = t->nkeyless - t->npass - t->nsplit;   /* under MissingKeyAction */

    *encrypt = 0;
    *trace = NULL;
    if (t->nkeyless + t->nnever == 0) {
        *encrypt = 1;
        return CM_OK;
    }
    if (byaction > 0 && (missing_action == CM_MISSING_TEMPFAIL || missing_action == CM_MISSING_REJECT))
        return CM_NOKEY;        /* cm_policy_rejects picks the reply */
    if (t->nkeyless + t->nnever < t->nrcpt
        && (t->nnever > 0 || t->nrequired > 0 || t->nsplit > 0
            || (byaction > 0 && missing_action == CM_MISSING_SPLIT)))
        /* The RCPT stage keeps such a transaction to one class; a mixed
         * one (a front end that cannot defer at RCPT) is deferred whole. */
        return CM_SPLIT_CLASS;
    /* pass: the keyless recipients' mailboxes hold the plaintext anyway;
     * encrypting the others' copies would protect nothing. */
    *trace = t->nkeyless > 0 ? "skipped no-key" : "skipped policy";
    return CM_OK;
}

cm_stat cm_policy_missing(int missing_action, size_t nrcpt, size_t nkeyless,
                          int *encrypt, int *pass)
{
    cm_rcpt_tally t = {nrcpt, nkeyless, 0, 0, 0, 0};
    const char *trace;
    cm_stat st = cm_policy_outcome(missing_action, &t, encrypt, &trace);

    *pass = trace != NULL;
    return st;
}
