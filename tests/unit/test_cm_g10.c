#include "cm_g10.h"
#include "cm_test.h"

#include <gcrypt.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int convert(const char *in, unsigned char **out, size_t *len)
{
    char err[256];

    return cm_g10_canonical((const unsigned char *) in, strlen(in), out, len, err, sizeof(err));
}

/* gpg-agent's extended format: the Key: value in advanced notation, over
 * continuation lines, among other fields. */
START_TEST(extended_format_to_canonical)
{
    static const char in[] = "Created: 20261129T045744\n"
                             "Label: x\n"
                             "Key: (private-key (ecc (curve Ed25519)(q\n"
                             "  #40AB#)\n"
                             " (d #01#)\n"
                             " ))\n"
                             "Use-for-ssh: no\n";
    static const char want[] = "(11:private-key(3:ecc(5:curve7:Ed25519)(1:q2:@\xab)(1:d1:\x01)))";
    unsigned char *out = NULL;
    size_t len = 0;

    ck_assert_int_eq(convert(in, &out, &len), 0);
    ck_assert_uint_eq(len, sizeof(want) - 1);
    ck_assert(memcmp(out, want, len) == 0);
    free(out);
}
END_TEST

/* The old format is the canonical S-expression already: kept as it is. */
START_TEST(canonical_kept)
{
    static const char in[] = "(11:private-key(3:ecc(5:curve7:Ed25519)))";
    unsigned char *out = NULL;
    size_t len = 0;

    ck_assert_int_eq(convert(in, &out, &len), 0);
    ck_assert_uint_eq(len, strlen(in));
    ck_assert(memcmp(out, in, len) == 0);
    free(out);
}
END_TEST

START_TEST(not_a_key_file)
{
    unsigned char *out = (unsigned char *) "x";
    size_t len = 1;

    ck_assert_int_eq(convert("Created: 1\nLabel: no key here\n", &out, &len), -1);
    ck_assert_ptr_null(out);
    ck_assert_uint_eq(len, 0);
    ck_assert_int_eq(convert("Key: (private-key (ecc (q #4#\n", &out, &len), -1);
    ck_assert_ptr_null(out);
    ck_assert_int_eq(convert("", &out, &len), -1);
}
END_TEST

static void unhex(const char *h, unsigned char *out, size_t n)
{
    size_t i;

    ck_assert_uint_eq(strlen(h), 2 * n);
    for (i = 0; i < n; i++)
        ck_assert_int_eq(sscanf(h + 2 * i, "%2hhx", &out[i]), 1);
}

/* Keygrips of cv25519 encryption subkeys as gpg 2.2 printed them
 * (--with-keygrip) for the point of the key packet. The first point's x
 * begins with a zero byte, which librnp 0.16 leaves out of its grip
 * (it gives 5AA51891AE67F2038886EFDB3A24EEAAFC4999BD for this key). */
START_TEST(cv25519_keygrip_is_gpgs)
{
    static const struct {
        const char *q, *grip;
    } keys[] = {
        {"40007394ccd2881857994d9947b7cd46add00f0d7840e1cff3e5aef2fe30878532",
         "22EF751F427A48099CB04889119977EAC8827DA1"},
        {"40c89a35e556a0ae13e5877052a30292b2205e27675866e8880586d5fa4a3fdb6d",
         "3DEC935241CD3D410631B353B18BD7E39A62EFD7"},
    };
    unsigned char q[33];
    char grip[41], err[256];
    size_t i;

    for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        unhex(keys[i].q, q, sizeof(q));
        ck_assert_int_eq(cm_g10_cv25519_keygrip(q, sizeof(q), grip, err, sizeof(err)), 0);
        ck_assert_str_eq(grip, keys[i].grip);
    }
    /* Not a 0x40-prefixed point: no grip, rather than a wrong one. */
    ck_assert_int_eq(cm_g10_cv25519_keygrip(q + 1, sizeof(q) - 1, grip, err, sizeof(err)), -1);
    ck_assert_str_eq(grip, "");
    q[0] = 0x04;
    ck_assert_int_eq(cm_g10_cv25519_keygrip(q, sizeof(q), grip, err, sizeof(err)), -1);
}
END_TEST

/* gpg-agent's advanced notation (the "Key:" value) to canonical. */
static void canon(const char *advanced, unsigned char **out, size_t *len)
{
    char buf[2048];

    ck_assert_int_lt(snprintf(buf, sizeof(buf), "Key: %s\n", advanced), (int) sizeof(buf));
    ck_assert_int_eq(convert(buf, out, len), 0);
}

/* The imported form c, converted, must be exactly want (both advanced). */
static void native_becomes(const char *in, const char *want)
{
    unsigned char *c, *w, *out = NULL;
    size_t clen, wlen, outlen = 0;
    char err[256];

    canon(in, &c, &clen);
    canon(want, &w, &wlen);
    ck_assert_int_eq(cm_g10_from_openpgp_native(c, clen, &out, &outlen, err, sizeof(err)), 0);
    ck_assert_uint_eq(outlen, wlen);
    ck_assert(memcmp(out, w, wlen) == 0);
    free(c);
    free(w);
    free(out);
}

static int native_answer(const char *in)
{
    unsigned char *c, *out = (unsigned char *) "x";
    size_t clen, outlen = 1;
    char err[256];
    int rc;

    canon(in, &c, &clen);
    rc = cm_g10_from_openpgp_native(c, clen, &out, &outlen, err, sizeof(err));
    if (rc != 0) {
        ck_assert_ptr_null(out);
        ck_assert_uint_eq(outlen, 0);
    } else {
        free(out);
    }
    free(c);
    return rc;
}

/* The shapes GnuPG 2.2's gpg --import writes (agent/cvt-openpgp.c), with
 * made-up values, become what gpg-agent writes once it has used the key. */
START_TEST(imported_key_becomes_the_agents_own)
{
    native_becomes("(protected-private-key (ecc (curve Curve25519)(flags djb-tweak)(q #4011#)"
                   " (protected openpgp-native (openpgp-private-key (version \"4\")(algo ECDH)"
                   "(curve Curve25519)(skey _ #4011# _ #2222#)(csum \"68\")(protection none)))))",
                   "(private-key (ecc (curve Curve25519)(flags djb-tweak)(q #4011#)(d #2222#)))");
    native_becomes("(protected-private-key (ecc (curve \"NIST P-256\")(q #0401#)"
                   " (protected openpgp-native (openpgp-private-key (version \"4\")(algo ECDH)"
                   "(curve \"NIST P-256\")(skey _ #0401# _ #33#)(csum \"51\")(protection none)))))",
                   "(private-key (ecc (curve \"NIST P-256\")(q #0401#)(d #33#)))");
    native_becomes("(protected-private-key (rsa (n #0A#)(e #03#)"
                   " (protected openpgp-native (openpgp-private-key (version \"4\")(algo RSA)"
                   "(skey _ #0A# _ #03# _ #07# _ #02# _ #05# _ #01#)(csum \"15\")"
                   "(protection none)))))",
                   "(private-key (rsa (n #0A#)(e #03#)(d #07#)(p #02#)(q #05#)(u #01#)))");
}
END_TEST

/* Protected, not of that form, or not convertible: never a key. */
START_TEST(imported_key_left_alone_or_refused)
{
    /* A passphrase: its values are encrypted, or the protection says so. */
    ck_assert_int_eq(native_answer("(protected-private-key (ecc (curve Ed25519)(q #4001#)"
                                   " (protected openpgp-native (openpgp-private-key (version \"4\")"
                                   "(algo EDDSA)(curve Ed25519)(skey _ #4001# e #ABCD#)"
                                   "(csum \"0\")(protection sha1 aes \"16\" #00# \"3\" sha1 #01#"
                                   " \"65536\")))))"),
                     2);
    /* The agent's own forms are not imported ones. */
    ck_assert_int_eq(native_answer("(private-key (ecc (curve Ed25519)(q #4001#)(d #02#)))"), 1);
    ck_assert_int_eq(native_answer("(protected-private-key (ecc (curve Ed25519)(q #4001#)"
                                   " (protected openpgp-s2k3-sha1-aes-cbc ((sha1 #00# \"1\")"
                                   " #00#) #ABCD#)))"), 1);
    /* ElGamal and DSA: gpg-agent's conversion only. */
    ck_assert_int_eq(native_answer("(protected-private-key (elg (p #07#)(g #02#)(y #03#)"
                                   " (protected openpgp-native (openpgp-private-key (version \"4\")"
                                   "(algo ELG)(skey _ #07# _ #02# _ #03# _ #04#)(csum \"4\")"
                                   "(protection none)))))"), -1);
    /* A value missing. */
    ck_assert_int_eq(native_answer("(protected-private-key (ecc (curve Ed25519)(q #4001#)"
                                   " (protected openpgp-native (openpgp-private-key (version \"4\")"
                                   "(algo EDDSA)(curve Ed25519)(skey _ #4001#)(csum \"0\")"
                                   "(protection none)))))"), -1);
}
END_TEST

/* A fresh key of libgcrypt's making, as gpg-agent stores it: the
 * canonical (private-key ...) into *out (heap). */
static size_t fresh_key(const char *genkey, unsigned char **out)
{
    gcry_sexp_t spec, pair, key;
    size_t n;

    ck_assert_int_eq(cm_g10_init(), 0);
    ck_assert_int_eq(gcry_sexp_new(&spec, genkey, 0, 1), 0);
    ck_assert_int_eq(gcry_pk_genkey(&pair, spec), 0);
    ck_assert_ptr_nonnull(key = gcry_sexp_find_token(pair, "private-key", 0));
    ck_assert_uint_gt(n = gcry_sexp_sprint(key, GCRYSEXP_FMT_CANON, NULL, 0), 0);
    ck_assert_ptr_nonnull(*out = malloc(n));
    ck_assert_uint_eq(gcry_sexp_sprint(key, GCRYSEXP_FMT_CANON, *out, n), n - 1);
    gcry_sexp_release(key);
    gcry_sexp_release(pair);
    gcry_sexp_release(spec);
    return n - 1;
}

/* Flip the last bit of the value of (1:d ...) in a canonical key. */
static void damage_d(unsigned char *c, size_t n)
{
    size_t i, len;
    char *end;

    for (i = 0; i + 4 < n && memcmp(c + i, "(1:d", 4) != 0; i++)
        ;
    ck_assert_uint_lt(i + 4, n);
    len = strtoul((const char *) c + i + 4, &end, 10);
    ck_assert(*end == ':' && (size_t) ((unsigned char *) end - c) + len < n);
    ((unsigned char *) end)[len] ^= 1;
}

/* A key that holds together passes; the same with its secret value
 * damaged does not, on each curve gpg makes and for RSA (whose d
 * libgcrypt's own check leaves out). */
START_TEST(damaged_secret_is_told)
{
    static const char *const specs[] = {
        "(genkey(ecc(curve Curve25519)(flags djb-tweak comp)))",
        "(genkey(ecc(curve \"NIST P-256\")))",
        "(genkey(rsa(nbits 4:1024)))",
    };
    unsigned char *c;
    char err[256];
    size_t n;

    n = fresh_key(specs[_i], &c);
    ck_assert_int_eq(cm_g10_check(c, n, err, sizeof(err)), 0);
    damage_d(c, n);
    ck_assert_int_eq(cm_g10_check(c, n, err, sizeof(err)), -1);
    ck_assert_ptr_nonnull(strstr(err, "damaged"));
    free(c);
}
END_TEST

/* Values not of the key's sizes are told before libgcrypt reads them
 * (its own check reads past a short point); what is not an unprotected
 * ECC or RSA key is left to librnp. */
START_TEST(check_sizes_and_what_it_leaves_alone)
{
    unsigned char *c;
    size_t n;
    char err[256];

    canon("(private-key (ecc (curve Curve25519)(flags djb-tweak)(q #4011#)(d #2222#)))", &c, &n);
    ck_assert_int_eq(cm_g10_check(c, n, err, sizeof(err)), -1);
    free(c);
    canon("(private-key (rsa (n #0A#)(e #03#)(d #07#)(p #02#)(q #05#)(u #01#)))", &c, &n);
    ck_assert_int_eq(cm_g10_check(c, n, err, sizeof(err)), -1);
    free(c);
    canon("(private-key (ecc (curve NoSuchCurve)(q #4011#)(d #2222#)))", &c, &n);
    ck_assert_int_eq(cm_g10_check(c, n, err, sizeof(err)), -1);
    free(c);
    canon("(protected-private-key (ecc (curve Ed25519)(q #4001#)"
          " (protected openpgp-s2k3-sha1-aes-cbc ((sha1 #00# \"1\") #00#) #ABCD#)))", &c, &n);
    ck_assert_int_eq(cm_g10_check(c, n, err, sizeof(err)), 1);
    free(c);
    canon("(private-key (elg (p #07#)(g #02#)(y #03#)(x #04#)))", &c, &n);
    ck_assert_int_eq(cm_g10_check(c, n, err, sizeof(err)), 1);
    free(c);
}
END_TEST

static void add_cases(Suite *s)
{
    CM_ADD(s, extended_format_to_canonical);
    CM_ADD(s, canonical_kept);
    CM_ADD(s, not_a_key_file);
    CM_ADD(s, cv25519_keygrip_is_gpgs);
    CM_ADD(s, imported_key_becomes_the_agents_own);
    CM_ADD(s, imported_key_left_alone_or_refused);
    CM_ADD_LOOP(s, damaged_secret_is_told, 3);
    CM_ADD(s, check_sizes_and_what_it_leaves_alone);
}

CM_TEST_MAIN("cm_g10", add_cases)
