#include "cm_crc24.h"
#include "cm_test.h"

#include <stdlib.h>
#include <string.h>

/* The CRC as RFC 4880 6.1 writes it, one bit at a time: the reference
 * for the table, the slicing and the carry-less folding. */
static uint32_t crc24_bitwise(uint32_t crc, const unsigned char *p, size_t n)
{
    int i;

    while (n-- > 0) {
        crc ^= (uint32_t) *p++ << 16;
        for (i = 0; i < 8; i++)
            if ((crc <<= 1) & 0x1000000u)
                crc ^= 0x1864CFBu;
    }
    return crc & 0xFFFFFFu;
}

/* Bytes from a fixed xorshift: the same "random" data every run. */
static void fill(unsigned char *p, size_t n, uint32_t seed)
{
    size_t i;

    for (i = 0; i < n; i++) {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        p[i] = (unsigned char) seed;
    }
}

START_TEST(known_values)
{
    /* CRC-24/OPENPGP's check value, and of nothing the initial value. */
    ck_assert_uint_eq(cm_crc24(CM_CRC24_INIT, (const unsigned char *) "123456789", 9), 0x21CF02);
    ck_assert_uint_eq(cm_crc24_bytes(CM_CRC24_INIT, (const unsigned char *) "123456789", 9),
                      0x21CF02);
    ck_assert_uint_eq(cm_crc24(CM_CRC24_INIT, (const unsigned char *) "", 0), CM_CRC24_INIT);
}
END_TEST

/* Every length from 0 to 700 (below and past each fast path's threshold
 * and block size) at every alignment in 16, and long ones. */
START_TEST(matches_bitwise)
{
    static unsigned char buf[70000 + 16];
    size_t len, off;

    fill(buf, sizeof(buf), 0x9E3779B9u);
    for (off = 0; off < 16; off++)
        for (len = 0; len <= 700; len++)
            ck_assert_uint_eq(cm_crc24(CM_CRC24_INIT, buf + off, len),
                              crc24_bitwise(CM_CRC24_INIT, buf + off, len));
    for (len = 65536 - 17; len < 70000; len += 1031)
        ck_assert_uint_eq(cm_crc24(0x123456u, buf + 7, len), crc24_bitwise(0x123456u, buf + 7, len));
}
END_TEST

/* Continued across any split, as the armor writer and reader call it. */
START_TEST(split_anywhere)
{
    static unsigned char buf[5000];
    uint32_t whole;
    size_t cut;

    fill(buf, sizeof(buf), 12345u);
    whole = crc24_bitwise(CM_CRC24_INIT, buf, sizeof(buf));
    for (cut = 0; cut <= sizeof(buf); cut += 37)
        ck_assert_uint_eq(cm_crc24(cm_crc24(CM_CRC24_INIT, buf, cut), buf + cut,
                                   sizeof(buf) - cut), whole);
}
END_TEST

/* All ones and all zeros (a zero CRC state through zero blocks). */
START_TEST(uniform_data)
{
    static unsigned char buf[4096];

    memset(buf, 0xff, sizeof(buf));
    ck_assert_uint_eq(cm_crc24(CM_CRC24_INIT, buf, sizeof(buf)),
                      crc24_bitwise(CM_CRC24_INIT, buf, sizeof(buf)));
    memset(buf, 0, sizeof(buf));
    ck_assert_uint_eq(cm_crc24(0, buf, sizeof(buf)), 0);
    ck_assert_uint_eq(cm_crc24(CM_CRC24_INIT, buf, sizeof(buf)),
                      crc24_bitwise(CM_CRC24_INIT, buf, sizeof(buf)));
}
END_TEST

static void add(Suite *s)
{
    CM_ADD(s, known_values);
    CM_ADD(s, matches_bitwise);
    CM_ADD(s, split_anywhere);
    CM_ADD(s, uniform_data);
}

CM_TEST_MAIN("cm_crc24", add)
