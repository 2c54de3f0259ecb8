/* cm_cms - the S/MIME engine on OpenSSL's CMS (RFC 5652, RFC 8551).
 *
 * Inbound it encrypts to the recipients' certificates from CertificateDir:
 * EnvelopedData with AES-256-CBC (what every client reads), or
 * AuthEnvelopedData with AES-256-GCM (RFC 5083); RSA keys get PKCS#1 v1.5
 * key transport, or RSA-OAEP (SHA-256) with SMIMEKeyTransport oaep; EC keys
 * get ECDH key agreement. The content is streamed: CMS_STREAM writes BER
 * with indefinite lengths as it reads. Outbound (cm_cms_dec.c) it decrypts
 * what is enveloped to a GatewayCertificates certificate and checks CMS
 * signatures against TrustAnchors. */
#include "cm_cms.h"
#include "cm_cms_int.h"
#include "cm_log.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/rsa.h>

/* OpenSSL's reasons, for the log (they never hold message content). */
void cm_cms_log_ssl(const cm_msgctx *mc, const char *what)
{
    char buf[256];
    unsigned long e = ERR_get_error();

    if (e == 0) {
        cm_log_error("%s: %s failed", CM_QID(mc), what);
    } else {
        ERR_error_string_n(e, buf, sizeof(buf));
        cm_log_error("%s: %s failed: %s", CM_QID(mc), what, buf);
    }
    ERR_clear_error();
}

static cm_stat cms_create(cm_engine **out, char *err, size_t errlen)
{
    cm_engine *e = calloc(1, sizeof(*e));

    if (e == NULL || (e->certs = cm_certcache_new()) == NULL || (e->gw = cm_gwcache_new()) == NULL) {
        if (e != NULL)
            cm_certcache_free(e->certs);
        free(e);
        snprintf(err, errlen, "S/MIME engine: out of memory");
        return CM_ERR_NOMEM;
    }
    *out = e;
    return CM_OK;
}

static void cms_destroy(cm_engine *e)
{
    if (e == NULL)
        return;
    cm_certcache_free(e->certs);
    cm_gwcache_free(e->gw);
    free(e);
}

static cm_stat cms_session_new(cm_engine *e, const cm_msgctx *ctx, cm_engine_session **out)
{
    cm_engine_session *s = calloc(1, sizeof(*s));

    if (s == NULL || (s->rcpts = sk_X509_new_null()) == NULL
        || (s->signers = sk_X509_new_null()) == NULL || (s->archive = sk_X509_new_null()) == NULL) {
        if (s != NULL) {
            sk_X509_free(s->rcpts);
            sk_X509_free(s->signers);
        }
        free(s);
        return CM_ERR_NOMEM;
    }
    s->e = e;
    s->ctx = ctx;
    *out = s;
    return CM_OK;
}

static void cms_session_free(cm_engine_session *s)
{
    if (s == NULL)
        return;
    sk_X509_pop_free(s->rcpts, X509_free);
    sk_X509_pop_free(s->signers, X509_free);
    sk_X509_pop_free(s->archive, X509_free);
    cm_certs_put(s->certs);
    cm_gwcerts_put(s->gw);
    free(s);
}

static cm_stat cms_lookup(cm_engine_session *s, const char *addr, const cm_key **key)
{
    const cm_config *cfg = s->ctx->cfg;
    cm_stat st;

    *key = NULL;
    if (!cm_config_has_certs(cfg))
        return CM_OK;       /* a site without S/MIME */
    /* The configuration snapshot stands for its generation: a reload
     * (SIGHUP) reads the directory again. */
    if (s->certs == NULL
        && (st = cm_certcache_get(s->e->certs, cfg->certificate_dir, cfg->serial, &s->certs)) != CM_OK)
        return st;
    *key = (const cm_key *) cm_certs_find(s->certs, addr, (int64_t) time(NULL));
    return CM_OK;
}

static cm_stat cms_add_recipient(cm_engine_session *s, const cm_key *key)
{
    X509 *x = (X509 *) key;
    int i;

    for (i = 0; i < sk_X509_num(s->rcpts); i++)
        if (X509_cmp(sk_X509_value(s->rcpts, i), x) == 0)
            return CM_OK;
    if (X509_up_ref(x) != 1)
        return CM_ERR_NOMEM;
    if (sk_X509_push(s->rcpts, x) <= 0) {
        X509_free(x);
        return CM_ERR_NOMEM;
    }
    return CM_OK;
}

/* The certificate file id, read now: a file replaced since the last
 * message is read again, whatever CertificateDir's snapshot holds. */
static cm_stat cms_key_by_id(cm_engine_session *s, const char *id, int64_t now,
                             const cm_key **key, cm_keyinfo *info)
{
    X509 *x;
    cm_stat st = cm_certs_read_one(id, now, &x, info);

    *key = NULL;
    if (st != CM_OK || x == NULL)
        return st;
    if (sk_X509_push(s->archive, x) <= 0) {
        X509_free(x);
        return CM_ERR_NOMEM;
    }
    *key = (const cm_key *) x;
    return CM_OK;
}

static size_t cms_recipients(const cm_engine_session *s)
{
    return (size_t) sk_X509_num(s->rcpts);
}

/* A recipient for x: RSA-OAEP with SHA-256 when asked for, else the
 * default for the key (PKCS#1 v1.5 for RSA, ECDH for EC). */
static int add_cms_recipient(CMS_ContentInfo *cms, X509 *x, int oaep)
{
    int rsa = EVP_PKEY_get_base_id(X509_get0_pubkey(x)) == EVP_PKEY_RSA;
    CMS_RecipientInfo *ri = CMS_add1_recipient_cert(cms, x, oaep && rsa ? CMS_KEY_PARAM : 0);
    EVP_PKEY_CTX *pctx;

    if (ri == NULL)
        return -1;
    if (!(oaep && rsa))
        return 0;
    if ((pctx = CMS_RecipientInfo_get0_pkey_ctx(ri)) == NULL
        || EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_OAEP_PADDING) <= 0
        || EVP_PKEY_CTX_set_rsa_oaep_md(pctx, EVP_sha256()) <= 0
        || EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha256()) <= 0)
        return -1;
    return 0;
}

static cm_stat cms_encrypt(cm_engine_session *s, cm_reader *in, cm_writer *out)
{
    const cm_config *cfg = s->ctx->cfg;
    const int flags = CMS_BINARY | CMS_PARTIAL | CMS_STREAM;
    const EVP_CIPHER *cipher = cfg->smime_cipher == CM_SMIME_AES256_GCM ? EVP_aes_256_gcm()
                               : EVP_aes_256_cbc();
    CMS_ContentInfo *cms = NULL;
    BIO *bin = NULL, *bout = NULL;
    cm_engine_io io;
    cm_stat st = CM_OK;
    int i;

    if (sk_X509_num(s->rcpts) == 0)
        return CM_ERR_INTERNAL;
    cm_engine_io_init(&io, s->ctx, in, out);
    ERR_clear_error();
    /* CMS_BINARY: the entity is already canonical (CRLF), and must be
     * encrypted byte for byte. */
    if ((cms = CMS_encrypt_ex(NULL, NULL, cipher, flags, NULL, NULL)) == NULL) {
        cm_cms_log_ssl(s->ctx, "S/MIME: making the enveloped data");
        st = CM_ERR_ENCRYPT;
    }
    for (i = 0; st == CM_OK && i < sk_X509_num(s->rcpts); i++)
        if (add_cms_recipient(cms, sk_X509_value(s->rcpts, i),
                              cfg->smime_key_transport == CM_SMIME_KT_OAEP) < 0) {
            cm_cms_log_ssl(s->ctx, "S/MIME: adding a recipient");
            st = CM_ERR_ENCRYPT;
        }
    if (st == CM_OK && cm_cms_bios(&io, &bin, &bout) < 0)
        st = CM_ERR_NOMEM;
    if (st == CM_OK && i2d_CMS_bio_stream(bout, cms, bin, flags) != 1) {
        if ((st = cm_engine_io_status(&io, s->ctx, "S/MIME encryption")) == CM_OK) {
            cm_cms_log_ssl(s->ctx, "S/MIME encryption");
            st = CM_ERR_ENCRYPT;
        }
    }
    if (st == CM_OK)
        st = cm_engine_io_status(&io, s->ctx, "S/MIME encryption");
    ERR_clear_error();
    BIO_free(bin);
    BIO_free(bout);
    CMS_ContentInfo_free(cms);
    return st;
}

const cm_engine_ops cm_cms_engine = {
    .name = "openssl-cms",
    .key_class = CM_KEY_SMIME,
    .create = cms_create,
    .destroy = cms_destroy,
    .session_new = cms_session_new,
    .session_free = cms_session_free,
    .lookup = cms_lookup,
    .add_recipient = cms_add_recipient,
    .recipients = cms_recipients,
    .encrypt = cms_encrypt,
    .decrypt_verify = cm_cms_verify_opaque,
    .verify_detached = cm_cms_verify_detached,
    .key_has_addr = cm_cms_key_has_addr,
    .decrypt_gateway = cm_cms_decrypt_gateway,
    .key_by_id = cms_key_by_id,
};
