/* cm_policy - the direction of a message (SPEC §2), the RCPT rules and the
 * missing-key rules (SPEC §3.3), as pure functions. */
#ifndef CM_POLICY_H
#define CM_POLICY_H

#include "cm_config.h"
#include "cm_engine.h"
#include "cm_status.h"

#include <stddef.h>

typedef enum cm_direction { CM_DIR_INBOUND, CM_DIR_OUTBOUND } cm_direction;

typedef struct cm_conn_facts {
    const char *auth_authen;    /* {auth_authen}, NULL or "" if none */
    const char *client_addr;    /* {client_addr} */
    const char *daemon_name;    /* {daemon_name} */
} cm_conn_facts;

/* Outbound if the submitter authenticated, is an internal host, or came in
 * on an outbound daemon; otherwise inbound. *why names the deciding fact. */
cm_direction cm_policy_direction(const cm_config *cfg, const cm_conn_facts *f,
                                 const char **why);
const char *cm_direction_name(cm_direction d);
/* Parse "inbound"/"outbound"; 0 or -1. */
int cm_direction_parse(const char *s, cm_direction *d);

/* RCPT under MissingKeyAction (a cm_missing_action): may a recipient of
 * class cls join a transaction whose first recipient had class first?
 * 1 yes; 0 defer it (452 4.5.3: split, so each transaction is one class). */
int cm_policy_rcpt_admits(int missing_action, cm_key_class first, cm_key_class cls);

/* RCPT of an outbound message (SPEC §4.6): its local recipients are
 * handled as inbound, so a transaction holds only one kind. seen is the
 * kind so far (-1 none yet, 0 external, 1 local), local the recipient's.
 * CM_OK, or CM_SPLIT_LOCAL: defer the recipient. */
cm_stat cm_policy_rcpt_locality(int seen, int local);

/* RCPT with a key lookup: may a recipient whose key has class cls
 * (CM_KEY_NONE: no key) join? first is the class of the transaction's
 * first recipient (CM_KEY_UNSET before it), keyed the class of the keys
 * added so far (CM_KEY_NONE if none); as_inbound: the recipient is handled
 * as inbound, so MissingKeyAction split applies. Whatever MissingKeyAction
 * says, one message is encrypted in one format. CM_OK, or CM_SPLIT_CLASS
 * with *theirs the transaction's class that the deferral line names. */
cm_stat cm_policy_rcpt_class(int missing_action, int as_inbound, cm_key_class first,
                             cm_key_class keyed, cm_key_class cls, cm_key_class *theirs);

/* RCPT under KeyringMaxAge: is the keyring cryptmilter-keysync
 * keeps recent enough to be believed? max_age 0: the rule is off (CM_OK);
 * stamp: when the last synchronisation finished (seconds since the
 * epoch), -1 if there is no stamp (never synchronised, or unreadable).
 * CM_OK, or CM_KEYRING_STALE (451): a stale copy must neither make a new
 * user keyless nor keep a revoked key usable. A stamp in the future (a
 * clock set back) counts as fresh only up to max_age ahead. */
cm_stat cm_policy_keyring_fresh(uint64_t max_age, int64_t stamp, int64_t now);

/* A key class as the log names it: "OpenPGP", "S/MIME", "none". */
const char *cm_policy_class_name(cm_key_class c);

/* Does the setting that governs refusal st say reject? MissingKeyAction
 * for CM_NOKEY, OversizeAction for CM_TOOBIG, OnError for an internal
 * error; 0 for any other. The reject argument of cm_stat_reply. */
int cm_policy_rejects(const cm_config *cfg, cm_stat st);

/* EncryptionPolicy (SPEC §3.3): the action for a recipient handled as
 * inbound: the most specific rule of cfg->policy for addr (base: addr
 * without its RecipientDelimiter extension, or NULL), *from_policy 1; else
 * MissingKeyAction, *from_policy 0 (-1: out of memory, the caller's to
 * refuse). A cm_addrpol_action. */
int cm_policy_rcpt_action(const cm_config *cfg, const char *addr, const char *base,
                          int *from_policy);

/* A recipient without a key, whose action is that: refused at RCPT, alone,
 * when the policy file says require, tempfail or reject for it
 * (CM_NOKEY_POLICY 4xx, CM_NOKEY_POLICY_REJECT 5xx, whatever
 * MissingKeyAction says); CM_OK: accepted, the end of message decides. */
cm_stat cm_policy_rcpt_keyless(int action, int from_policy);

/* Does the action keep its recipient in a transaction whose recipients
 * all go one way (split, never, require)? */
int cm_policy_strict(int action);

/* RCPT under EncryptionPolicy: a recipient of class cls (CM_KEY_NONE: no
 * key, or never) joining a transaction whose first recipient had class
 * first (CM_KEY_UNSET: none yet); strict: its action is strict;
 * strict_seen: an accepted one's was; mixed: the accepted ones are not all
 * of class first. Where a strict recipient is or comes, all are one class:
 * a never recipient is not encrypted to, a require one not sent in clear.
 * CM_OK or CM_SPLIT_CLASS (defer it). */
cm_stat cm_policy_rcpt_mix(int strict, int strict_seen, int mixed, cm_key_class first,
                           cm_key_class cls);

/* A transaction's accepted recipients, as the end of message weighs them. */
typedef struct cm_rcpt_tally {
    size_t nrcpt;
    size_t nkeyless;    /* without a key (never ones not counted) */
    size_t npass;       /* of them, the policy file says pass */
    size_t nsplit;      /* of them, the policy file says split */
    size_t nnever;      /* never */
    size_t nrequired;   /* with a key, require */
} cm_rcpt_tally;

/* End of message over t (the others under MissingKeyAction missing_action):
 * *encrypt (none goes in clear), or *trace the pass ("skipped no-key";
 * "skipped policy" when only never recipients are), or the refusal:
 * CM_NOKEY (MissingKeyAction tempfail or reject), CM_SPLIT_CLASS (some
 * would go in clear and some encrypted, and one of them may not: a front
 * end that cannot defer at RCPT). */
cm_stat cm_policy_outcome(int missing_action, const cm_rcpt_tally *t, int *encrypt,
                          const char **trace);

/* End of message: nrcpt recipients, nkeyless of them without a key. Sets
 * *encrypt (all have keys), or *pass (deliver unencrypted, "no-key"), or
 * returns the refusal: CM_NOKEY (tempfail or reject), CM_SPLIT_CLASS. */
cm_stat cm_policy_missing(int missing_action, size_t nrcpt, size_t nkeyless,
                          int *encrypt, int *pass);

#endif
