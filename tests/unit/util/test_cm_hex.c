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

static void add_cases(Suite *s)
{
    CM_ADD(s, round_trip);
    CM_ADD(s, refusals);
}

CM_TEST_MAIN("cm_hex", add_cases)
