#include "cm_addr.h"
#include "cm_test.h"

#include <stdlib.h>

static const struct {
    const char *in, *out, *domain;
} cases[] = {
    {"<alice@Example.ORG>", "alice@example.org", "example.org"},
    {"Alice@example.org", "Alice@example.org", "example.org"},
    {" <bob@x.example> ", "bob@x.example", "x.example"},
    {"<@relay.example,@b.example:carol@Y.example>", "carol@y.example", "y.example"},
    {"<>", "", ""},
    {"postmaster", "postmaster", ""},
};

START_TEST(bare_table)
{
    char *b = cm_addr_bare(cases[_i].in);

    ck_assert_str_eq(b, cases[_i].out);
    ck_assert_str_eq(cm_addr_domain(b), cases[_i].domain);
    free(b);
}
END_TEST

static void add(Suite *s)
{
    CM_ADD_LOOP(s, bare_table, NELEM(cases));
}

CM_TEST_MAIN("cm_addr", add)
