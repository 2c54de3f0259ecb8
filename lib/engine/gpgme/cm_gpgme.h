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

#endif
