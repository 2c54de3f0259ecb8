/* cm_g10_check - does a gateway secret key, about to be handed to librnp,
 * hold together: does its secret part belong to its public part?
 *
 * gpg-agent checks a key's checksum before it uses it; librnp loads what
 * it is given. A damaged key file would be a wrong key, and every message
 * to it would be undecryptable and refused for good (5xx) where the fault
 * is the gateway's own. Checked here, it is a key that is not there (4xx,
 * with the reason logged). Sizes are checked first: libgcrypt's own check
 * reads out of bounds on a point shorter than its curve's. */
#include "cm_g10.h"
#include "cm_g10_int.h"

#include <gcrypt.h>
#include <stdio.h>
#include <string.h>

#define RSA_MIN_BYTES 128       /* 1024 bits: OpenPGP keys below are not used */
#define RSA_MAX_BYTES 2048      /* 16384 bits */

/* Bytes of an unsigned big-endian value without its leading zeros. */
static size_t significant(const char *p, size_t n)
{
    while (n > 0 && *p == 0) {
        p++;
        n--;
    }
    return n;
}

/* The value of alg's (tok value), held by *held (the caller releases
 * it), or NULL. */
static const char *value_of(gcry_sexp_t alg, const char *tok, gcry_sexp_t *held, size_t *n)
{
    *n = 0;
    *held = cm_g10_child(alg, tok);
    return *held != NULL ? gcry_sexp_nth_data(*held, 1, n) : NULL;
}

static int ecc_sizes_fit(gcry_sexp_t alg, char *err, size_t errlen)
{
    gcry_sexp_t curve = cm_g10_child(alg, "curve"), pub = NULL, qs, ds;
    const char *q, *d;
    size_t qn, dn, bytes = 0;
    unsigned int nbits = 0;
    int rc = 0;

    if (curve != NULL && gcry_sexp_build(&pub, NULL, "(public-key(ecc%S))", curve) == 0)
        nbits = gcry_pk_get_nbits(pub);
    gcry_sexp_release(pub);
    gcry_sexp_release(curve);
    if (nbits == 0) {
        snprintf(err, errlen, "a key on a curve libgcrypt does not know");
        return -1;
    }
    bytes = (nbits + 7) / 8;
    q = value_of(alg, "q", &qs, &qn);
    d = value_of(alg, "d", &ds, &dn);
    if (q == NULL || d == NULL
        || !((qn == 1 + bytes && q[0] == 0x40) || (qn == 1 + 2 * bytes && q[0] == 0x04))
        || significant(d, dn) == 0 || significant(d, dn) > bytes) {
        snprintf(err, errlen, "a damaged key: its values are not of its curve's sizes");
        rc = -1;
    }
    gcry_sexp_release(qs);
    gcry_sexp_release(ds);
    return rc;
}

static int rsa_sizes_fit(gcry_sexp_t alg, char *err, size_t errlen)
{
    static const char *const names[] = {"n", "e", "d", "p", "q", "u"};
    gcry_sexp_t held[6] = {NULL, NULL, NULL, NULL, NULL, NULL};
    size_t i, len[6] = {0, 0, 0, 0, 0, 0};
    const char *v;
    int rc = 0;

    for (i = 0; i < 6; i++)
        if ((v = value_of(alg, names[i], &held[i], &len[i])) == NULL
            || (len[i] = significant(v, len[i])) == 0)
            rc = -1;
    for (i = 1; i < 6; i++)
        if (len[i] > len[0])
            rc = -1;
    if (rc != 0 || len[0] < RSA_MIN_BYTES || len[0] > RSA_MAX_BYTES) {
        snprintf(err, errlen, "a damaged RSA key, or one shorter than 1024 bits");
        rc = -1;
    }
    for (i = 0; i < 6; i++)
        gcry_sexp_release(held[i]);
    return rc;
}

/* libgcrypt's own check (for ECC, d·G = Q), and for RSA, whose d that
 * check leaves out, a value sealed with (n, e) and opened again. */
static gcry_error_t holds_together(gcry_sexp_t key, int rsa)
{
    static const char probe[] = "cryptmilter: does this key hold together?";
    gcry_sexp_t data = NULL, sealed = NULL, opened = NULL, value = NULL;
    const char *got;
    size_t n = 0;
    gcry_error_t ge = gcry_pk_testkey(key);

    if (ge != 0 || !rsa)
        return ge;
    if ((ge = gcry_sexp_build(&data, NULL, "(data(flags raw)(value %b))", (int) sizeof(probe) - 1,
                              probe)) == 0
        && (ge = gcry_pk_encrypt(&sealed, data, key)) == 0
        && (ge = gcry_pk_decrypt(&opened, sealed, key)) == 0) {
        value = gcry_sexp_find_token(opened, "value", 0);
        got = gcry_sexp_nth_data(value != NULL ? value : opened, value != NULL ? 1 : 0, &n);
        if (got == NULL || n != sizeof(probe) - 1 || memcmp(got, probe, n) != 0)
            ge = gcry_error(GPG_ERR_BAD_SECKEY);
    }
    gcry_sexp_release(value);
    gcry_sexp_release(opened);
    gcry_sexp_release(sealed);
    gcry_sexp_release(data);
    return ge;
}

int cm_g10_check(const unsigned char *c, size_t n, char *err, size_t errlen)
{
    gcry_sexp_t top = NULL, alg = NULL;
    gcry_error_t ge;
    int rc = 1, rsa = 0;

    if (cm_g10_init() != 0) {
        snprintf(err, errlen, "libgcrypt could not be initialised");
        return -1;
    }
    if (gcry_sexp_new(&top, c, n, 0) != 0 || !cm_g10_car_is(top, "private-key")
        || (alg = gcry_sexp_nth(top, 1)) == NULL)
        goto out;       /* protected, or not a key: librnp's reading says so */
    if (cm_g10_car_is(alg, "rsa"))
        rsa = 1;
    else if (!cm_g10_car_is(alg, "ecc"))
        goto out;       /* ElGamal, DSA: left to librnp as before */
    rc = -1;
    if ((rsa ? rsa_sizes_fit(alg, err, errlen) : ecc_sizes_fit(alg, err, errlen)) != 0)
        goto out;
    if ((ge = holds_together(top, rsa)) != 0) {
        snprintf(err, errlen, "a damaged key: its secret part does not belong to its public "
                 "part (%s)", gcry_strerror(ge));
        goto out;
    }
    rc = 0;
out:
    gcry_sexp_release(alg);
    gcry_sexp_release(top);
    return rc;
}
