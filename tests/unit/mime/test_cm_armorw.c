#include "cm_armor.h"
#include "cm_armorw.h"
#include "cm_pgpfake.h"
#include "cm_test.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

/* RFC 4880 6.1's CRC-24, bit by bit as the RFC writes it: the oracle for
 * the table-driven cm_crc24 the writer uses. */
static uint32_t crc24_rfc(const unsigned char *p, size_t n)
{
    uint32_t crc = 0xB704CEu;
    size_t i;
    int b;

    for (i = 0; i < n; i++) {
        crc ^= (uint32_t) p[i] << 16;
        for (b = 0; b < 8; b++) {
            crc <<= 1;
            if (crc & 0x1000000u)
                crc ^= 0x1864CFBu;
        }
    }
    return crc & 0xFFFFFFu;
}

/* The armor of in as it must be: OpenSSL's base64 cut into lines of 64
 * with CRLF, the RFC's CRC-24, no armor headers. */
static void expected(const unsigned char *in, size_t len, cm_buf *want)
{
    unsigned char *ref = malloc(len * 2 + 8), c[3], cb[8];
    uint32_t crc = crc24_rfc(in, len);
    size_t off;
    int n;

    ck_assert_ptr_nonnull(ref);
    cm_buf_puts(want, "-----BEGIN PGP MESSAGE-----\r\n\r\n");
    n = EVP_EncodeBlock(ref, in, (int) len);
    for (off = 0; off < (size_t) n; off += 64) {
        cm_buf_append(want, ref + off, (size_t) n - off < 64 ? (size_t) n - off : 64);
        cm_buf_puts(want, "\r\n");
    }
    c[0] = (unsigned char) (crc >> 16);
    c[1] = (unsigned char) (crc >> 8);
    c[2] = (unsigned char) crc;
    ck_assert_int_eq(EVP_EncodeBlock(cb, c, 3), 4);
    cm_buf_puts(want, "=");
    cm_buf_append(want, cb, 4);
    cm_buf_puts(want, "\r\n-----END PGP MESSAGE-----\r\n");
    free(ref);
}

/* Every length from 0 to 200 (each tail of a group, short and full last
 * lines), fed in chunks of 1 to 7 and whole. */
START_TEST(armor_matches_openssl_and_rfc_crc)
{
    static const size_t chunks[] = {1, 2, 3, 4, 5, 6, 7, 100000};
    size_t len = (size_t) _i, i, c, off;
    unsigned char *in = malloc(len + 1);
    cm_buf want = CM_BUF_INIT;

    ck_assert_ptr_nonnull(in);
    for (i = 0; i < len; i++)
        in[i] = (unsigned char) (i * 167 + 13);
    expected(in, len, &want);
    for (c = 0; c < NELEM(chunks); c++) {
        cm_buf got = CM_BUF_INIT;
        cm_armorw w;

        ck_assert_int_eq(cm_armorw_begin(&w, &got), 0);
        for (off = 0; off < len; off += chunks[c])
            ck_assert_int_eq(cm_armorw_push(&w, in + off, len - off < chunks[c] ? len - off
                                            : chunks[c], &got), 0);
        ck_assert_int_eq(cm_armorw_finish(&w, &got), 0);
        ck_assert_msg(got.len == want.len && memcmp(got.data, want.data, got.len) == 0,
                      "length %zu, chunk %zu:\n%s\nwant\n%s", len, chunks[c], got.data, want.data);
        cm_buf_free(&got);
    }
    cm_buf_free(&want);
    free(in);
}
END_TEST

/* The table CRC agrees with the RFC's over random data cut anywhere. */
START_TEST(crc24_table_matches_rfc)
{
    unsigned char buf[4096];
    size_t i, cut;
    uint32_t crc;

    srand(7 + (unsigned) _i);
    for (i = 0; i < sizeof(buf); i++)
        buf[i] = (unsigned char) rand();
    cut = (size_t) rand() % sizeof(buf);
    crc = cm_crc24(cm_crc24(CM_CRC24_INIT, buf, cut), buf + cut, sizeof(buf) - cut);
    ck_assert_uint_eq(crc, crc24_rfc(buf, sizeof(buf)));
}
END_TEST

/* What the writer makes of an encrypted message, the armor reader (which
 * reads what users send) takes for one. */
START_TEST(reader_accepts_writer)
{
    cm_buf pk = CM_BUF_INIT, text = CM_BUF_INIT;
    cm_armorw w;
    cm_armor a;

    fake_packet(&pk, 1, 94);
    fake_packet(&pk, 18, 5000);
    ck_assert_int_eq(cm_armorw_begin(&w, &text), 0);
    ck_assert_int_eq(cm_armorw_push(&w, pk.data, pk.len, &text), 0);
    ck_assert_int_eq(cm_armorw_finish(&w, &text), 0);
    cm_armor_init(&a);
    ck_assert_int_eq(cm_armor_push(&a, text.data, text.len), 0);
    ck_assert_int_eq(cm_armor_finish(&a), 1);
    ck_assert_uint_eq(a.decoded, pk.len);
    cm_armor_free(&a);
    cm_buf_free(&pk);
    cm_buf_free(&text);
}
END_TEST

static void add(Suite *s)
{
    CM_ADD_LOOP(s, armor_matches_openssl_and_rfc_crc, 201);
    CM_ADD_LOOP(s, crc24_table_matches_rfc, 50);
    CM_ADD(s, reader_accepts_writer);
}

CM_TEST_MAIN("cm_armorw", add)
