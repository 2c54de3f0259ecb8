#include "cm_der.h"
#include "cm_test.h"

static int der_ok(const unsigned char *p, size_t n, size_t chunk)
{
    cm_der d;
    size_t off;

    cm_der_init(&d);
    for (off = 0; off < n; off += chunk)
        cm_der_push(&d, p + off, n - off < chunk ? n - off : chunk);
    return cm_der_finish(&d) + 2 * cm_der_is_enveloped(&d);
}

START_TEST(structures)
{
    static const struct {
        unsigned char b[32];
        size_t n;
        int want;           /* 1 well formed, 3 and enveloped, 5 and auth-enveloped */
    } cases[] = {
        {{0x30, 0x03, 0x02, 0x01, 0x05}, 5, 1},
        {{0x30, 0x80, 0x02, 0x01, 0x05, 0x00, 0x00}, 7, 1},
        {{0x30, 0x03, 0x02, 0x01, 0x05, 0x00}, 6, 0},           /* a byte after */
        {{0x30, 0x04, 0x02, 0x01, 0x05}, 5, 0},                 /* short */
        {{0x30, 0x03, 0x02, 0x02, 0x05}, 5, 0},                 /* child past parent */
        {{0x30, 0x80, 0x02, 0x01, 0x05}, 5, 0},                 /* no end-of-contents */
        {{0x02, 0x01, 0x05}, 3, 0},                             /* not a SEQUENCE */
        {{0x30, 0x02, 0x04, 0x80}, 4, 0},                       /* indefinite primitive */
        {{0x30, 0x0f, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x03,
          0xa0, 0x02, 0x05, 0x00}, 17, 3},
        {{0x30, 0x0f, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02,
          0xa0, 0x02, 0x05, 0x00}, 17, 1},                      /* signedData */
        {{0x30, 0x11, 0x06, 0x0b, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x10, 0x01,
          0x17, 0xa0, 0x02, 0x05, 0x00}, 19, 5},                /* authEnvelopedData */
    };
    size_t i, c;

    for (i = 0; i < NELEM(cases); i++)
        for (c = 1; c <= cases[i].n; c++)
            ck_assert_msg(der_ok(cases[i].b, cases[i].n, c) == cases[i].want,
                          "case %zu chunk %zu: got %d", i, c, der_ok(cases[i].b, cases[i].n, c));
}
END_TEST

START_TEST(depth_bounded)
{
    unsigned char deep[2 * (CM_DER_MAX_DEPTH + 2)];
    size_t i;

    for (i = 0; i < CM_DER_MAX_DEPTH + 2; i++) {
        deep[2 * i] = 0x30;
        deep[2 * i + 1] = 0x80;
    }
    ck_assert_int_eq(der_ok(deep, sizeof(deep), sizeof(deep)), 0);
}
END_TEST

/* The kind is known from the first bytes, before the element is whole
 * (what the S/MIME format's gate on streaming waits for), and is lost for
 * good once a byte is out of place. */
START_TEST(kind_known_from_the_prefix)
{
    static const unsigned char env[] = {
        0x30, 0x80, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x03, 0xa0, 0x80,
    };
    static const unsigned char signed_data[] = {
        0x30, 0x80, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02, 0xa0, 0x80,
    };
    static const unsigned char stray[] = {0x30, 0x03, 0x02, 0x01, 0x05, 0x00};
    cm_der d;
    size_t i;

    cm_der_init(&d);
    for (i = 0; i < sizeof(env) - 1; i++) {
        ck_assert_int_eq(cm_der_kind(&d), 0);   /* not yet known */
        cm_der_push(&d, env + i, 1);
    }
    ck_assert_int_eq(cm_der_kind(&d), 1);       /* at the content's [0] */
    cm_der_push(&d, env + i, 1);
    ck_assert_int_eq(cm_der_kind(&d), 1);
    ck_assert_int_eq(cm_der_is_enveloped(&d), 0);       /* not whole */
    cm_der_init(&d);
    cm_der_push(&d, signed_data, sizeof(signed_data));
    ck_assert_int_eq(cm_der_kind(&d), 0);
    cm_der_init(&d);
    cm_der_push(&d, stray, sizeof(stray));
    ck_assert_int_eq(cm_der_kind(&d), 0);
}
END_TEST

static void add(Suite *s)
{
    CM_ADD(s, kind_known_from_the_prefix);
    CM_ADD(s, structures);
    CM_ADD(s, depth_bounded);
}

CM_TEST_MAIN("cm_der", add)
