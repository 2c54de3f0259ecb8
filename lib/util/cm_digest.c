/* cm_digest - SHA-256 over bytes that come in pieces (OpenSSL EVP). */
#include "cm_digest.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

struct cm_digest {
    EVP_MD_CTX *ctx;
    int bad;
};

cm_digest *cm_digest_new(void)
{
    cm_digest *d = calloc(1, sizeof(*d));

    if (d == NULL)
        return NULL;
    if ((d->ctx = EVP_MD_CTX_new()) == NULL || EVP_DigestInit_ex(d->ctx, EVP_sha256(), NULL) != 1) {
        cm_digest_free(d);
        return NULL;
    }
    return d;
}

void cm_digest_free(cm_digest *d)
{
    if (d == NULL)
        return;
    EVP_MD_CTX_free(d->ctx);
    free(d);
}

int cm_digest_update(cm_digest *d, const void *p, size_t n)
{
    if (d->bad || (n > 0 && EVP_DigestUpdate(d->ctx, p, n) != 1))
        d->bad = 1;
    return d->bad ? -1 : 0;
}

int cm_digest_final(cm_digest *d, unsigned char out[CM_DIGEST_LEN])
{
    unsigned int len = 0;

    if (d->bad || EVP_DigestFinal_ex(d->ctx, out, &len) != 1 || len != CM_DIGEST_LEN) {
        d->bad = 1;
        return -1;
    }
    return 0;
}

int cm_digest_once(const void *p, size_t n, unsigned char out[CM_DIGEST_LEN])
{
    cm_digest *d = cm_digest_new();
    int r;

    if (d == NULL)
        return -1;
    r = cm_digest_update(d, p, n) == 0 && cm_digest_final(d, out) == 0 ? 0 : -1;
    cm_digest_free(d);
    return r;
}

int cm_digest_legacy_is(int sha1, const void *p, size_t n, const unsigned char *want, size_t wlen)
{
    unsigned char d[EVP_MAX_MD_SIZE];
    unsigned int dl = 0;

    return EVP_Digest(p, n, d, &dl, sha1 ? EVP_sha1() : EVP_md5(), NULL) == 1 && dl == wlen
           && memcmp(d, want, wlen) == 0;
}

int cm_digest_sha1(const void *p, size_t n, unsigned char out[20])
{
    unsigned int dl = 0;

    return EVP_Digest(p, n, out, &dl, EVP_sha1(), NULL) == 1 && dl == 20 ? 0 : -1;
}

int cm_digest_init(void)
{
    return OPENSSL_init_crypto(OPENSSL_INIT_LOAD_CONFIG, NULL) == 1 ? 0 : -1;
}

void cm_digest_thread_done(void)
{
    OPENSSL_thread_stop();
}
