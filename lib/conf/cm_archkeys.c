/* cm_archkeys - EncryptToSelf as the configuration names it. */
#include "cm_archkeys.h"
#include "cm_hex.h"

#include <stdio.h>
#include <string.h>

int cm_archkeys_is_cert(const char *entry)
{
    return strchr(entry, '/') != NULL;
}

size_t cm_archkeys_count(const cm_list *ets, int certs)
{
    size_t i, n = 0;

    for (i = 0; i < ets->n; i++)
        if (cm_archkeys_is_cert(ets->v[i]) == (certs != 0))
            n++;
    return n;
}

int cm_archkeys_check(const cm_list *l, const cm_list *gateway_keys, int pgp, int smime,
                      char *err, size_t errlen)
{
    size_t i;

    if (l->n == 0)
        return 0;
    for (i = 0; i < l->n; i++) {
        const char *v = l->v[i];

        if (cm_archkeys_is_cert(v) ? v[0] != '/' : !cm_hex_is_fpr(v)) {
            snprintf(err, errlen, "\"%s\" is neither a fingerprint (40 or 64 hex digits) nor "
                     "the absolute path of a certificate file; fix: write the whole fingerprint "
                     "(gpg --with-colons --list-keys ADDRESS, the fpr line)", v);
            return -1;
        }
        if (!cm_archkeys_is_cert(v) && cm_list_has_ci(gateway_keys, v)) {
            snprintf(err, errlen, "%s is also in GatewayKeys: the gateway decrypts with those, "
                     "and an archive key must never decrypt at the gateway; fix: make the "
                     "archive key a key of its own, whose secret part the gateway never holds", v);
            return -1;
        }
    }
    if (pgp && cm_archkeys_count(l, 0) == 0) {
        snprintf(err, errlen, "no OpenPGP archive key, but KeyringDir is set: OpenPGP mail "
                 "would not reach the archive; fix: add the archive key's fingerprint, or set "
                 "KeyringDir none");
        return -1;
    }
    if (smime && cm_archkeys_count(l, 1) == 0) {
        snprintf(err, errlen, "no S/MIME archive certificate, but CertificateDir is set: "
                 "S/MIME mail would not reach the archive; fix: add the path of the archive "
                 "certificate (PEM), or set CertificateDir none");
        return -1;
    }
    return 0;
}
