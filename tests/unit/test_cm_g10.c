#include "cm_g10.h"
#include "cm_test.h"

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

/* The form gpg --import leaves a secret key in (canonical, shortened). */
START_TEST(openpgp_native_is_told_apart)
{
    static const char native[] = "(21:protected-private-key(3:ecc(5:curve10:Curve25519)"
                                 "(1:q2:@\x01)(9:protected14:openpgp-native(8:openpgp-"
                                 "(4:sha11:x))))";
    static const char plain[] = "(11:private-key(3:ecc(5:curve10:Curve25519)(1:q2:@\x01)"
                                "(1:d1:\x02)))";

    ck_assert_int_eq(cm_g10_is_openpgp_native((const unsigned char *) native,
                                              sizeof(native) - 1), 1);
    ck_assert_int_eq(cm_g10_is_openpgp_native((const unsigned char *) plain,
                                              sizeof(plain) - 1), 0);
    ck_assert_int_eq(cm_g10_is_openpgp_native((const unsigned char *) native, 20), 0);
}
END_TEST

static void add_cases(Suite *s)
{
    CM_ADD(s, extended_format_to_canonical);
    CM_ADD(s, canonical_kept);
    CM_ADD(s, not_a_key_file);
    CM_ADD(s, cv25519_keygrip_is_gpgs);
    CM_ADD(s, openpgp_native_is_told_apart);
}

CM_TEST_MAIN("cm_g10", add_cases)
