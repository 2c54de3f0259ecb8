/* cm_gwcerts - GatewayCertificates, TrustAnchors and their CRLs: load and
 * check (cm_gwcache keeps the current set). */
#include "cm_gwcerts.h"
#include "cm_crls.h"
#include "cm_file.h"
#include "cm_log.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/err.h>
#include <openssl/pem.h>

/* The largest PEM file read (a certificate chain with a key is a few KiB). */
#define GW_MAX_FILE (1024 * 1024)

struct cm_gwcerts {
    cm_snapshot_obj snap;       /* first: cm_gwcache hands out &g->snap */
    STACK_OF(X509) *certs;      /* gateway certificates, each with ... */
    EVP_PKEY **keys;            /* ... its key, same index */
    X509_STORE *anchors;        /* NULL: TrustAnchors not set; with the CRLs */
    size_t nanchors;
    STACK_OF(X509_NAME) *crl_issuers;   /* one per CRL in anchors */
    struct stat anchors_st, crls_st;    /* the files as read (zero: not set) */
};

void cm_gwcerts_put(cm_gwcerts *g)
{
    int i;

    if (g == NULL || !cm_snapshot_obj_drop(&g->snap))
        return;
    for (i = 0; g->keys != NULL && i < sk_X509_num(g->certs); i++)
        EVP_PKEY_free(g->keys[i]);
    free(g->keys);
    sk_X509_pop_free(g->certs, X509_free);
    X509_STORE_free(g->anchors);
    sk_X509_NAME_pop_free(g->crl_issuers, X509_NAME_free);
    free(g);
}

void cm_gwcerts_stamp(const cm_gwcerts *g, cm_snapshot_stamp *stamp)
{
    cm_snapshot_file_of(&g->anchors_st, &stamp->file[0]);
    cm_snapshot_file_of(&g->crls_st, &stamp->file[1]);
}

size_t cm_gwcerts_count(const cm_gwcerts *g)
{
    return (size_t) sk_X509_num(g->certs);
}

X509 *cm_gwcerts_cert(const cm_gwcerts *g, size_t i)
{
    return sk_X509_value(g->certs, (int) i);
}

EVP_PKEY *cm_gwcerts_key(const cm_gwcerts *g, size_t i)
{
    return g->keys[i];
}

X509_STORE *cm_gwcerts_anchors(const cm_gwcerts *g)
{
    return g->anchors;
}

size_t cm_gwcerts_nanchors(const cm_gwcerts *g)
{
    return g->nanchors;
}

STACK_OF(X509_NAME) *cm_gwcerts_crl_issuers(const cm_gwcerts *g)
{
    return g->crl_issuers;
}

size_t cm_gwcerts_ncrls(const cm_gwcerts *g)
{
    return g->crl_issuers != NULL ? (size_t) sk_X509_NAME_num(g->crl_issuers) : 0;
}

static int keyvec_push(cm_gwcerts_keys *kv, EVP_PKEY *k)
{
    if (kv->n == kv->cap) {
        size_t cap = kv->cap ? kv->cap * 2 : 4;
        EVP_PKEY **v;

        if (cap > SIZE_MAX / sizeof(*v) || (v = realloc(kv->v, cap * sizeof(*v))) == NULL)
            return -1;
        kv->v = v;
        kv->cap = cap;
    }
    kv->v[kv->n++] = k;
    return 0;
}

void cm_gwcerts_keys_free(cm_gwcerts_keys *kv)
{
    size_t i;

    for (i = 0; i < kv->n; i++)
        EVP_PKEY_free(kv->v[i]);
    free(kv->v);
}

/* No passphrase is ever given: an encrypted key fails to load. */
static int no_pass(char *buf, int size, int rw, void *u)
{
    (void) buf;
    (void) size;
    (void) rw;
    (void) u;
    return -1;
}

/* Did the last PEM read stop at the end of the file (no further PEM
 * block), rather than at something that does not parse? */
static int pem_at_end(void)
{
    unsigned long e = ERR_peek_last_error();

    ERR_clear_error();
    return e == 0 || (ERR_GET_LIB(e) == ERR_LIB_PEM && ERR_GET_REASON(e) == PEM_R_NO_START_LINE);
}

char *cm_gwcerts_read_file(const char *key, const char *path, size_t *len, struct stat *st,
                           char *err, size_t errlen)
{
    char *buf;
    int r = cm_file_read(path, GW_MAX_FILE, &buf, len, st), e = errno;

    if (r == 0)
        return buf;
    snprintf(err, errlen, "%s %s: %s", key, path, r == -2 ? "not a regular file"
             : e == EFBIG ? "larger than 1 MiB"
             : e == EIO ? "read error, or changed while being read" : strerror(e));
    errno = r == -2 ? EINVAL : e;
    return NULL;
}

/* A private key from one PEM block (any of its formats). NULL if it
 * cannot be read. */
static EVP_PKEY *pem_key(const char *name, const char *hdr, const unsigned char *data, long len)
{
    BIO *one = BIO_new(BIO_s_secmem());
    EVP_PKEY *k = NULL;

    if (one != NULL && PEM_write_bio(one, name, hdr, data, len) > 0)
        k = PEM_read_bio_PrivateKey(one, NULL, no_pass, NULL);
    BIO_free(one);
    return k;
}

static int ends_with(const char *s, const char *tail)
{
    size_t n = strlen(s), t = strlen(tail);

    return n >= t && strcmp(s + n - t, tail) == 0;
}

int cm_gwcerts_read_pem(const char *key, const char *path, const char *buf, size_t len,
                        STACK_OF(X509) *certs, size_t *ncerts, STACK_OF(X509_CRL) *crls,
                        cm_gwcerts_keys *keys, char *err, size_t errlen)
{
    BIO *b = len <= INT_MAX ? BIO_new_mem_buf(buf, (int) len) : NULL;
    int r = 0;

    *ncerts = 0;
    if (b == NULL) {
        snprintf(err, errlen, "%s %s: out of memory", key, path);
        return -1;
    }
    ERR_clear_error();
    while (r == 0) {
        char *name = NULL, *hdr = NULL;
        unsigned char *data = NULL;
        const unsigned char *p;
        long n = 0;
        X509 *x;
        X509_CRL *crl;
        EVP_PKEY *k;

        if (PEM_read_bio(b, &name, &hdr, &data, &n) != 1) {
            if (!pem_at_end()) {
                snprintf(err, errlen, "%s %s: not a PEM file, or a PEM block is damaged", key, path);
                r = -1;
            }
            break;
        }
        p = data;
        if (certs != NULL
            && (strcmp(name, PEM_STRING_X509) == 0 || strcmp(name, PEM_STRING_X509_OLD) == 0)) {
            if ((x = d2i_X509(NULL, &p, n)) == NULL) {
                snprintf(err, errlen, "%s %s: a certificate cannot be parsed", key, path);
                r = -1;
            } else if (sk_X509_push(certs, x) <= 0) {
                X509_free(x);
                snprintf(err, errlen, "%s %s: out of memory", key, path);
                r = -1;
            } else {
                (*ncerts)++;
            }
        } else if (crls != NULL && strcmp(name, PEM_STRING_X509_CRL) == 0) {
            if ((crl = d2i_X509_CRL(NULL, &p, n)) == NULL) {
                snprintf(err, errlen, "%s %s: a CRL cannot be parsed", key, path);
                r = -2;
            } else if (sk_X509_CRL_push(crls, crl) <= 0) {
                X509_CRL_free(crl);
                snprintf(err, errlen, "%s %s: out of memory", key, path);
                r = -1;
            }
        } else if (keys != NULL && ends_with(name, "PRIVATE KEY")) {
            if (strstr(name, "ENCRYPTED") != NULL || strstr(hdr, "ENCRYPTED") != NULL) {
                snprintf(err, errlen, "%s %s: an encrypted private key is not supported (there "
                         "is no one to type its passphrase): store it unencrypted, mode 0600",
                         key, path);
                r = -1;
            } else if ((k = pem_key(name, hdr, data, n)) == NULL) {
                snprintf(err, errlen, "%s %s: a private key cannot be read", key, path);
                r = -1;
            } else if (keyvec_push(keys, k) < 0) {
                EVP_PKEY_free(k);
                snprintf(err, errlen, "%s %s: out of memory", key, path);
                r = -1;
            }
        }
        OPENSSL_free(name);
        OPENSSL_free(hdr);
        OPENSSL_clear_free(data, (size_t) n);
    }
    BIO_free(b);
    ERR_clear_error();
    return r;
}

/* One GatewayCertificates file: its certificates and keys. A file with a
 * key that others may access is refused, whatever else it holds. */
static int load_gateway_file(const char *path, STACK_OF(X509) *certs, cm_gwcerts_keys *keys,
                             char *err, size_t errlen)
{
    size_t len, ncerts, nkeys = keys->n;
    struct stat st;
    char *buf = cm_gwcerts_read_file("GatewayCertificates", path, &len, &st, err, errlen);
    int r;

    if (buf == NULL)
        return -1;
    r = cm_gwcerts_read_pem("GatewayCertificates", path, buf, len, certs, &ncerts, NULL, keys,
                            err, errlen);
    OPENSSL_cleanse(buf, len);
    free(buf);
    if (r == 0 && keys->n > nkeys && (st.st_mode & S_IRWXO) != 0) {
        snprintf(err, errlen, "GatewayCertificates %s holds a private key and others may "
                 "access it (mode %04o): chmod o-rwx it", path, (unsigned) (st.st_mode & 07777));
        return -1;
    }
    if (r == 0 && ncerts == 0 && keys->n == nkeys) {
        snprintf(err, errlen, "GatewayCertificates %s: no PEM certificate or private key", path);
        return -1;
    }
    return r;
}

/* Pair each key with its certificate. 0, or -1 with err. */
static int pair(cm_gwcerts *g, STACK_OF(X509) *all, cm_gwcerts_keys *keys, char *err,
                size_t errlen)
{
    size_t k, nk = keys->n;
    int c;

    if ((g->keys = calloc((size_t) nk + 1, sizeof(*g->keys))) == NULL) {
        snprintf(err, errlen, "GatewayCertificates: out of memory");
        return -1;
    }
    for (k = 0; k < nk; k++) {
        EVP_PKEY *key = keys->v[k];
        X509 *x = NULL;

        for (c = 0; x == NULL && c < sk_X509_num(all); c++)
            if (X509_check_private_key(sk_X509_value(all, c), key) == 1)
                x = sk_X509_value(all, c);
        ERR_clear_error();
        if (x == NULL) {
            snprintf(err, errlen, "GatewayCertificates: private key %zu of %zu has no "
                     "certificate in the files listed", k + 1, nk);
            return -1;
        }
        if (X509_up_ref(x) != 1) {
            snprintf(err, errlen, "GatewayCertificates: out of memory");
            return -1;
        }
        if (sk_X509_push(g->certs, x) <= 0) {
            X509_free(x);
            snprintf(err, errlen, "GatewayCertificates: out of memory");
            return -1;
        }
        if (EVP_PKEY_up_ref(key) != 1) {     /* keys[k] stays NULL: freed as such */
            snprintf(err, errlen, "GatewayCertificates: out of memory");
            return -1;
        }
        g->keys[k] = key;
    }
    return 0;
}

/* TrustAnchors: its certificates into g->anchors, with the CRLs the
 * bundle holds. 0, or with err -1, or -2 if a CRL is at fault. */
static int load_anchors(cm_gwcerts *g, const char *path, char *err, size_t errlen)
{
    STACK_OF(X509) *certs = sk_X509_new_null();
    STACK_OF(X509_CRL) *crls = sk_X509_CRL_new_null();
    size_t len, n = 0;
    char *buf = NULL;
    int i, r = -1;

    if (certs == NULL || crls == NULL || (g->anchors = X509_STORE_new()) == NULL)
        snprintf(err, errlen, "TrustAnchors: out of memory");
    else if ((buf = cm_gwcerts_read_file("TrustAnchors", path, &len, &g->anchors_st, err,
                                         errlen)) == NULL)
        ;
    else if ((r = cm_gwcerts_read_pem("TrustAnchors", path, buf, len, certs, &n, crls, NULL, err,
                           errlen)) < 0)
        ;
    else if (n == 0) {
        snprintf(err, errlen, "TrustAnchors %s: no PEM certificate", path);
        r = -1;
    }
    for (i = 0; r == 0 && i < sk_X509_num(certs); i++)
        if (X509_STORE_add_cert(g->anchors, sk_X509_value(certs, i)) != 1) {
            snprintf(err, errlen, "TrustAnchors %s: a certificate cannot be added", path);
            r = -1;
        }
    if (r == 0 && cm_crls_add(g->anchors, crls, g->crl_issuers, "TrustAnchors", path, err,
                              errlen) < 0)
        r = -2;
    ERR_clear_error();
    g->nanchors = n;
    free(buf);
    sk_X509_pop_free(certs, X509_free);
    sk_X509_CRL_pop_free(crls, X509_CRL_free);
    return r;
}

/* TrustCRLs: its CRLs into g->anchors (certificates in it are passed
 * over: trust comes from TrustAnchors alone). 0, or -1 with err. */
static int load_crls(cm_gwcerts *g, const char *path, char *err, size_t errlen)
{
    STACK_OF(X509_CRL) *crls = sk_X509_CRL_new_null();
    size_t len, n = 0;
    char *buf = NULL;
    int r = -1;

    if (crls == NULL)
        snprintf(err, errlen, "TrustCRLs: out of memory");
    else if ((buf = cm_gwcerts_read_file("TrustCRLs", path, &len, &g->crls_st, err,
                                         errlen)) == NULL)
        ;
    else if (cm_gwcerts_read_pem("TrustCRLs", path, buf, len, NULL, &n, crls, NULL, err,
                                 errlen) < 0)
        ;
    else if (sk_X509_CRL_num(crls) == 0)
        snprintf(err, errlen, "TrustCRLs %s: no PEM CRL", path);
    else if (cm_crls_add(g->anchors, crls, g->crl_issuers, "TrustCRLs", path, err, errlen) == 0)
        r = 0;
    ERR_clear_error();
    free(buf);
    sk_X509_CRL_pop_free(crls, X509_CRL_free);
    return r;
}

/* The trust anchors and their CRLs. CM_OK, or the failure with err. */
static cm_stat load_trust(cm_gwcerts *g, const cm_config *cfg, char *err, size_t errlen)
{
    int r;

    if (!cfg->trust_anchors[0]) {
        if (!cfg->trust_crls[0])
            return CM_OK;
        snprintf(err, errlen, "TrustCRLs %s without TrustAnchors: no CA to check "
                 "revocation for", cfg->trust_crls);
        return CM_ERR_CRL;
    }
    if ((g->crl_issuers = sk_X509_NAME_new_null()) == NULL) {
        snprintf(err, errlen, "TrustAnchors: out of memory");
        return CM_ERR_GATEWAY_KEY;
    }
    if ((r = load_anchors(g, cfg->trust_anchors, err, errlen)) < 0)
        return r == -2 ? CM_ERR_CRL : CM_ERR_GATEWAY_KEY;
    if (cfg->trust_crls[0] && load_crls(g, cfg->trust_crls, err, errlen) < 0)
        return CM_ERR_CRL;
    return CM_OK;
}

cm_stat cm_gwcerts_load(const cm_config *cfg, cm_gwcerts **out, char *err, size_t errlen)
{
    cm_gwcerts *g = calloc(1, sizeof(*g));
    STACK_OF(X509) *all = sk_X509_new_null();
    cm_gwcerts_keys keys = {NULL, 0, 0};
    size_t i;
    cm_stat st = CM_OK;
    int r = 0;

    *out = NULL;
    err[0] = 0;
    if (g == NULL || all == NULL || (g->certs = sk_X509_new_null()) == NULL) {
        snprintf(err, errlen, "GatewayCertificates: out of memory");
        r = -1;
    }
    if (g != NULL)
        cm_snapshot_obj_init(&g->snap);
    for (i = 0; r == 0 && i < cfg->gateway_certificates.n; i++)
        r = load_gateway_file(cfg->gateway_certificates.v[i], all, &keys, err, errlen);
    if (r == 0 && cfg->gateway_certificates.n > 0 && keys.n == 0) {
        snprintf(err, errlen, "GatewayCertificates: no private key in the files listed");
        r = -1;
    }
    if (r == 0)
        r = pair(g, all, &keys, err, errlen);
    if (r < 0)
        st = CM_ERR_GATEWAY_KEY;
    else
        st = load_trust(g, cfg, err, errlen);
    sk_X509_pop_free(all, X509_free);
    cm_gwcerts_keys_free(&keys);
    ERR_clear_error();
    if (st != CM_OK) {
        cm_gwcerts_put(g);
        return st;
    }
    *out = g;
    return CM_OK;
}
