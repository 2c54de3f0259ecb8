/* cm_gpgme - the OpenPGP engine on GPGME. Only the registry names it. */
#ifndef CM_GPGME_H
#define CM_GPGME_H

#include "cm_engine.h"

extern const cm_engine_ops cm_gpgme_engine;

/* Fill staging, an empty GnuPG home on KeyringDir's file system, with a
 * public keyring made from scratch: the public parts of cfg's GatewayKeys
 * as KeyringDir holds them now, then every blob as gpg imports it;
 * revoked keys (but GatewayKeys') are deleted again. Every GatewayKeys key
 * must end up in it. Nothing in KeyringDir is changed. CM_OK with *rep,
 * or CM_ERR_ENGINE / CM_ERR_GATEWAY_KEY / CM_ERR_NOMEM with the reason in
 * err (cm_gpgme_rebuild.c). */
cm_stat cm_gpgme_rebuild_keyring(const cm_config *cfg, const char *staging, const cm_keyblob *v,
                                 size_t n, cm_rebuild_report *rep, char *err, size_t errlen);

/* Import the public keys p[0..n) (binary packets, no secret key: anything
 * else is CM_BAD_INPUT) into the GnuPG home home, each key with only the
 * user IDs whose address is addr (gpg's import filter keep-uid, mbox
 * compared case-insensitively); a key left without one is not imported
 * (rep->refused). fn (may be NULL) for each key taken. CM_OK with *rep, or
 * a failure with the reason in err (cm_gpgme_keepuid.c). */
cm_stat cm_gpgme_keepuid_import(const cm_config *cfg, const char *home, const void *p, size_t n,
                                const char *addr, cm_imported_fn fn, void *arg,
                                cm_import_report *rep, char *err, size_t errlen);

/* cryptmilter-keys' changes to KeyringDir, made by gpg (cm_gpgme_edit.c);
 * fn hears of each key changed. CM_OK, or with the reason in err
 * CM_BAD_INPUT (what was given is at fault: nothing changed) or another
 * failure. */
/* Import the OpenPGP keys in p[0..n) (armored or binary). Secret keys are
 * refused unless gateway, which hands them to KeyringDir's gpg-agent. */
cm_stat cm_gpgme_import(const cm_config *cfg, const void *p, size_t n, int gateway,
                        cm_keychange_fn fn, void *arg, char *err, size_t errlen);
/* Delete the public keys what names (a fingerprint, or an address a user
 * ID has exactly); none at all if one is a GatewayKeys key. *removed set. */
cm_stat cm_gpgme_remove(const cm_config *cfg, const char *what, cm_keychange_fn fn, void *arg,
                        size_t *removed, char *err, size_t errlen);
/* Set or clear the key's disabled flag (gpg's ownertrust, in trustdb.gpg). */
cm_stat cm_gpgme_set_disabled(const cm_config *cfg, const char *fpr, int disabled,
                              cm_keychange_fn fn, void *arg, char *err, size_t errlen);

#endif
