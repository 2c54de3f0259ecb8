/* cm_keys_disc - cryptmilter-keys --discovered: list, remove, disable and
 * enable over KeyDiscoveryDir, the keyring KeyDiscovery wkd imports into
 * (docs/keys.md, "Discovery"). */
#ifndef CM_KEYS_DISC_H
#define CM_KEYS_DISC_H

#include "cm_config.h"

/* *out: a copy of cfg (sharing its strings; never freed) whose KeyringDir
 * is KeyDiscoveryDir, with no CertificateDir and no EncryptToSelf: the
 * discovered keyring holds OpenPGP public keys only. EX_OK, or EX_CONFIG
 * (one line on stderr) when KeyDiscovery is none or KeyDiscoveryDir is
 * not a directory. */
int cm_keys_disc_config(const cm_config *cfg, cm_config *out);

/* remove over the discovered keyring (dcfg from cm_keys_disc_config), then
 * each removed key's addresses recorded in KeyDiscoveryCache as a miss, so
 * that the daemon does not fetch the key straight back: it asks the
 * directory again after the miss's hour. The exit code: as remove's, or
 * EX_TEMPFAIL when the keys were removed but the cache could not be
 * written (said on stderr). */
int cm_keys_disc_remove(const cm_config *dcfg, const char *what);

#endif
