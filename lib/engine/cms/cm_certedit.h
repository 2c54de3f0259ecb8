/* cm_certedit - cryptmilter-keys' changes to CertificateDir: a
 * certificate is added as one PEM file named by its SHA-256 fingerprint
 * (as cryptmilter-keysync writes them: cm_certsync), written aside as a
 * dot file (the loader skips those), synced and renamed into place, so the
 * daemon reads all of it or none; removed by unlinking its file. */
#ifndef CM_CERTEDIT_H
#define CM_CERTEDIT_H

#include <stddef.h>

#include <openssl/x509.h>

#include "cm_engine.h"

/* Does p[0..n) have a line that begins "-----BEGIN " and label (""
 * for any: PEM, not DER; "PGP " for OpenPGP armor)? */
int cm_certedit_pem_begins(const void *p, size_t n, const char *label);
/* Does it hold a PEM private key ("...PRIVATE KEY-----")? */
int cm_certedit_has_private_key(const void *p, size_t n);
/* Tell fn of x (its issuer/serial and addresses) as class cls with
 * change. 0, or -1 out of memory. */
int cm_certedit_report(X509 *x, const char *cls, const char *change, cm_keychange_fn fn,
                       void *arg);

/* Add the certificates p holds (PEM, any number, or one DER) to dir;
 * each must name an email address; one already there is "unchanged".
 * A private key is refused. CM_OK; CM_BAD_INPUT (nothing written) or
 * CM_ERR_CERTS / CM_ERR_NOMEM with the reason in err. */
cm_stat cm_certedit_import(const char *dir, const void *p, size_t n, cm_keychange_fn fn,
                           void *arg, char *err, size_t errlen);
/* Unlink the files of dir whose certificates all answer to what (an
 * address they name, or their SHA-256 fingerprint); a file where only some
 * do is refused (CM_BAD_INPUT). *removed counts the certificates. */
cm_stat cm_certedit_remove(const char *dir, const char *what, cm_keychange_fn fn, void *arg,
                           size_t *removed, char *err, size_t errlen);

#endif
