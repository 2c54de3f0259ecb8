/* cm_keystore - cryptmilter-keys' changes to the key stores (see the
 * header). */
#include "cm_keystore.h"
#include "cm_certedit.h"
#include "cm_gpgme.h"
#include "cm_gwimport.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

cm_keystore_kind cm_keystore_kind_of(const void *p, size_t n)
{
    const unsigned char *s = p;

    if (cm_certedit_pem_begins(p, n, ""))
        return cm_certedit_pem_begins(p, n, "PGP ") ? CM_KEYSTORE_OPENPGP : CM_KEYSTORE_X509;
    /* An OpenPGP packet header has bit 7 set; DER begins with a SEQUENCE
     * (0x30). */
    return n > 0 && (s[0] & 0x80) ? CM_KEYSTORE_OPENPGP : CM_KEYSTORE_X509;
}

cm_stat cm_keystore_import(const cm_config *cfg, const void *p, size_t n, int flags, uid_t uid,
                           gid_t gid, cm_keychange_fn fn, void *arg, char *err, size_t errlen)
{
    if (n == 0)
        return snprintf(err, errlen, "nothing to import"), CM_BAD_INPUT;
    if (cm_keystore_kind_of(p, n) == CM_KEYSTORE_OPENPGP) {
        if (!cm_config_has_keyring(cfg))
            return snprintf(err, errlen, "OpenPGP keys, but KeyringDir is none"), CM_ERR_CONFIG;
        return cm_gpgme_import(cfg, p, n, (flags & CM_KEYSTORE_GATEWAY) != 0, fn, arg, err,
                               errlen);
    }
    /* The gateway's own certificate and key: never into CertificateDir. */
    if (flags & CM_KEYSTORE_GATEWAY)
        return cm_gwimport(cfg, p, n, uid, gid, (int64_t) time(NULL), fn, arg, err, errlen);
    if (!cm_config_has_certs(cfg))
        return snprintf(err, errlen, "certificates, but CertificateDir is none"), CM_ERR_CONFIG;
    return cm_certedit_import(cfg->certificate_dir, p, n, fn, arg, err, errlen);
}

cm_stat cm_keystore_remove(const cm_config *cfg, const char *what, cm_keychange_fn fn, void *arg,
                           char *err, size_t errlen)
{
    size_t keys = 0, certs = 0;
    cm_stat st = CM_OK;

    if (cm_config_has_keyring(cfg))
        st = cm_gpgme_remove(cfg, what, fn, arg, &keys, err, errlen);
    /* A fingerprint of 40 hex digits is OpenPGP's; certificates have 64. */
    if (st == CM_OK && cm_config_has_certs(cfg)
        && (strchr(what, '@') != NULL || strlen(what) == 64))
        st = cm_certedit_remove(cfg->certificate_dir, what, fn, arg, &certs, err, errlen);
    if (st == CM_OK && keys + certs == 0)
        return snprintf(err, errlen, "%s: no key or certificate for it", what), CM_BAD_INPUT;
    return st;
}

cm_stat cm_keystore_set_disabled(const cm_config *cfg, const char *fpr, int disabled,
                                 cm_keychange_fn fn, void *arg, char *err, size_t errlen)
{
    if (!cm_config_has_keyring(cfg))
        return snprintf(err, errlen, "KeyringDir is none"), CM_ERR_CONFIG;
    return cm_gpgme_set_disabled(cfg, fpr, disabled, fn, arg, err, errlen);
}
