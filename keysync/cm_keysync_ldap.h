/* cm_keysync_ldap - what cryptmilter-keysync reads from the directory: the
 * OpenPGP key blocks under GnuPG's key space (pgpKey / pgpKeyV2 of the
 * pgpKeyInfo entries under the pgpBaseKeySpaceDN that cn=pgpServerInfo
 * names) and, when CertificateDir is set, the S/MIME certificates
 * (userCertificate;binary) of the entries with a mail attribute under
 * KeySyncBase. A listing the server cut short is an error, never a smaller
 * keyring: keys missing from it would be deleted. */
#ifndef CM_KEYSYNC_LDAP_H
#define CM_KEYSYNC_LDAP_H

#include <stddef.h>

#include "cm_config.h"
#include "cm_engine.h"

typedef struct cm_keysync_set {
    cm_keyblob *v;          /* blobs; p and origin owned (heap) */
    size_t n;
    size_t skipped;         /* entries marked pgpRevoked or pgpDisabled */
    cm_keyblob *certs;      /* DER certificates, as v */
    size_t ncerts;
} cm_keysync_set;

/* Read cfg's directory (KeySyncURI, KeySyncBase, the bind) into *out. 0,
 * or -1 with the reason in err (out then empty). */
int cm_keysync_ldap_fetch(const cm_config *cfg, cm_keysync_set *out, char *err, size_t errlen);
void cm_keysync_ldap_free(cm_keysync_set *s);

/* Pure parts, unit-tested. The password: the first line of a password
 * file's text (buf, len bytes), without its line end, NUL-terminated in
 * place; -1 if it is empty or holds a NUL. */
int cm_keysync_ldap_password(char *buf, size_t len, size_t *pwlen);
/* Is an attribute value (pgpRevoked, pgpDisabled) a "yes"? "1" or "true". */
int cm_keysync_ldap_flag(const char *p, size_t n);

#endif
