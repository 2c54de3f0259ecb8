/* cm_gwimport - the gateway's S/MIME identity into GatewayCertificates
 * (see the header). */
#include "cm_gwimport.h"
#include "cm_certedit.h"
#include "cm_certs.h"
#include "cm_file.h"
#include "cm_gwcerts.h"
#include "cm_x509.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/x509v3.h>

cm_gwpick cm_gwimport_pick(const cm_gwfile *files, size_t n, size_t *at)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (files[i] == CM_GWFILE_SAME || files[i] == CM_GWFILE_SHARED) {
            *at = i;
            return files[i] == CM_GWFILE_SAME ? CM_GWPICK_REPLACE : CM_GWPICK_SHARED;
        }
    for (i = 0; i < n; i++)
        if (files[i] == CM_GWFILE_MISSING) {
            *at = i;
            return CM_GWPICK_CREATE;
        }
    return CM_GWPICK_FULL;
}

/* The identity imported: a certificate and its key (references held). */
typedef struct ident {
    X509 *x;
    EVP_PKEY *k;
} ident;

static const char no_key[] = "no private key in it: --gateway imports the gateway's own "
                             "certificate with its private key (a recipient's certificate is "
                             "imported without --gateway)";

/* PEM: one private key and the one certificate of it (others, a CA chain,
 * are passed over: the gateway sends none). */
static cm_stat from_pem(const void *p, size_t n, ident *id, char *err, size_t errlen)
{
    STACK_OF(X509) *certs = sk_X509_new_null();
    cm_gwcerts_keys keys = {NULL, 0, 0};
    size_t nc = 0;
    int i, mine = 0;
    cm_stat st = CM_OK;

    if (certs == NULL)
        return snprintf(err, errlen, "out of memory"), CM_ERR_NOMEM;
    if (cm_gwcerts_read_pem("the", "input", p, n, certs, &nc, NULL, &keys, err, errlen) < 0)
        st = CM_BAD_INPUT;
    else if (keys.n == 0)
        st = (snprintf(err, errlen, "%s", no_key), CM_BAD_INPUT);
    else if (keys.n > 1)
        st = (snprintf(err, errlen, "%zu private keys in it: import one certificate with its key "
                       "at a time", keys.n), CM_BAD_INPUT);
    for (i = 0; st == CM_OK && i < sk_X509_num(certs); i++)
        if (X509_check_private_key(sk_X509_value(certs, i), keys.v[0]) == 1 && mine++ == 0)
            id->x = sk_X509_value(certs, i);
    ERR_clear_error();
    if (st == CM_OK && mine != 1)
        st = (snprintf(err, errlen, "%s", nc == 0 ? "no certificate in it, only a private key"
                       : mine == 0 ? "its private key is not the key of its certificate"
                       : "more than one certificate of its private key: give the one to use"),
              CM_BAD_INPUT);
    if (st == CM_OK && X509_up_ref(id->x) != 1)
        st = (snprintf(err, errlen, "out of memory"), CM_ERR_NOMEM);
    if (st == CM_OK) {
        id->k = keys.v[0];
        keys.v[0] = NULL;
        keys.n = 0;
    } else {
        id->x = NULL;
    }
    sk_X509_pop_free(certs, X509_free);
    cm_gwcerts_keys_free(&keys);
    return st;
}

/* PKCS#12 (DER) without a password. */
static cm_stat from_p12(const void *p, size_t n, ident *id, char *err, size_t errlen)
{
    const unsigned char *d = p;
    PKCS12 *p12 = n <= LONG_MAX ? d2i_PKCS12(NULL, &d, (long) n) : NULL;
    STACK_OF(X509) *ca = NULL;
    cm_stat st = CM_OK;

    if (p12 == NULL)
        st = (snprintf(err, errlen, "neither PEM nor PKCS#12: --gateway imports the gateway's "
                       "certificate with its private key"), CM_BAD_INPUT);
    else if (PKCS12_mac_present(p12) && PKCS12_verify_mac(p12, "", 0) != 1
             && PKCS12_verify_mac(p12, NULL, 0) != 1)
        st = (snprintf(err, errlen, "a PKCS#12 file with a password (there is no one to type it "
                       "to the daemon): convert it, openssl pkcs12 -in FILE -nodes -out "
                       "gateway.pem, import that and delete it"), CM_BAD_INPUT);
    else if (PKCS12_parse(p12, "", &id->k, &id->x, &ca) != 1)
        st = (snprintf(err, errlen, "the PKCS#12 file cannot be read: convert it, openssl pkcs12 "
                       "-in FILE -nodes -out gateway.pem, and import that"), CM_BAD_INPUT);
    else if (id->k == NULL)
        st = (snprintf(err, errlen, "%s", no_key), CM_BAD_INPUT);
    else if (id->x == NULL)
        st = (snprintf(err, errlen, "no certificate in it, only a private key"), CM_BAD_INPUT);
    else if (X509_check_private_key(id->x, id->k) != 1)
        st = (snprintf(err, errlen, "its private key is not the key of its certificate"),
              CM_BAD_INPUT);
    sk_X509_pop_free(ca, X509_free);
    PKCS12_free(p12);
    ERR_clear_error();
    return st;
}

/* Can the daemon decrypt what users encrypt to it, now? */
static cm_stat usable(const ident *id, int64_t now, char *err, size_t errlen)
{
    const char *why = cm_certs_unusable(id->x);
    int64_t na;

    if (why != NULL)
        return snprintf(err, errlen, "the certificate cannot be encrypted to: %s", why),
               CM_BAD_INPUT;
    if (cm_x509_time(X509_get0_notAfter(id->x), &na) < 0 || na <= now)
        return snprintf(err, errlen, "the certificate has expired"), CM_BAD_INPUT;
    return CM_OK;
}

/* What path holds, against x's public key. */
static cm_stat survey(const char *path, X509 *x, cm_gwfile *out, char *err, size_t errlen)
{
    STACK_OF(X509) *certs = sk_X509_new_null();
    cm_gwcerts_keys keys = {NULL, 0, 0};
    EVP_PKEY *pub = X509_get0_pubkey(x);
    size_t len, nc, i;
    struct stat sb;
    char *buf = NULL;
    int same = 0, other = 0, j;
    cm_stat st = CM_OK;

    if (certs == NULL || pub == NULL)
        st = (snprintf(err, errlen, "out of memory"), CM_ERR_NOMEM);
    else if ((buf = cm_gwcerts_read_file("GatewayCertificates", path, &len, &sb, err,
                                         errlen)) == NULL)
        st = errno == ENOENT ? (*out = CM_GWFILE_MISSING, CM_OK) : CM_ERR_CONFIG;
    else if (cm_gwcerts_read_pem("GatewayCertificates", path, buf, len, certs, &nc, NULL, &keys,
                                 err, errlen) < 0)
        st = CM_ERR_CONFIG;
    /* A CA certificate (a chain kept beside the identity) is no identity. */
    for (j = 0; st == CM_OK && buf != NULL && j < sk_X509_num(certs); j++) {
        X509 *c = sk_X509_value(certs, j);

        if (EVP_PKEY_eq(X509_get0_pubkey(c), pub) == 1)
            same = 1;
        else if (X509_check_ca(c) == 0)
            other = 1;
    }
    for (i = 0; st == CM_OK && buf != NULL && i < keys.n; i++) {
        if (X509_check_private_key(x, keys.v[i]) == 1)
            same = 1;
        else
            other = 1;
    }
    ERR_clear_error();
    if (st == CM_OK && buf != NULL)
        *out = same ? (other ? CM_GWFILE_SHARED : CM_GWFILE_SAME) : CM_GWFILE_OTHER;
    if (buf != NULL)
        OPENSSL_cleanse(buf, len);
    free(buf);
    sk_X509_pop_free(certs, X509_free);
    cm_gwcerts_keys_free(&keys);
    return st;
}

/* Which listed file, into path (a renewal's through its symbolic link, if
 * it is one). */
static cm_stat choose(const cm_config *cfg, X509 *x, char path[PATH_MAX], char *err,
                      size_t errlen)
{
    const cm_list *l = &cfg->gateway_certificates;
    cm_gwfile *held = calloc(l->n ? l->n : 1, sizeof(*held));
    size_t i, at = 0;
    cm_stat st = CM_OK;
    cm_gwpick pick;

    if (held == NULL)
        return snprintf(err, errlen, "out of memory"), CM_ERR_NOMEM;
    for (i = 0; st == CM_OK && i < l->n; i++)
        st = survey(l->v[i], x, &held[i], err, errlen);
    pick = cm_gwimport_pick(held, l->n, &at);
    free(held);
    if (st != CM_OK)
        return st;
    if (pick == CM_GWPICK_SHARED)
        return snprintf(err, errlen, "GatewayCertificates %s holds this key with another "
                        "identity: edit it by hand", l->v[at]), CM_ERR_GATEWAY_KEY;
    if (pick == CM_GWPICK_FULL)
        return snprintf(err, errlen, "every GatewayCertificates file holds another identity, "
                        "never overwritten: add a file that does not exist yet to "
                        "GatewayCertificates (e.g. %s.new) and import again", l->v[0]),
               CM_ERR_GATEWAY_KEY;
    if (pick == CM_GWPICK_REPLACE && realpath(l->v[at], path) != NULL)
        return CM_OK;
    if (pick == CM_GWPICK_REPLACE && errno != ENOENT)
        return snprintf(err, errlen, "GatewayCertificates %s: %s", l->v[at], strerror(errno)),
               CM_ERR_CONFIG;
    if ((size_t) snprintf(path, PATH_MAX, "%s", l->v[at]) >= PATH_MAX)
        return snprintf(err, errlen, "GatewayCertificates %s: path too long", l->v[at]),
               CM_ERR_CONFIG;
    return CM_OK;
}

/* The certificate, then its key (PKCS#8, unencrypted), as the loader reads
 * them. */
static int fill(FILE *fp, void *arg)
{
    const ident *id = arg;

    return PEM_write_X509(fp, id->x) == 1
           && PEM_write_PrivateKey(fp, id->k, NULL, NULL, 0, NULL, NULL) == 1 ? 0 : -1;
}

cm_stat cm_gwimport(const cm_config *cfg, const void *p, size_t n, uid_t uid, gid_t gid,
                    int64_t now, cm_keychange_fn fn, void *arg, char *err, size_t errlen)
{
    ident id = {NULL, NULL};
    char path[PATH_MAX], change[PATH_MAX + 16];
    cm_stat st;

    if (cfg->gateway_certificates.n == 0)
        return snprintf(err, errlen, "GatewayCertificates is not set: list the file the "
                        "gateway's certificate and key go to (e.g. "
                        "/etc/cryptmilter/gateway.pem) in the configuration"), CM_ERR_CONFIG;
    st = cm_certedit_pem_begins(p, n, "") ? from_pem(p, n, &id, err, errlen)
         : from_p12(p, n, &id, err, errlen);
    if (st == CM_OK)
        st = usable(&id, now, err, errlen);
    if (st == CM_OK)
        st = choose(cfg, id.x, path, err, errlen);
    if (st == CM_OK && cm_file_replace(path, 0600, uid, gid, fill, &id) < 0)
        st = (snprintf(err, errlen, "%s: %s", path, strerror(errno)), CM_ERR_CERTS);
    ERR_clear_error();
    if (st == CM_OK)
        snprintf(change, sizeof(change), "written %s", path);
    if (st == CM_OK && cm_certedit_report(id.x, "smime-gateway", change, fn, arg) < 0)
        st = (snprintf(err, errlen, "out of memory"), CM_ERR_NOMEM);
    X509_free(id.x);
    EVP_PKEY_free(id.k);
    return st;
}
