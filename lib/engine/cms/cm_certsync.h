/* cm_certsync - a CertificateDir written from scratch for
 * cryptmilter-keysync: each certificate a directory gave (DER) is parsed
 * by OpenSSL, must name an email address (the daemon indexes by them), and
 * is written as one PEM file named by its SHA-256 fingerprint. */
#ifndef CM_CERTSYNC_H
#define CM_CERTSYNC_H

#include <stddef.h>

#include "cm_engine.h"

/* Write v[0..n) into dir (empty, made by the caller). rep->keys counts the
 * files written, rep->rejected what was not a certificate with an email
 * address (logged by origin). CM_OK, or CM_ERR_CERTS / CM_ERR_NOMEM with
 * the reason in err. */
cm_stat cm_certsync_write(const char *dir, const cm_keyblob *v, size_t n, cm_rebuild_report *rep,
                          char *err, size_t errlen);

#endif
