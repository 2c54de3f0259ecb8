/* cm_crls - revocation of outbound S/MIME signers by the CRLs given with
 * TrustAnchors (a TrustCRLs file, or CRLs in the TrustAnchors bundle),
 * SPEC §4.2.
 *
 * Every certificate of a signer's chain (the signer's and each CA's) is
 * checked against its issuer's CRL (X509_V_FLAG_CRL_CHECK with
 * CRL_CHECK_ALL: a revoked intermediate CA is caught too), when a CRL of
 * that issuer was given. A CA with no CRL at all is not checked (as before
 * CRLs were read). A CRL given but unusable (past its nextUpdate, not yet
 * valid, signature bad, issuer not found) is the gateway's failure, a 4xx,
 * never a pass. There is no OCSP. */
#ifndef CM_CRLS_H
#define CM_CRLS_H

#include <stddef.h>

#include <openssl/x509.h>

/* Add crls (read from path, named key in messages) to store and their
 * issuers' names to issuers. A CRL without a nextUpdate (it would never
 * go out of date) is refused; one already past it is added, with a
 * warning (its signers will get 4xx until it is replaced). 0, or -1
 * with err. */
int cm_crls_add(X509_STORE *store, STACK_OF(X509_CRL) *crls, STACK_OF(X509_NAME) *issuers,
                const char *key, const char *path, char *err, size_t errlen);

/* One certificate check's revocation state (cm_crls_arm). */
typedef struct cm_crls_check {
    STACK_OF(X509_NAME) *issuers;   /* the issuer of each CRL given */
    char revoked[128];      /* a certificate of the chain is revoked: what, since when, why */
    char crl_ca[256];       /* a CRL could not be used: the CA whose CRL it is (or would be) */
} cm_crls_check;

/* Make ctx check revocation with the CRLs whose issuers are listed (empty
 * or NULL: nothing is checked); what it finds goes into chk (cleared
 * here), which must outlive ctx. 0, or -1 out of memory. */
int cm_crls_arm(X509_STORE_CTX *ctx, cm_crls_check *chk, STACK_OF(X509_NAME) *issuers);

/* Is the verification error e a CRL that cannot be used (the gateway's
 * failure, not the certificate's)? */
int cm_crls_failed(int e);

#endif
