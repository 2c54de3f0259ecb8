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
    CM_ADD(s, pieces_equal_the_whole);
}

CM_TEST_MAIN("cm_digest", add)
