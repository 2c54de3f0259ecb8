/* What cryptmilter-keys import takes its input for (cm_keystore_kind_of)
 * and the PEM checks under it (cm_certedit). */
#include "cm_certedit.h"
#include "cm_keystore.h"
#include "cm_test.h"

#include <string.h>

#define S(x) x, sizeof(x) - 1

START_TEST(armor_is_openpgp)
{
    ck_assert_int_eq(cm_keystore_kind_of(S("-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nmQ\n")),
                     CM_KEYSTORE_OPENPGP);
    /* After other text, at a line's start. */
    ck_assert_int_eq(cm_keystore_kind_of(S("key of ann:\n-----BEGIN PGP PUBLIC KEY BLOCK-----\n")),
                     CM_KEYSTORE_OPENPGP);
}
END_TEST

START_TEST(binary_packets_are_openpgp)
{
    ck_assert_int_eq(cm_keystore_kind_of(S("\x99\x01\x0d\x04")), CM_KEYSTORE_OPENPGP);
    ck_assert_int_eq(cm_keystore_kind_of(S("\xc6\x33\x04")), CM_KEYSTORE_OPENPGP);
}
END_TEST

START_TEST(pem_and_der_are_x509)
{
    ck_assert_int_eq(cm_keystore_kind_of(S("-----BEGIN CERTIFICATE-----\nMII\n")),
                     CM_KEYSTORE_X509);
    ck_assert_int_eq(cm_keystore_kind_of(S("\x30\x82\x03\x01")), CM_KEYSTORE_X509);
    /* "BEGIN PGP" inside a line is not armor. */
    ck_assert_int_eq(cm_keystore_kind_of(S("-----BEGIN CERTIFICATE-----\nx -----BEGIN PGP \n")),
                     CM_KEYSTORE_X509);
}
END_TEST

START_TEST(pem_begins_at_line_start)
{
    ck_assert_int_eq(cm_certedit_pem_begins(S("-----BEGIN X"), ""), 1);
    ck_assert_int_eq(cm_certedit_pem_begins(S(" -----BEGIN X"), ""), 0);
    ck_assert_int_eq(cm_certedit_pem_begins(S("a\n-----BEGIN PGP "), "PGP "), 1);
    ck_assert_int_eq(cm_certedit_pem_begins(S("a\n-----BEGIN PG"), "PGP "), 0);
    ck_assert_int_eq(cm_certedit_pem_begins("", 0, ""), 0);
}
END_TEST

START_TEST(private_key_seen)
{
    ck_assert_int_eq(cm_certedit_has_private_key(S("-----BEGIN PRIVATE KEY-----\n")), 1);
    ck_assert_int_eq(cm_certedit_has_private_key(S("x\n-----BEGIN RSA PRIVATE KEY-----")), 1);
    ck_assert_int_eq(cm_certedit_has_private_key(S("-----BEGIN CERTIFICATE-----\n")), 0);
    ck_assert_int_eq(cm_certedit_has_private_key(S("PRIVATE KEY----")), 0);
}
END_TEST

static void add_cases(Suite *s)
{
    CM_ADD(s, armor_is_openpgp);
    CM_ADD(s, binary_packets_are_openpgp);
    CM_ADD(s, pem_and_der_are_x509);
    CM_ADD(s, pem_begins_at_line_start);
    CM_ADD(s, private_key_seen);
}

CM_TEST_MAIN("cm_keystore", add_cases)
