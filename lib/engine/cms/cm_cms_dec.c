/* cm_cms_dec - the S/MIME engine's outbound side (SPEC §4).
 *
 * Decryption: only what is enveloped to a GatewayCertificates certificate,
 * found by the RecipientInfos' identifiers before any key is used, and
 * then decrypted with that certificate's key alone (never "try every
 * key"). Users' certificates are never used to decrypt.
 *
 * Signatures: each SignerInfo's certificate must be in the SignedData,
 * chain to TrustAnchors for S/MIME signing (X509_PURPOSE_SMIME_SIGN, at
 * the current time), and carry a signingTime; CMS_verify then checks the
 * signatures and the content digests. What the cryptography says goes
 * into cm_sigs; whether that is good enough is cm_gate's call. Revocation
 * is checked with the CRLs given with TrustAnchors (cm_crls); there is no
 * OCSP. */
#include "cm_cms_int.h"
#include "cm_crls.h"
#include "cm_log.h"
#include "cm_sigs.h"
#include "cm_x509.h"

#include <string.h>

#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/evp.h>

/* The largest detached signature decoded (a SignedData with a chain of a
 * few certificates is a few KiB). */
#define CMS_MAX_SIG (1024 * 1024)

/* Failures the message is to blame for: a notice with OpenSSL's reason. */
static void log_msg_ssl(const cm_msgctx *mc, const char *what)
{
    char buf[256] = "";
    unsigned long e = ERR_get_error();

    if (e != 0)
        ERR_error_string_n(e, buf, sizeof(buf));
    cm_log_notice("%s: %s%s%s", CM_QID(mc), what, e ? ": " : "", buf);
    ERR_clear_error();
}

/* Did OpenSSL fail for want of memory? The first error it queued is the
 * cause; what follows is each caller's "nested error". Such a failure is
 * ours (4xx), never a verdict on the message. Logged and cleared. */
static int ssl_nomem(const cm_msgctx *mc, const char *what)
{
    if (ERR_GET_REASON(ERR_peek_error()) != ERR_R_MALLOC_FAILURE)
        return 0;
    cm_log_error("%s: %s: out of memory", CM_QID(mc), what);
    ERR_clear_error();
    return 1;
}

static cm_stat session_gw(cm_engine_session *s)
{
    if (s->gw != NULL)
        return CM_OK;
    return cm_gwcache_get(s->e->gw, s->ctx->cfg, &s->gw);
}

/* Is ri for cert? */
static int ri_for(CMS_RecipientInfo *ri, X509 *cert)
{
    STACK_OF(CMS_RecipientEncryptedKey) *reks;
    int i;

    switch (CMS_RecipientInfo_type(ri)) {
    case CMS_RECIPINFO_TRANS:
        return CMS_RecipientInfo_ktri_cert_cmp(ri, cert) == 0;
    case CMS_RECIPINFO_AGREE:
        if ((reks = CMS_RecipientInfo_kari_get0_reks(ri)) == NULL)
            return 0;
        for (i = 0; i < sk_CMS_RecipientEncryptedKey_num(reks); i++)
            if (CMS_RecipientEncryptedKey_cert_cmp(sk_CMS_RecipientEncryptedKey_value(reks, i),
                                                   cert) == 0)
                return 1;
        return 0;
    default:
        return 0;
    }
}

/* The gateway certificate cms is enveloped to, or -1. */
static int gateway_recipient(const cm_gwcerts *gw, CMS_ContentInfo *cms)
{
    STACK_OF(CMS_RecipientInfo) *ris = CMS_get0_RecipientInfos(cms);
    size_t g;
    int i;

    for (g = 0; ris != NULL && g < cm_gwcerts_count(gw); g++)
        for (i = 0; i < sk_CMS_RecipientInfo_num(ris); i++)
            if (ri_for(sk_CMS_RecipientInfo_value(ris, i), cm_gwcerts_cert(gw, g)))
                return (int) g;
    ERR_clear_error();
    return -1;
}

cm_stat cm_cms_decrypt_gateway(cm_engine_session *s, cm_reader *in, cm_writer *out, int *ours,
                               int *authenticated)
{
    const char *qid = CM_QID(s->ctx);
    CMS_ContentInfo *cms = NULL;
    BIO *bin = NULL, *bout = NULL;
    cm_engine_io io;
    cm_stat st;
    int g = -1, nid = NID_undef;

    *ours = *authenticated = 0;
    if ((st = session_gw(s)) != CM_OK || cm_gwcerts_count(s->gw) == 0)
        return st;
    cm_engine_io_init(&io, s->ctx, in, out);
    ERR_clear_error();
    if (cm_cms_bios(&io, &bin, &bout) < 0) {
        st = CM_ERR_NOMEM;
        goto out;
    }
    if ((cms = d2i_CMS_bio(bin, NULL)) == NULL) {
        if ((st = cm_engine_io_status(&io, s->ctx, "S/MIME decryption")) != CM_OK)
            ;
        else if (ssl_nomem(s->ctx, "S/MIME ciphertext"))
            st = CM_ERR_NOMEM;
        else
            log_msg_ssl(s->ctx, "S/MIME ciphertext cannot be parsed: passed as it is");
        goto out;
    }
    nid = OBJ_obj2nid(CMS_get0_type(cms));
    if ((nid == NID_pkcs7_enveloped || nid == NID_id_smime_ct_authEnvelopedData)
        && (g = gateway_recipient(s->gw, cms)) >= 0) {
        *ours = 1;
        *authenticated = nid == NID_id_smime_ct_authEnvelopedData;
    } else {
        cm_log_info("%s: S/MIME ciphertext is not for a gateway certificate: passed as it is", qid);
        goto out;
    }
    /* With the certificate given, OpenSSL uses that recipient's key only,
     * and a failure is reported (not hidden behind a random key). */
    if (CMS_decrypt(cms, cm_gwcerts_key(s->gw, (size_t) g), cm_gwcerts_cert(s->gw, (size_t) g),
                    NULL, bout, CMS_BINARY) != 1) {
        if ((st = cm_engine_io_status(&io, s->ctx, "S/MIME decryption")) != CM_OK)
            ;
        else if (ssl_nomem(s->ctx, "S/MIME decryption")) {
            st = CM_ERR_NOMEM;
        } else {
            log_msg_ssl(s->ctx, "S/MIME decryption failed");
            st = CM_DECRYPT_FAILED;
        }
    } else {
        st = cm_engine_io_status(&io, s->ctx, "S/MIME decryption");
    }
out:
    ERR_clear_error();
    CMS_ContentInfo_free(cms);
    BIO_free(bin);
    BIO_free(bout);
    return st;
}

/* The signingTime of si, or -1 if it has none (or more than one). */
static int64_t signing_time(CMS_SignerInfo *si)
{
    int i = CMS_signed_get_attr_by_NID(si, NID_pkcs9_signingTime, -1);
    X509_ATTRIBUTE *a;
    ASN1_TYPE *t;
    int64_t v;

    if (i < 0 || CMS_signed_get_attr_by_NID(si, NID_pkcs9_signingTime, i) >= 0
        || (a = CMS_signed_get_attr(si, i)) == NULL || X509_ATTRIBUTE_count(a) != 1
        || (t = X509_ATTRIBUTE_get0_type(a, 0)) == NULL
        || (t->type != V_ASN1_UTCTIME && t->type != V_ASN1_GENERALIZEDTIME)
        || cm_x509_time(t->value.asn1_string, &v) < 0)
        return -1;
    return v;
}

/* Does x chain to TrustAnchors for S/MIME signing, now, unrevoked? Sets
 * sg's status (CM_SIG_GOOD, or why not, in the sender's words in
 * sg->note). 0; -1 out of memory; -2 a CRL cannot be used (the gateway's
 * failure). */
static int check_chain(cm_engine_session *s, X509 *x, STACK_OF(X509) *untrusted, cm_sig *sg)
{
    X509_STORE *store = cm_gwcerts_anchors(s->gw);
    X509_STORE_CTX *ctx;
    cm_crls_check chk;
    int e, r;

    if (store == NULL) {
        sg->status = CM_SIG_NOKEY;
        snprintf(sg->note, sizeof(sg->note), "no S/MIME signer is trusted: the gateway has no "
                 "TrustAnchors");
        return 0;
    }
    if ((ctx = X509_STORE_CTX_new()) == NULL || X509_STORE_CTX_init(ctx, store, x, untrusted) != 1
        || X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_SMIME_SIGN) != 1) {
        X509_STORE_CTX_free(ctx);
        if (ctx == NULL || ssl_nomem(s->ctx, "S/MIME certificate check"))
            return -1;
        sg->status = CM_SIG_ERROR;
        snprintf(sg->note, sizeof(sg->note), "the certificate cannot be checked");
        ERR_clear_error();
        return 0;
    }
    if (cm_crls_arm(ctx, &chk, cm_gwcerts_crl_issuers(s->gw)) < 0) {
        X509_STORE_CTX_free(ctx);
        cm_log_error("%s: S/MIME certificate check: out of memory", CM_QID(s->ctx));
        ERR_clear_error();
        return -1;
    }
    r = X509_verify_cert(ctx);
    e = r == 1 ? X509_V_OK : X509_STORE_CTX_get_error(ctx);
    /* Below 0, or "unspecified": OpenSSL failed in itself (an allocation
     * that raised no error, seen in tests), not the certificate. */
    if (r < 0 || e == X509_V_ERR_OUT_OF_MEM || e == X509_V_ERR_UNSPECIFIED) {
        cm_log_error("%s: S/MIME certificate check: OpenSSL failed (%s)", CM_QID(s->ctx),
                     X509_verify_cert_error_string(e));
        X509_STORE_CTX_free(ctx);
        ERR_clear_error();
        return -1;
    }
    if (e != X509_V_OK && ssl_nomem(s->ctx, "S/MIME certificate check")) {
        X509_STORE_CTX_free(ctx);
        return -1;
    }
    X509_STORE_CTX_free(ctx);
    ERR_clear_error();
    if (cm_crls_failed(e)) {
        cm_log_error("%s: S/MIME certificate check: the CRL of %s cannot be used (%s): "
                     "answered 4xx until it is replaced", CM_QID(s->ctx),
                     chk.crl_ca[0] ? chk.crl_ca : "the signer's CA",
                     X509_verify_cert_error_string(e));
        return -2;
    }
    switch (e) {
    case X509_V_OK:
        sg->status = CM_SIG_GOOD;
        return 0;
    case X509_V_ERR_CERT_HAS_EXPIRED:
        sg->status = CM_SIG_KEY_EXPIRED;
        snprintf(sg->note, sizeof(sg->note), "your certificate has expired");
        return 0;
    case X509_V_ERR_CERT_REVOKED:
        sg->status = CM_SIG_KEY_REVOKED;
        snprintf(sg->note, sizeof(sg->note), "%s",
                 chk.revoked[0] ? chk.revoked : "your certificate is revoked");
        return 0;
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
    case X509_V_ERR_CERT_UNTRUSTED:
        sg->status = CM_SIG_NOKEY;
        snprintf(sg->note, sizeof(sg->note), "your certificate is not issued by a CA in the "
                 "gateway's TrustAnchors");
        return 0;
    default:
        sg->status = CM_SIG_ERROR;
        snprintf(sg->note, sizeof(sg->note), "certificate not accepted: %s",
                 X509_verify_cert_error_string(e));
        return 0;
    }
}

/* One SignerInfo: its certificate, chain and time (the signature itself
 * is checked by CMS_verify, after). 0; -1 out of memory; -2 a CRL cannot
 * be used. */
static int check_signer(cm_engine_session *s, CMS_SignerInfo *si, STACK_OF(X509) *certs,
                        cm_sig *sg)
{
    X509 *x = NULL;
    int i, r;

    memset(sg, 0, sizeof(*sg));
    sg->created = -1;
    sg->x509 = 1;
    for (i = 0; x == NULL && i < sk_X509_num(certs); i++)
        if (CMS_SignerInfo_cert_cmp(si, sk_X509_value(certs, i)) == 0)
            x = sk_X509_value(certs, i);
    if (x == NULL) {
        sg->status = CM_SIG_NOKEY;
        snprintf(sg->note, sizeof(sg->note), "the signer's certificate is not in the message "
                 "(include it when signing)");
        return 0;
    }
    if (cm_x509_fpr(x, sg->fpr) < 0)
        return -1;
    memcpy(sg->keyid, sg->fpr, sizeof(sg->keyid));
    if ((r = check_chain(s, x, certs, sg)) < 0)
        return r;
    if (sg->status == CM_SIG_GOOD && (sg->created = signing_time(si)) < 0) {
        sg->status = CM_SIG_ERROR;
        snprintf(sg->note, sizeof(sg->note), "the signature has no signing time (S/MIME "
                 "signatures to the gateway must carry one)");
    }
    if (X509_up_ref(x) != 1)
        return -1;
    if (sk_X509_push(s->signers, x) <= 0) {
        X509_free(x);
        return -1;
    }
    return 0;
}

/* sigs: one signature that does not verify, for why. */
static void one_bad(cm_sigs *sigs, const char *why)
{
    memset(sigs, 0, sizeof(*sigs));
    sigs->seen = sigs->n = 1;
    sigs->v[0].status = CM_SIG_BAD;
    sigs->v[0].created = -1;
    sigs->v[0].x509 = 1;
    snprintf(sigs->v[0].note, sizeof(sigs->v[0].note), "%s", why);
}

/* Check the SignedData cms (content from dcont if detached, written to
 * out if opaque): every SignerInfo into sigs. */
static cm_stat check_signed(cm_engine_session *s, cm_engine_io *io, CMS_ContentInfo *cms,
                            BIO *dcont, BIO *out, cm_sigs *sigs)
{
    STACK_OF(CMS_SignerInfo) *sis;
    STACK_OF(X509) *certs = NULL;
    cm_stat st = CM_OK;
    int i, n, r, all_good = 1;

    if (OBJ_obj2nid(CMS_get0_type(cms)) != NID_pkcs7_signed
        || (sis = CMS_get0_SignerInfos(cms)) == NULL) {
        one_bad(sigs, "the signature is not CMS signed data");
        return CM_OK;
    }
    if ((st = session_gw(s)) != CM_OK)
        return st;
    n = sk_CMS_SignerInfo_num(sis);
    sigs->seen = n > 0 ? (size_t) n : 0;
    if ((certs = CMS_get1_certs(cms)) == NULL && (certs = sk_X509_new_null()) == NULL)
        return CM_ERR_NOMEM;
    for (i = 0; i < n && sigs->n < CM_SIGS_MAX; i++) {
        cm_sig *sg = &sigs->v[sigs->n++];

        if ((r = check_signer(s, sk_CMS_SignerInfo_value(sis, i), certs, sg)) < 0) {
            st = r == -2 ? CM_ERR_CRL : CM_ERR_NOMEM;
            break;
        }
        all_good = all_good && sg->status == CM_SIG_GOOD;
    }
    /* The signatures and the content digests, when there is still a
     * verdict to be had (one signature not good is already a refusal). */
    if (st == CM_OK && all_good && n > 0 && (size_t) n <= CM_SIGS_MAX
        && CMS_verify(cms, certs, NULL, dcont, out, CMS_BINARY | CMS_NO_SIGNER_CERT_VERIFY) != 1
        && (st = cm_engine_io_status(io, s->ctx, "S/MIME signature check")) == CM_OK) {
        if (ssl_nomem(s->ctx, "S/MIME signature check")) {
            st = CM_ERR_NOMEM;
        } else {
            log_msg_ssl(s->ctx, "S/MIME signature does not verify");
            for (i = 0; (size_t) i < sigs->n; i++)
                sigs->v[i].status = CM_SIG_BAD;
        }
    }
    if (st == CM_OK)
        st = cm_engine_io_status(io, s->ctx, "S/MIME signature check");
    sk_X509_pop_free(certs, X509_free);
    ERR_clear_error();
    if (st == CM_OK)
        cm_sigs_log(s->ctx, sigs);
    return st;
}

/* A signature that could not be read at all: one bad signature (CM_OK),
 * or CM_ERR_NOMEM if OpenSSL ran out of memory reading it. */
static cm_stat unreadable(cm_sigs *sigs, const cm_msgctx *mc)
{
    if (ssl_nomem(mc, "S/MIME signed data"))
        return CM_ERR_NOMEM;
    log_msg_ssl(mc, "S/MIME signed data cannot be parsed");
    one_bad(sigs, "the S/MIME signature cannot be read");
    return CM_OK;
}

cm_stat cm_cms_verify_opaque(cm_engine_session *s, cm_reader *in, cm_writer *out, cm_sigs *sigs)
{
    CMS_ContentInfo *cms = NULL;
    BIO *bin = NULL, *bout = NULL;
    cm_engine_io io;
    cm_stat st = CM_OK;

    memset(sigs, 0, sizeof(*sigs));
    cm_engine_io_init(&io, s->ctx, in, out);
    ERR_clear_error();
    if (cm_cms_bios(&io, &bin, &bout) < 0)
        st = CM_ERR_NOMEM;
    else if ((cms = d2i_CMS_bio(bin, NULL)) == NULL) {
        if ((st = cm_engine_io_status(&io, s->ctx, "S/MIME signature check")) == CM_OK)
            st = unreadable(sigs, s->ctx);
    } else {
        st = check_signed(s, &io, cms, NULL, bout, sigs);
    }
    ERR_clear_error();
    CMS_ContentInfo_free(cms);
    BIO_free(bin);
    BIO_free(bout);
    return st;
}

/* sig as DER: as it is, or decoded from base64 into *buf. 0, 1 (not
 * base64), -1 out of memory. */
static int sig_der(const unsigned char *sig, size_t siglen, unsigned char **buf, int *len)
{
    EVP_ENCODE_CTX *ctx;
    int n = 0, m = 0, r;

    *buf = NULL;
    if (siglen > CMS_MAX_SIG)
        return 1;
    if ((*buf = OPENSSL_malloc(siglen / 4 * 3 + 4)) == NULL || (ctx = EVP_ENCODE_CTX_new()) == NULL)
        return -1;
    EVP_DecodeInit(ctx);
    r = EVP_DecodeUpdate(ctx, *buf, &n, sig, (int) siglen);
    if (r >= 0 && EVP_DecodeFinal(ctx, *buf + n, &m) == 1) {
        *len = n + m;
        EVP_ENCODE_CTX_free(ctx);
        return 0;
    }
    EVP_ENCODE_CTX_free(ctx);
    return 1;
}

cm_stat cm_cms_verify_detached(cm_engine_session *s, cm_reader *data, const void *sig,
                               size_t siglen, cm_sigs *sigs)
{
    const unsigned char *p = sig;
    unsigned char *der = NULL;
    CMS_ContentInfo *cms = NULL;
    BIO *bdata = NULL, *bsig = NULL, *none = NULL;     /* no writer: none stays NULL */
    cm_engine_io io;
    cm_stat st = CM_OK;
    int len = 0, r;

    memset(sigs, 0, sizeof(*sigs));
    cm_engine_io_init(&io, s->ctx, data, NULL);
    ERR_clear_error();
    /* The part's body: base64 as RFC 8551 sends it, or binary DER. */
    if (siglen > 0 && p[0] == 0x30 && siglen <= CMS_MAX_SIG) {
        r = 0;
        len = (int) siglen;
    } else if ((r = sig_der(p, siglen, &der, &len)) == 0) {
        p = der;
    }
    if (r < 0)
        st = CM_ERR_NOMEM;
    else if (r > 0)
        st = unreadable(sigs, s->ctx);
    else if ((bsig = BIO_new_mem_buf(p, len)) == NULL || cm_cms_bios(&io, &bdata, &none) < 0)
        st = CM_ERR_NOMEM;
    else if ((cms = d2i_CMS_bio(bsig, NULL)) == NULL || !CMS_is_detached(cms))
        st = unreadable(sigs, s->ctx);
    else
        st = check_signed(s, &io, cms, bdata, NULL, sigs);
    ERR_clear_error();
    CMS_ContentInfo_free(cms);
    BIO_free(bsig);
    BIO_free(bdata);
    OPENSSL_free(der);
    return st;
}

cm_stat cm_cms_key_has_addr(cm_engine_session *s, const char *fpr, const char *addr, int *yes)
{
    char f[CM_FPR_MAX + 1];
    int i, r;

    *yes = 0;
    for (i = 0; i < sk_X509_num(s->signers); i++) {
        X509 *x = sk_X509_value(s->signers, i);

        if (cm_x509_fpr(x, f) < 0)
            return CM_ERR_NOMEM;
        if (strcmp(f, fpr) != 0)
            continue;
        if ((r = cm_x509_has_email(x, addr)) < 0)
            return CM_ERR_NOMEM;
        *yes = r;
        return CM_OK;
    }
    return CM_OK;
}
