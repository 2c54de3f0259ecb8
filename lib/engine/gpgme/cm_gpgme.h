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

#endif
