#include "cm_g10.h"
#include "cm_test.h"

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

static void add_cases(Suite *s)
{
    CM_ADD(s, extended_format_to_canonical);
    CM_ADD(s, canonical_kept);
    CM_ADD(s, not_a_key_file);
}

CM_TEST_MAIN("cm_g10", add_cases)
