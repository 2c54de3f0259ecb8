/* cm_x509 - email addresses, times and fingerprints of certificates. */
#include "cm_x509.h"
#include "cm_hex.h"

#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509v3.h>

int cm_x509_time(const ASN1_TIME *t, int64_t *out)
{
    struct tm tm;

    if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1)
        return -1;
    *out = (int64_t) timegm(&tm);
    return 0;
}

static int one(int (*fn)(void *, const unsigned char *, int), void *arg, const ASN1_STRING *s)
{
    const unsigned char *p = ASN1_STRING_get0_data(s);
    int len = ASN1_STRING_length(s);

    if (p == NULL || len <= 0 || memchr(p, 0, (size_t) len) != NULL)
        return 0;
    return fn(arg, p, len);
}

int cm_x509_each_email(X509 *x, int (*fn)(void *arg, const unsigned char *addr, int len),
                       void *arg)
{
    int crit = 0, i, r = 0, any = 0;
    GENERAL_NAMES *san = X509_get_ext_d2i(x, NID_subject_alt_name, &crit, NULL);
    const X509_NAME *subj = X509_get_subject_name(x);

    /* Only a certificate without the extension (crit -1) falls back to the
     * subject: with more than one (-2) or one that does not parse (NULL
     * with crit >= 0), no address is taken from the subject behind its
     * back. */
    if (san == NULL && crit != -1)
        return 0;
    for (i = 0; san != NULL && r == 0 && i < sk_GENERAL_NAME_num(san); i++) {
        const GENERAL_NAME *g = sk_GENERAL_NAME_value(san, i);

        if (g->type == GEN_EMAIL) {
            any = 1;
            r = one(fn, arg, g->d.rfc822Name);
        }
    }
    GENERAL_NAMES_free(san);
    if (any || r != 0 || subj == NULL)
        return r;
    for (i = -1; r == 0 && (i = X509_NAME_get_index_by_NID(subj, NID_pkcs9_emailAddress, i)) >= 0;)
        r = one(fn, arg, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subj, i)));
    return r;
}

static int is_addr(void *arg, const unsigned char *p, int len)
{
    const char *addr = arg;

    return strlen(addr) == (size_t) len && strncasecmp(addr, (const char *) p, (size_t) len) == 0;
}

int cm_x509_has_email(X509 *x, const char *addr)
{
    return cm_x509_each_email(x, is_addr, (void *) addr);
}

int cm_x509_fpr(X509 *x, char out[CM_FPR_MAX + 1])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;

    if (X509_digest(x, EVP_sha256(), md, &n) != 1 || n * 2 > CM_FPR_MAX)
        return -1;
    cm_hex_encode(md, n, out);
    return 0;
}

int cm_x509_issuer_serial(X509 *x, char *out, size_t len)
{
    BIO *b = BIO_new(BIO_s_mem());
    BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
    char *hex = bn != NULL ? BN_bn2hex(bn) : NULL, *dn;
    long n;
    size_t i, o = 0;
    int rc = -1;

    if (b == NULL || hex == NULL
        || X509_NAME_print_ex(b, X509_get_issuer_name(x), 0, XN_FLAG_RFC2253) < 0
        || (n = BIO_get_mem_data(b, &dn)) < 0)
        goto out;
    for (i = 0; i < (size_t) n; i++) {
        const char *w = dn[i] == ' ' ? "\\20" : NULL;
        size_t k = w != NULL ? 3 : 1;

        if (o + k >= len)
            goto out;
        memcpy(out + o, w != NULL ? w : &dn[i], k);
        o += k;
    }
    if (snprintf(out + o, len - o, "/%s", hex) < (int) (len - o))
        rc = 0;
out:
    OPENSSL_free(hex);
    BN_free(bn);
    BIO_free(b);
    return rc;
}
