/* cm_keystore - cryptmilter-keys' changes to the daemon's key stores:
 * OpenPGP keys into KeyringDir (through gpg, the one writer both backends
 * read: cm_gpgme_edit), certificates into CertificateDir (cm_certedit).
 * Each change replaces a file by rename, so a running daemon reloads it
 * and a message in flight keeps what it had (docs/keys.md). */
#ifndef CM_KEYSTORE_H
#define CM_KEYSTORE_H

#include <stddef.h>
#include <sys/types.h>

#include "cm_engine.h"

/* What p[0..n) is: OpenPGP (armored, or binary packets) or X.509 (PEM or
 * DER). */
typedef enum cm_keystore_kind {
    CM_KEYSTORE_OPENPGP,
    CM_KEYSTORE_X509
} cm_keystore_kind;
cm_keystore_kind cm_keystore_kind_of(const void *p, size_t n);

/* The gateway's own keys: OpenPGP secret keys go to gpg-agent, an X.509
 * certificate with its private key to GatewayCertificates (cm_gwimport). */
#define CM_KEYSTORE_GATEWAY 1

/* Import what p holds into the store of its kind; fn hears of each key or
 * certificate, added, updated or unchanged. Secret keys are refused unless
 * flags has CM_KEYSTORE_GATEWAY: then X.509 input is the gateway's
 * certificate and key, written 0600 and given to uid:gid (unless uid is
 * (uid_t) -1), and CM_ERR_GATEWAY_KEY means no GatewayCertificates file is
 * free for it. CM_OK; CM_BAD_INPUT (what was given is at fault; nothing
 * changed), CM_ERR_CONFIG (no store for its kind), or another failure,
 * with the reason in err. */
cm_stat cm_keystore_import(const cm_config *cfg, const void *p, size_t n, int flags, uid_t uid,
                           gid_t gid, cm_keychange_fn fn, void *arg, char *err, size_t errlen);
/* Remove the OpenPGP public keys and the certificates what names (an
 * address, or a fingerprint). A GatewayKeys key is never removed
 * (CM_BAD_INPUT, and nothing is); nothing found is CM_BAD_INPUT too. */
cm_stat cm_keystore_remove(const cm_config *cfg, const char *what, cm_keychange_fn fn, void *arg,
                           char *err, size_t errlen);
/* Set (disabled 1) or clear the OpenPGP key's disabled flag: a disabled
 * key is not a recipient for either backend. */
cm_stat cm_keystore_set_disabled(const cm_config *cfg, const char *fpr, int disabled,
                                 cm_keychange_fn fn, void *arg, char *err, size_t errlen);

#endif
