/* cm_crls - revocation of outbound S/MIME signers by CRLs (SPEC §4.2). */
#include "cm_crls.h"
#include "cm_log.h"
#include "cm_x509.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

/* t as "2026-12-06 04:40 UTC" ("an unreadable date" if it is not one). */
static void show_time(const ASN1_TIME *t, char *out, size_t len)
{
    struct tm tm;
    int64_t v;
    time_t tt;

    if (t == NULL || cm_x509_time(t, &v) < 0 || (tt = (time_t) v) != v
        || gmtime_r(&tt, &tm) == NULL || strftime(out, len, "%Y-%m-%d %H:%M UTC", &tm) == 0)
        snprintf(out, len, "an unreadable date");
}

int cm_crls_add(X509_STORE *store, STACK_OF(X509_CRL) *crls, STACK_OF(X509_NAME) *issuers,
                const char *key, const char *path, char *err, size_t errlen)
{
    int i;

    for (i = 0; i < sk_X509_CRL_num(crls); i++) {
        X509_CRL *crl = sk_X509_CRL_value(crls, i);
        const ASN1_TIME *next = X509_CRL_get0_nextUpdate(crl);
        X509_NAME *nm = NULL;
        char who[256], when[40];
        int64_t t;

        if (X509_NAME_oneline(X509_CRL_get_issuer(crl), who, sizeof(who)) == NULL)
            snprintf(who, sizeof(who), "an unnamed issuer");
        if (next == NULL || cm_x509_time(next, &t) < 0) {
            snprintf(err, errlen, "%s %s: the CRL of %s has %s nextUpdate: it would never "
                     "go out of date", key, path, who, next == NULL ? "no" : "an unreadable");
            return -1;
        }
        if (t < (int64_t) time(NULL)) {
            show_time(next, when, sizeof(when));
            cm_log_warn("%s %s: the CRL of %s is out of date (its nextUpdate was %s): mail "
                        "signed by a certificate it covers is answered 451 until it is "
                        "replaced", key, path, who, when);
        }
        if (X509_STORE_add_crl(store, crl) != 1) {
            snprintf(err, errlen, "%s %s: the CRL of %s cannot be added", key, path, who);
            ERR_clear_error();
            return -1;
        }
        if ((nm = X509_NAME_dup(X509_CRL_get_issuer(crl))) == NULL
            || sk_X509_NAME_push(issuers, nm) <= 0) {
            X509_NAME_free(nm);
            snprintf(err, errlen, "%s %s: out of memory", key, path);
            return -1;
        }
    }
    return 0;
}

/* RFC 5280 §5.3.1's reason codes (7 is not used). */
static const char *reason_name(long r)
{
    static const char *const names[] = {
        "no reason given", "key compromise", "CA compromise", "affiliation changed",
        "superseded", "cessation of operation", "on hold", NULL, "removed from the CRL",
        "privilege withdrawn", "AA compromise"};

    if (r < 0 || (size_t) r >= sizeof(names) / sizeof(names[0]) || names[r] == NULL)
        return "an unknown reason";
    return names[r];
}

/* The certificate being checked is revoked by the CRL being used: what,
 * since when, why, into note. */
static void revoked_note(X509_STORE_CTX *ctx, char *note, size_t len)
{
    X509 *x = X509_STORE_CTX_get_current_cert(ctx);
    X509_CRL *crl = X509_STORE_CTX_get0_current_crl(ctx);
    int depth = X509_STORE_CTX_get_error_depth(ctx), crit = 0;
    const char *what = depth == 0 ? "your certificate"
                       : depth == 1 ? "the CA certificate that issued yours"
                       : "a CA certificate of your certificate's chain";
    X509_REVOKED *rev = NULL;
    ASN1_ENUMERATED *code;
    char when[40] = "";
    long r = 0;

    if (x != NULL && crl != NULL && X509_CRL_get0_by_cert(crl, &rev, x) > 0 && rev != NULL) {
        show_time(X509_REVOKED_get0_revocationDate(rev), when, sizeof(when));
        if ((code = X509_REVOKED_get_ext_d2i(rev, NID_crl_reason, &crit, NULL)) != NULL) {
            r = ASN1_ENUMERATED_get(code);
            ASN1_ENUMERATED_free(code);
        }
    }
    ERR_clear_error();
    snprintf(note, len, "%s is revoked%s%s (%s)", what, when[0] ? " since " : "", when,
             reason_name(r));
}

/* The CA a CRL failure is about: the CRL's issuer, or the issuer of the
 * certificate no usable CRL was found for. */
static void crl_ca(X509_STORE_CTX *ctx, char *out, size_t len)
{
    X509_CRL *crl = X509_STORE_CTX_get0_current_crl(ctx);
    X509 *x = X509_STORE_CTX_get_current_cert(ctx);
    X509_NAME *nm = crl != NULL ? X509_CRL_get_issuer(crl)
                    : x != NULL ? X509_get_issuer_name(x) : NULL;

    if (nm == NULL || X509_NAME_oneline(nm, out, (int) len) == NULL)
        snprintf(out, len, "an unknown CA");
}

/* Called by OpenSSL for each certificate and each failure. The CRL and
 * the certificate are OpenSSL's to see only here (it forgets the CRL once
 * the certificate is done): what was revoked, or whose CRL failed, is
 * written down now. No usable CRL for the current certificate is forgiven
 * (as if revocation were not checked) when no CRL of its issuer was given
 * at all; when one was, it is a failure (out of scope, or signed by
 * another key of that CA: the administrator's CRL does not work). */
static int verify_cb(int ok, X509_STORE_CTX *ctx)
{
    cm_crls_check *chk = X509_STORE_CTX_get_app_data(ctx);
    X509 *x = X509_STORE_CTX_get_current_cert(ctx);
    int i, e = X509_STORE_CTX_get_error(ctx);

    if (ok || chk == NULL)
        return ok;
    if (e == X509_V_ERR_CERT_REVOKED) {
        revoked_note(ctx, chk->revoked, sizeof(chk->revoked));
        return 0;
    }
    if (!cm_crls_failed(e))
        return 0;
    crl_ca(ctx, chk->crl_ca, sizeof(chk->crl_ca));
    if (e != X509_V_ERR_UNABLE_TO_GET_CRL || x == NULL)
        return 0;
    for (i = 0; i < sk_X509_NAME_num(chk->issuers); i++)
        if (X509_NAME_cmp(sk_X509_NAME_value(chk->issuers, i), X509_get_issuer_name(x)) == 0)
            return 0;
    chk->crl_ca[0] = 0;
    X509_STORE_CTX_set_error(ctx, X509_V_OK);
    return 1;
}

int cm_crls_arm(X509_STORE_CTX *ctx, cm_crls_check *chk, STACK_OF(X509_NAME) *issuers)
{
    memset(chk, 0, sizeof(*chk));
    chk->issuers = issuers;
    if (issuers == NULL || sk_X509_NAME_num(issuers) == 0)
        return 0;
    if (X509_STORE_CTX_set_app_data(ctx, chk) != 1)
        return -1;
    X509_STORE_CTX_set_verify_cb(ctx, verify_cb);
    X509_STORE_CTX_set_flags(ctx, X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL);
    return 0;
}

int cm_crls_failed(int e)
{
    switch (e) {
    case X509_V_ERR_UNABLE_TO_GET_CRL:
    case X509_V_ERR_UNABLE_TO_DECRYPT_CRL_SIGNATURE:
    case X509_V_ERR_CRL_SIGNATURE_FAILURE:
    case X509_V_ERR_CRL_NOT_YET_VALID:
    case X509_V_ERR_CRL_HAS_EXPIRED:
    case X509_V_ERR_ERROR_IN_CRL_LAST_UPDATE_FIELD:
    case X509_V_ERR_ERROR_IN_CRL_NEXT_UPDATE_FIELD:
    case X509_V_ERR_UNABLE_TO_GET_CRL_ISSUER:
    case X509_V_ERR_KEYUSAGE_NO_CRL_SIGN:
    case X509_V_ERR_UNHANDLED_CRITICAL_CRL_EXTENSION:
    case X509_V_ERR_DIFFERENT_CRL_SCOPE:
    case X509_V_ERR_CRL_PATH_VALIDATION_ERROR:
        return 1;
    default:
        return 0;
    }
}
