#include "cm_pgowner.h"
#include "cm_test.h"

#include <string.h>

static const unsigned char RND[CM_PGOWNER_RANDOM] = {0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef};

START_TEST(node_qid_random)
{
    char out[200];

    ck_assert_int_eq(cm_pgowner_make("a", "4XyZ1", RND, out, sizeof(out)), 0);
    ck_assert_str_eq(out, "a:4XyZ1:0123456789ABCDEF");
}
END_TEST

/* The token splits on ':' into its three parts, whatever node and qid hold. */
START_TEST(colons_and_empty_parts)
{
    char out[200];

    ck_assert_int_eq(cm_pgowner_make("gw:1", NULL, RND, out, sizeof(out)), 0);
    ck_assert_str_eq(out, "gw_1:-:0123456789ABCDEF");
    ck_assert_int_eq(cm_pgowner_make("", "Q:2", RND, out, sizeof(out)), 0);
    ck_assert_str_eq(out, "-:Q_2:0123456789ABCDEF");
}
END_TEST

START_TEST(long_parts_cut)
{
    char node[300], out[200];

    memset(node, 'n', sizeof(node) - 1);
    node[sizeof(node) - 1] = 0;
    ck_assert_int_eq(cm_pgowner_make(node, node, RND, out, sizeof(out)), 0);
    ck_assert_uint_eq(strlen(out), 64 + 1 + 64 + 1 + 2 * CM_PGOWNER_RANDOM);
    ck_assert_int_eq(cm_pgowner_make("a", "b", RND, out, 2 * 65 + 2 * CM_PGOWNER_RANDOM), -1);
}
END_TEST

/* Two checks of one message differ by their random part. */
START_TEST(random_part_distinguishes)
{
    unsigned char other[CM_PGOWNER_RANDOM];
    char a[200], b[200];

    memcpy(other, RND, sizeof(other));
    other[7] ^= 1;
    ck_assert_int_eq(cm_pgowner_make("a", "Q", RND, a, sizeof(a)), 0);
    ck_assert_int_eq(cm_pgowner_make("a", "Q", other, b, sizeof(b)), 0);
    ck_assert_str_ne(a, b);
}
END_TEST

static void add(Suite *s)
{
    CM_ADD(s, node_qid_random);
    CM_ADD(s, colons_and_empty_parts);
    CM_ADD(s, long_parts_cut);
    CM_ADD(s, random_part_distinguishes);
}

CM_TEST_MAIN("cm_pgowner", add)
