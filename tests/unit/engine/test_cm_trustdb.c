#include "cm_trustdb.h"
#include "cm_test.h"

#include <string.h>

#define ALICE "D47FD3127F81979966C4571F53C0670F0A09C9E8"
#define FRANK "DF3AE38D842764E8A51418823BD782373F6CD1F9"

static void hex20(const char *hex, unsigned char *out)
{
    size_t i;

    for (i = 0; i < 20; i++) {
        unsigned v;

        ck_assert_int_eq(sscanf(hex + 2 * i, "%2x", &v), 1);
        out[i] = (unsigned char) v;
    }
}

/* A version record and one trust record per (fingerprint, ownertrust). */
static size_t image(unsigned char *p, const char *const *fprs, const unsigned char *trust,
                    size_t n)
{
    size_t i;

    memset(p, 0, 40 * (n + 1));
    p[0] = 1;
    memcpy(p + 1, "gpg", 3);
    p[4] = 3;
    for (i = 0; i < n; i++) {
        unsigned char *r = p + 40 * (i + 1);

        r[0] = 12;
        hex20(fprs[i], r + 2);
        r[22] = trust[i];
    }
    return 40 * (n + 1);
}

START_TEST(disabled_flag_read)
{
    static const char *const fprs[] = {ALICE, FRANK};
    static const unsigned char trust[] = {6, 0x80 | 6};     /* ultimate; disabled+ultimate */
    unsigned char p[200];
    cm_trustdb t;
    char err[128];
    size_t n = image(p, fprs, trust, 2);

    ck_assert_int_eq(cm_trustdb_parse(p, n, &t, err, sizeof(err)), 0);
    ck_assert_uint_eq(t.n, 1);
    ck_assert(cm_trustdb_is_disabled(&t, FRANK));
    ck_assert(cm_trustdb_is_disabled(&t, "df3ae38d842764e8a51418823bd782373f6cd1f9"));
    ck_assert(!cm_trustdb_is_disabled(&t, ALICE));
    ck_assert(!cm_trustdb_is_disabled(&t, "DF3AE38D"));    /* not a fingerprint */
    ck_assert(!cm_trustdb_is_disabled(&t, "ZZ3AE38D842764E8A51418823BD782373F6CD1F9"));
    cm_trustdb_free(&t);
}
END_TEST

/* Records of other types with the 0x80 bit where a trust record keeps its
 * ownertrust are not trust records. */
START_TEST(other_records_ignored)
{
    static const char *const fprs[] = {FRANK};
    static const unsigned char trust[] = {0x80};
    unsigned char p[120];
    cm_trustdb t;
    char err[128];
    size_t n = image(p, fprs, trust, 1);

    p[40] = 13;             /* a validity record */
    ck_assert_int_eq(cm_trustdb_parse(p, n, &t, err, sizeof(err)), 0);
    ck_assert_uint_eq(t.n, 0);
    ck_assert(!cm_trustdb_is_disabled(&t, FRANK));
    cm_trustdb_free(&t);
}
END_TEST

/* Not a trust database, or one cut short: an error, never "nothing is
 * disabled" (which would make a disabled key a recipient). */
START_TEST(damage_is_an_error)
{
    static const char *const fprs[] = {FRANK};
    static const unsigned char trust[] = {0x86};
    unsigned char p[120];
    cm_trustdb t;
    char err[128];
    size_t n = image(p, fprs, trust, 1);

    ck_assert_int_eq(cm_trustdb_parse(p, n - 1, &t, err, sizeof(err)), -1);
    ck_assert_int_eq(cm_trustdb_parse(p, 0, &t, err, sizeof(err)), -1);
    p[1] = 'x';
    ck_assert_int_eq(cm_trustdb_parse(p, n, &t, err, sizeof(err)), -1);
    ck_assert(strstr(err, "trust database") != NULL);
}
END_TEST

static void add_cases(Suite *s)
{
    CM_ADD(s, disabled_flag_read);
    CM_ADD(s, other_records_ignored);
    CM_ADD(s, damage_is_an_error);
}

CM_TEST_MAIN("cm_trustdb", add_cases)
