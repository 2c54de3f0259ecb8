/* cm_engine - the engine interface (Postfix milter.h style: a struct of
 * function pointers). An engine moves bytes, OpenPGP or DER, through a
 * reader and a writer, and answers key questions; it knows
 * nothing of MIME. A format (cm_pgpmime, cm_smime) frames what it
 * writes, checks it and owns Content-Type and trace text. */
#ifndef CM_ENGINE_H
#define CM_ENGINE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "cm_config.h"
#include "cm_status.h"

/* What a recipient's key lookup found: the class decides the format. */
typedef enum cm_key_class {
    CM_KEY_UNSET = -1,      /* no recipient accepted yet */
    CM_KEY_NONE = 0,
    CM_KEY_OPENPGP = 1,
    CM_KEY_SMIME = 2
} cm_key_class;

typedef struct cm_engine cm_engine;                 /* per process: caches */
typedef struct cm_engine_session cm_engine_session; /* per message */
typedef struct cm_key cm_key;                       /* a key, owned by its session */

/* What every log line of a message names, passed down to the engines. */
typedef struct cm_msgctx {
    const cm_config *cfg;   /* the message's configuration snapshot */
    char *qid;              /* the MTA's queue ID, NULL until known */
    int no_gateway_keys;    /* key lookups skip the gateway's own keys (outbound
                             * to external recipients, SPEC §4.5): cm_engcall's */
} cm_msgctx;

#define CM_QID(ctx) ((ctx) != NULL && (ctx)->qid != NULL ? (ctx)->qid : "-")

/* Plaintext into the engine: read(2)-like; tick is called while the engine
 * waits (may be NULL). */
typedef struct cm_reader {
    ssize_t (*read)(void *arg, void *buf, size_t n);
    void (*tick)(void *arg);
    void *arg;
} cm_reader;

/* Ciphertext out of the engine: 0, or -1 with errno (ENOSPC, ENOMEM...). */
typedef struct cm_writer {
    int (*write)(void *arg, const void *buf, size_t n);
    void *arg;
} cm_writer;

/* One signature an engine checked (outbound). The engine says what the
 * cryptography says; whether it is good enough is cm_gate's call. */
typedef enum cm_sig_status {
    CM_SIG_GOOD,            /* good signature by a valid key in the keyring */
    CM_SIG_BAD,             /* does not verify */
    CM_SIG_NOKEY,           /* the signing key is not in the keyring */
    CM_SIG_KEY_EXPIRED,
    CM_SIG_KEY_REVOKED,
    CM_SIG_EXPIRED,         /* the signature itself has expired */
    CM_SIG_ERROR            /* could not be checked (unknown algorithm...) */
} cm_sig_status;

#define CM_FPR_MAX 64       /* hex digits of the longest fingerprint (v5/v6) */

typedef struct cm_sig {
    cm_sig_status status;
    char fpr[CM_FPR_MAX + 1];   /* the signer's primary key; "" if unknown */
    char keyid[CM_FPR_MAX + 1]; /* the signing key as the signature names it */
    int64_t created;            /* signature creation, seconds since the epoch; -1 unknown */
    int x509;                   /* the signer is an X.509 certificate (S/MIME), not a key */
    char note[128];             /* the engine's words on a signature not good (S/MIME:
                                 * why the certificate is not trusted); "" none */
} cm_sig;

#define CM_SIGS_MAX 4

/* What `cryptmilter -n` says of an OpenPGP keyring. */
typedef struct cm_keyring_summary {
    size_t keys;            /* primary keys */
    size_t addrs;           /* distinct addresses with a key usable now: those mail
                             * can be encrypted to */
    size_t expiring;        /* keys that can encrypt now and not after the window */
} cm_keyring_summary;

/* What cryptmilter-keys says of one address and key or certificate. */
typedef enum cm_key_state {
    CM_KEY_USABLE,
    CM_KEY_EXPIRED,
    CM_KEY_REVOKED,
    CM_KEY_DISABLED,
    CM_KEY_NO_ENCRYPTION,   /* no encryption subkey (sign-only) */
    CM_KEY_MISSING          /* not in the key store (asked for by name: EncryptToSelf) */
} cm_key_state;

typedef struct cm_keyinfo {
    const char *addr;       /* lower-cased; lent for the call */
    const char *id;         /* fingerprint (hex), or issuer and serial */
    int64_t expires;        /* when it can no longer encrypt; 0: never */
    cm_key_state state;
} cm_keyinfo;

/* Called once per address and key; nonzero stops the listing. */
typedef int (*cm_keyinfo_fn)(void *arg, const cm_keyinfo *k);

/* What cryptmilter-keys changed in a key store: one key or certificate. */
typedef struct cm_keychange {
    const char *cls;        /* "pgp", "pgp-secret" (handed to gpg-agent), "smime" */
    const char *id;         /* fingerprint (hex), or issuer and serial */
    const char *addrs;      /* its addresses, lower-cased, ',' between; "" none */
    const char *change;     /* "added", "updated", "unchanged", "removed",
                             * "disabled", "enabled" */
} cm_keychange;

/* Called once per key or certificate changed (or found unchanged). */
typedef void (*cm_keychange_fn)(void *arg, const cm_keychange *c);

/* One OpenPGP key block (armored or binary) or X.509 certificate (DER) as
 * a directory holds it, for a key store rebuilt from scratch
 * (cryptmilter-keysync); origin names it in the log (its DN). */
typedef struct cm_keyblob {
    const void *p;
    size_t n;
    const char *origin;
} cm_keyblob;

/* What keys served for one address brought to a keyring (cryptmilter-keys
 * wkd): each key keeps only its user IDs of that address. */
typedef struct cm_import_report {
    size_t added;           /* keys new to the keyring */
    size_t updated;         /* keys it had, given something new (user ID, subkey, signature) */
    size_t unchanged;
    size_t refused;         /* keys with no valid user ID of the address: left out */
} cm_import_report;

/* Called for each key taken: its primary fingerprint (hex) and "added",
 * "updated" or "unchanged". */
typedef void (*cm_imported_fn)(void *arg, const char *fpr, const char *what);

/* What a rebuild put in the keyring. */
typedef struct cm_rebuild_report {
    size_t keys;            /* primary keys in the new keyring (certificates written) */
    size_t rejected;        /* blobs the engine would not import (logged) */
    size_t revoked;         /* revoked keys left out */
    size_t kept;            /* GatewayKeys keys carried over */
} cm_rebuild_report;

typedef struct cm_sigs {
    cm_sig v[CM_SIGS_MAX];
    size_t n;               /* signatures kept */
    size_t seen;            /* signatures the engine reported (n <= seen) */
} cm_sigs;

typedef struct cm_engine_ops {
    const char *name;
    cm_key_class key_class;         /* the class of the keys it finds */
    /* Once per process, before threads. */
    cm_stat (*create)(cm_engine **out, char *err, size_t errlen);
    void (*destroy)(cm_engine *e);
    /* ctx outlives the session. */
    cm_stat (*session_new)(cm_engine *e, const cm_msgctx *ctx, cm_engine_session **out);
    void (*session_free)(cm_engine_session *s);
    /* The usable key for exactly addr, or *key NULL: "no key" is only
     * answered when the engine is sure (else an error). Whether the key
     * may be used for this message (GatewayKeys, SPEC §4.5) is the
     * wrapper's call (cm_engcall), from key_fpr. */
    cm_stat (*lookup)(cm_engine_session *s, const char *addr, const cm_key **key);
    /* The primary fingerprint (hex) of a key lookup found, as GatewayKeys
     * names keys, or NULL. NULL slot: an engine whose keys GatewayKeys
     * cannot name (S/MIME). */
    const char *(*key_fpr)(const cm_key *key);
    /* Encrypt the next message to key too (a key added twice counts once). */
    cm_stat (*add_recipient)(cm_engine_session *s, const cm_key *key);
    size_t (*recipients)(const cm_engine_session *s);
    /* All of in, encrypted to the recipients, to out: binary OpenPGP
     * packets (the format armors and checks them), or DER. */
    cm_stat (*encrypt)(cm_engine_session *s, cm_reader *in, cm_writer *out);

    /* Outbound (SPEC §4). Is one of the key IDs of a message's session key
     * packets an encryption subkey of a GatewayKeys key? *yes set. A
     * configured gateway key missing from the keyring is CM_ERR_GATEWAY_KEY. */
    cm_stat (*gateway_match)(cm_engine_session *s, const uint64_t *keyids, size_t n, int *yes);
    /* OpenPGP: decrypt in (one armored message) to out, checking the
     * signatures made with it (into sigs). S/MIME: in is one opaque
     * SignedData (DER), its content written to out, its signatures checked. CM_DECRYPT_FAILED for whatever the message is to
     * blame for, the same status whatever it held; CM_ERR_* for ours;
     * CM_ERR_ENGINE_MIDSTREAM if the engine stopped without a verdict after
     * it began to decrypt (the message, or a crash: the caller may retry). out
     * may have had bytes written before the verdict: unless CM_OK the
     * caller throws them away. */
    cm_stat (*decrypt_verify)(cm_engine_session *s, cm_reader *in, cm_writer *out, cm_sigs *sigs);
    /* Check the detached signature sig (siglen bytes: armored OpenPGP, or a
     * CMS SignedData in base64 or DER) over data. */
    cm_stat (*verify_detached)(cm_engine_session *s, cm_reader *data, const void *sig,
                               size_t siglen, cm_sigs *sigs);
    /* Does the key with primary fingerprint fpr have a valid user ID whose
     * address is exactly addr (case-insensitive)? *yes set. S/MIME: fpr is
     * that of a certificate the session verified a signature with. */
    cm_stat (*key_has_addr)(cm_engine_session *s, const char *fpr, const char *addr, int *yes);
    /* S/MIME outbound (SPEC §4.1): in is one DER ContentInfo, enveloped or
     * authEnveloped. If one of its recipients is a GatewayCertificates
     * certificate, *ours is set and it is decrypted with that certificate's
     * key to out; *authenticated says the content encryption has integrity
     * (AuthEnvelopedData). Else CM_OK with *ours 0 and nothing written.
     * Failures as decrypt_verify's. */
    cm_stat (*decrypt_gateway)(cm_engine_session *s, cm_reader *in, cm_writer *out, int *ours,
                               int *authenticated);
    /* OpenPGP, for `cryptmilter -n`: is every GatewayKeys key in the
     * keyring with its secret part usable for decryption? CM_OK, or
     * CM_ERR_GATEWAY_KEY with the reason (naming the key) in why. NULL for
     * an engine without GatewayKeys. */
    cm_stat (*gateway_ready)(cm_engine_session *s, char *why, size_t len);
    /* OpenPGP, for `cryptmilter -n`: count the session's keyring; a key
     * counts as expiring if it can encrypt at now but no longer at
     * now + window (seconds). NULL for an engine without a keyring. */
    cm_stat (*keyring_summary)(cm_engine_session *s, int64_t now, int64_t window,
                               cm_keyring_summary *out);
    /* OpenPGP, for cryptmilter-keys: every address and key of the session's
     * keyring, in address order, as it stands at now. NULL for an engine
     * without a keyring. */
    cm_stat (*keyring_list)(cm_engine_session *s, int64_t now, cm_keyinfo_fn fn, void *arg);
    /* The key EncryptToSelf names by id (OpenPGP: a primary fingerprint,
     * case-insensitive; S/MIME: a certificate file), whatever its state:
     * *key, and into info its expiry and state at now (id and addr left
     * alone). No such key: *key NULL and info->state CM_KEY_MISSING, CM_OK.
     * The key lives as long as the session. Whether it may be used is the
     * wrapper's call (cm_engcall_add_archive). */
    cm_stat (*key_by_id)(cm_engine_session *s, const char *id, int64_t now, const cm_key **key,
                         cm_keyinfo *info);
} cm_engine_ops;

/* An engine and its ops, as the registry hands them out. */
typedef struct cm_engine_ref {
    const cm_engine_ops *ops;
    cm_engine *engine;
} cm_engine_ref;

#endif
