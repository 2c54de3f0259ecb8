#include "cm_digest.h"
#include "cm_test.h"

#include <string.h>

static void hex(const unsigned char *d, char *out)
{
    size_t i;

    for (i = 0; i < CM_DIGEST_LEN; i++)
        sprintf(out + 2 * i, "%02x", d[i]);
}

START_TEST(known_vectors)
{
    unsigned char d[CM_DIGEST_LEN];
    char h[2 * CM_DIGEST_LEN + 1];

    ck_assert_int_eq(cm_digest_once("", 0, d), 0);
    hex(d, h);
    ck_assert_str_eq(h, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    ck_assert_int_eq(cm_digest_once("abc", 3, d), 0);
    hex(d, h);
    ck_assert_str_eq(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}
END_TEST

/* FIPS 180's SHA-1 examples. */
START_TEST(sha1_vectors)
{
    static const unsigned char abc[20] = {
        0xa9, 0x99, 0x3e, 0x36, 0x47, 0x06, 0x81, 0x6a, 0xba, 0x3e,
        0x25, 0x71, 0x78, 0x50, 0xc2, 0x6c, 0x9c, 0xd0, 0xd8, 0x9d};
    static const unsigned char two[20] = {
        0x84, 0x98, 0x3e, 0x44, 0x1c, 0x3b, 0xd2, 0x6e, 0xba, 0xae,
        0x4a, 0xa1, 0xf9, 0x51, 0x29, 0xe5, 0xe5, 0x46, 0x70, 0xf1};
    const char *s = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    unsigned char d[20];

    ck_assert_int_eq(cm_digest_sha1("abc", 3, d), 0);
    ck_assert(memcmp(d, abc, sizeof(d)) == 0);
    ck_assert_int_eq(cm_digest_sha1(s, strlen(s), d), 0);
    ck_assert(memcmp(d, two, sizeof(d)) == 0);
}
END_TEST

START_TEST(pieces_equal_the_whole)
{
    const char *s = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    unsigned char whole[CM_DIGEST_LEN], parts[CM_DIGEST_LEN];
    size_t cut, n = strlen(s);

    ck_assert_int_eq(cm_digest_once(s, n, whole), 0);
    for (cut = 0; cut <= n; cut++) {
        cm_digest *d = cm_digest_new();

        ck_assert(d != NULL);
        ck_assert_int_eq(cm_digest_update(d, s, cut), 0);
        ck_assert_int_eq(cm_digest_update(d, s + cut, n - cut), 0);
        ck_assert_int_eq(cm_digest_final(d, parts), 0);
        ck_assert(memcmp(whole, parts, CM_DIGEST_LEN) == 0);
        cm_digest_free(d);
    }
}
END_TEST

static void add(Suite *s)
{
    CM_ADD(s, known_vectors);
    CM_ADD(s, sha1_vectors);
    CM_ADD(s, pieces_equal_the_whole);
}

CM_TEST_MAIN("cm_digest", add)
