#include "cm_hex.h"
#include "cm_test.h"

#include <string.h>

START_TEST(round_trip)
{
    static const unsigned char bytes[] = {0x00, 0x01, 0x7f, 0x80, 0xab, 0xff};
    unsigned char back[sizeof(bytes)];
    char hex[2 * sizeof(bytes) + 1];

    cm_hex_encode(bytes, sizeof(bytes), hex);
    ck_assert_str_eq(hex, "00017F80ABFF");
    ck_assert_int_eq(cm_hex_decode(hex, strlen(hex), back, sizeof(back)), (long) sizeof(bytes));
    ck_assert(memcmp(back, bytes, sizeof(bytes)) == 0);
    ck_assert_int_eq(cm_hex_decode("00017f80abff", 12, back, sizeof(back)), 6);
    ck_assert(memcmp(back, bytes, sizeof(bytes)) == 0);
    cm_hex_encode(bytes, 0, hex);
    ck_assert_str_eq(hex, "");
    ck_assert_int_eq(cm_hex_decode("", 0, back, 0), 0);
}
END_TEST

/* Never a partial or wrong answer: odd length, a non-digit, too long. */
START_TEST(refusals)
{
    unsigned char out[2] = {0x55, 0x55};

    ck_assert_int_eq(cm_hex_decode("abc", 3, out, sizeof(out)), -1);
    ck_assert_int_eq(cm_hex_decode("0g", 2, out, sizeof(out)), -1);
    ck_assert_int_eq(cm_hex_decode("g0", 2, out, sizeof(out)), -1);
    ck_assert_int_eq(cm_hex_decode(" 0", 2, out, sizeof(out)), -1);
    ck_assert_int_eq(cm_hex_decode("000000", 6, out, sizeof(out)), -1);
    ck_assert_uint_eq(out[0], 0x55);    /* too long: nothing written */
}
END_TEST

/* Only whole v4 (40) or v5/v6 (64) fingerprints: not a key ID, not 41. */
START_TEST(fingerprints)
{
    char v5[65];

    memset(v5, 'a', 64);
    v5[64] = 0;
    ck_assert_int_eq(cm_hex_is_fpr("0123456789ABCDEF0123456789abcdef01234567"), 1);
    ck_assert_int_eq(cm_hex_is_fpr(v5), 1);
    v5[63] = 'g';
    ck_assert_int_eq(cm_hex_is_fpr(v5), 0);
    ck_assert_int_eq(cm_hex_is_fpr("0123456789ABCDEF0123456789abcdef012345678"), 0);
    ck_assert_int_eq(cm_hex_is_fpr("0123456789ABCDEF0123456789abcdef0123456"), 0);
    ck_assert_int_eq(cm_hex_is_fpr("0123456789ABCDEF"), 0);
    ck_assert_int_eq(cm_hex_is_fpr(""), 0);
    ck_assert_int_eq(cm_hex_is_fpr("/etc/cryptmilter/archive.pem"), 0);
}
END_TEST

static void add_cases(Suite *s)
{
    CM_ADD(s, round_trip);
    CM_ADD(s, refusals);
    CM_ADD(s, fingerprints);
}

CM_TEST_MAIN("cm_hex", add_cases)
