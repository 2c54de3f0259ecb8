/* cm_archkeys - EncryptToSelf, the archive keys: what the configuration
 * alone says of them. Every encryption the gateway makes adds them as
 * recipients (cm_engcall_add_archive); an OpenPGP one is named by its
 * fingerprint, an S/MIME one by its certificate file (an absolute path).
 * Whether the keys are there and usable is the engines' to say, at `-n`
 * and with every message. */
#ifndef CM_ARCHKEYS_H
#define CM_ARCHKEYS_H

#include <stddef.h>

#include "cm_list.h"

/* Does the entry name an S/MIME certificate file (it holds a '/'), rather
 * than an OpenPGP key? */
int cm_archkeys_is_cert(const char *entry);

/* How many entries of EncryptToSelf are certificate files (certs 1) or
 * OpenPGP fingerprints (certs 0). */
size_t cm_archkeys_count(const cm_list *ets, int certs);

/* The rules EncryptToSelf (ets) must keep, at load and reload: every
 * entry is a fingerprint (40 or 64 hex digits) or an absolute path; none
 * is also a GatewayKeys key (the gateway decrypts with those: an archive
 * key must never be one); and, if there are any, there is one of each
 * class the gateway encrypts to: OpenPGP if pgp (KeyringDir is set), S/MIME
 * if smime (CertificateDir is). 0, or -1 with the reason and the fix in
 * err. */
int cm_archkeys_check(const cm_list *ets, const cm_list *gateway_keys, int pgp, int smime,
                      char *err, size_t errlen);

#endif
