#include "cm_cidr.h"
#include "cm_test.h"

static const struct {
    const char *net, *addr;
    int match;
} cases[] = {
    {"192.0.2.0/24", "192.0.2.77", 1},
    {"192.0.2.0/24", "192.0.3.1", 0},
    {"10.0.0.0/8", "10.255.255.255", 1},
    {"10.1.2.3", "10.1.2.3", 1},
    {"10.1.2.3", "10.1.2.4", 0},
    {"0.0.0.0/0", "203.0.113.9", 1},
    {"192.0.2.128/25", "192.0.2.127", 0},
    {"192.0.2.128/25", "192.0.2.128", 1},
    {"127.0.0.0/8", "::ffff:127.0.0.1", 1},
    {"127.0.0.0/8", "IPv6:::ffff:127.0.0.2", 1},
    {"2001:db8::/32", "2001:db8:1::5", 1},
    {"2001:db8::/32", "2001:db9::5", 0},
    {"::1", "::1", 1},
    {"::1", "[::1]", 1},
    {"2001:db8::/33", "2001:db8:8000::1", 0},
    {"192.0.2.0/24", "not-an-address", 0},
    {"192.0.2.0/24", "2001:db8::1", 0},
};

START_TEST(matching)
{
    cm_cidr_list l = {NULL, 0};
    cm_cidr c;

    ck_assert_int_eq(cm_cidr_parse(cases[_i].net, &c), 0);
    ck_assert_int_eq(cm_cidr_list_add(&l, &c), 0);
    ck_assert_msg(cm_cidr_list_match(&l, cases[_i].addr) == cases[_i].match,
                  "%s in %s: got %d, want %d", cases[_i].addr, cases[_i].net,
                  !cases[_i].match, cases[_i].match);
    cm_cidr_list_free(&l);
}
END_TEST

START_TEST(malformed)
{
    static const char *const bad[] = {"", "192.0.2.0/33", "::/129", "1.2.3", "1.2.3.4/", "1.2.3.4/x",
                                      "1.2.3.4/-1", "host.example"};
    cm_cidr c;
    size_t i;

    for (i = 0; i < NELEM(bad); i++)
        ck_assert_msg(cm_cidr_parse(bad[i], &c) == -1, "accepted \"%s\"", bad[i]);
}
END_TEST

static void add(Suite *s)
{
    CM_ADD_LOOP(s, matching, NELEM(cases));
    CM_ADD(s, malformed);
}

CM_TEST_MAIN("cm_cidr", add)
