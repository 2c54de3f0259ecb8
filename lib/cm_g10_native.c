/* cm_g10_native - a secret key as gpg --import leaves it in gpg-agent's
 * store, turned into the form gpg-agent itself turns it into on first use.
 *
 * gpg --import hands gpg-agent the OpenPGP key packet's secret fields as
 * they are, wrapped in the agent's format (GnuPG agent/cvt-openpgp.c):
 *
 *   (protected-private-key (ecc (curve C)(flags F)(q Q)
 *     (protected openpgp-native (openpgp-private-key (version "4")
 *       (algo ECDH)(curve C)(skey _ Q _ D)(csum "N")(protection none)))))
 *
 * librnp reads only the agent's own forms. A key without a passphrase
 * ("protection none", every value "_") holds its secret in clear there,
 * and the agent's (private-key (ecc (curve C)(flags F)(q Q)(d D))) or
 * (private-key (rsa (n)(e)(d)(p)(q)(u))) is made from it here with
 * libgcrypt. A protected one is left alone: the milter has no passphrase. */
#include "cm_g10.h"
#include "cm_g10_int.h"

#include <gcrypt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RSA_VALUES 6    /* n e d p q u, in OpenPGP's order and libgcrypt's */
#define ECC_VALUES 2    /* q d */

/* The data of element i of list equals tok. */
static int nth_is(gcry_sexp_t list, int i, const char *tok)
{
    size_t n = 0;
    const char *d = gcry_sexp_nth_data(list, i, &n);

    return d != NULL && n == strlen(tok) && memcmp(d, tok, n) == 0;
}

/* The values of (skey _ V1 _ V2 ...), pointers into skey: exactly want of
 * them. 0; 2 one is encrypted ("e"); -1 another shape. */
static int skey_values(gcry_sexp_t skey, const char **v, size_t *vlen, int want)
{
    int i, n = 0, len = gcry_sexp_length(skey);

    if (len != 1 + 2 * want)
        return -1;
    for (i = 1; i < len; i += 2, n++) {
        if (nth_is(skey, i, "e"))
            return 2;
        if (!nth_is(skey, i, "_") || (v[n] = gcry_sexp_nth_data(skey, i + 1, &vlen[n])) == NULL
            || vlen[n] > INT_MAX)
            return -1;
    }
    return 0;
}

static gcry_error_t build_ecc(gcry_sexp_t *out, gcry_sexp_t alg, const char **v,
                              const size_t *vlen)
{
    gcry_sexp_t curve = cm_g10_child(alg, "curve"), flags = cm_g10_child(alg, "flags"), q = cm_g10_child(alg, "q");
    gcry_error_t ge;

    if (curve == NULL || q == NULL)
        ge = gcry_error(GPG_ERR_INV_SEXP);
    else if (flags != NULL)
        ge = gcry_sexp_build(out, NULL, "(private-key(ecc%S%S%S(d%b)))", curve, flags, q,
                             (int) vlen[1], v[1]);
    else
        ge = gcry_sexp_build(out, NULL, "(private-key(ecc%S%S(d%b)))", curve, q, (int) vlen[1],
                             v[1]);
    gcry_sexp_release(curve);
    gcry_sexp_release(flags);
    gcry_sexp_release(q);
    return ge;
}

static gcry_error_t build_rsa(gcry_sexp_t *out, const char **v, const size_t *vlen)
{
    return gcry_sexp_build(out, NULL, "(private-key(rsa(n%b)(e%b)(d%b)(p%b)(q%b)(u%b)))",
                           (int) vlen[0], v[0], (int) vlen[1], v[1], (int) vlen[2], v[2],
                           (int) vlen[3], v[3], (int) vlen[4], v[4], (int) vlen[5], v[5]);
}

/* The key of alg's (protected openpgp-native ...) into *key: 0; 1 not
 * that form; 2 protected; -1 with err. */
static int convert(gcry_sexp_t alg, gcry_sexp_t *key, char *err, size_t errlen)
{
    gcry_sexp_t prot = cm_g10_child(alg, "protected"), opk = NULL, how = NULL, skey = NULL;
    const char *v[RSA_VALUES];
    size_t vlen[RSA_VALUES];
    int ecc = cm_g10_car_is(alg, "ecc"), rsa = cm_g10_car_is(alg, "rsa"), rc;
    gcry_error_t ge = 0;

    *key = NULL;
    if (prot == NULL || !nth_is(prot, 1, "openpgp-native")) {
        rc = 1;
        goto out;
    }
    rc = -1;
    opk = gcry_sexp_find_token(prot, "openpgp-private-key", 0);
    how = opk != NULL ? cm_g10_child(opk, "protection") : NULL;
    skey = opk != NULL ? cm_g10_child(opk, "skey") : NULL;
    if (how == NULL || skey == NULL) {
        snprintf(err, errlen, "an imported key of a shape gpg-agent does not write");
        goto out;
    }
    if (!nth_is(how, 1, "none")) {
        rc = 2;
        goto out;
    }
    if (!ecc && !rsa) {
        snprintf(err, errlen, "an imported key of an algorithm only gpg-agent converts");
        goto out;
    }
    rc = skey_values(skey, v, vlen, ecc ? ECC_VALUES : RSA_VALUES);
    if (rc == -1) {
        snprintf(err, errlen, "an imported key whose secret values are not as expected");
        goto out;
    }
    if (rc == 0 && (ge = ecc ? build_ecc(key, alg, v, vlen) : build_rsa(key, v, vlen)) != 0) {
        snprintf(err, errlen, "libgcrypt: %s", gcry_strerror(ge));
        rc = -1;
    }
out:
    gcry_sexp_release(skey);
    gcry_sexp_release(how);
    gcry_sexp_release(opk);
    gcry_sexp_release(prot);
    return rc;
}

int cm_g10_from_openpgp_native(const unsigned char *c, size_t n, unsigned char **out,
                               size_t *outlen, char *err, size_t errlen)
{
    gcry_sexp_t top = NULL, alg = NULL, key = NULL;
    int rc = 1;

    *out = NULL;
    *outlen = 0;
    if (cm_g10_init() != 0) {
        snprintf(err, errlen, "libgcrypt could not be initialised");
        return -1;
    }
    if (gcry_sexp_new(&top, c, n, 0) != 0 || !cm_g10_car_is(top, "protected-private-key")
        || (alg = gcry_sexp_nth(top, 1)) == NULL)
        goto out;       /* not this form; the caller's reading will say what it is */
    if ((rc = convert(alg, &key, err, errlen)) != 0)
        goto out;
    rc = cm_g10_canon_of(key, out, outlen, err, errlen);
out:
    gcry_sexp_release(key);
    gcry_sexp_release(alg);
    gcry_sexp_release(top);
    return rc;
}
