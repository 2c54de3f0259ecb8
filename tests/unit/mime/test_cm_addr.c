#include "cm_addr.h"
#include "cm_test.h"

#include <stdlib.h>
#include <string.h>

static const struct {
    const char *in, *out, *domain;
} cases[] = {
    {"<alice@Example.ORG>", "alice@example.org", "example.org"},
    {"Alice@example.org", "Alice@example.org", "example.org"},
    {" <bob@x.example> ", "bob@x.example", "x.example"},
    {"<@relay.example,@b.example:carol@Y.example>", "carol@y.example", "y.example"},
    {"<>", "", ""},
    {"postmaster", "postmaster", ""},
    {"<\"alice\"@example.org>", "alice@example.org", "example.org"},
    {"<\"al\\ice\"@Example.ORG.>", "alice@example.org", "example.org"},
    {"<\"a.b\"@example.org>", "a.b@example.org", "example.org"},
    {"<\"a b\"@example.org>", "\"a b\"@example.org", "example.org"},
    {"<\"a..b\"@example.org>", "\"a..b\"@example.org", "example.org"},
    {"<alice@example.org.>", "alice@example.org", "example.org"},
};

START_TEST(bare_table)
{
    char *b = cm_addr_bare(cases[_i].in);

    ck_assert_str_eq(b, cases[_i].out);
    ck_assert_str_eq(cm_addr_domain(b), cases[_i].domain);
    free(b);
}
END_TEST

START_TEST(base_address)
{
    static const struct {
        const char *in, *delims, *out;
    } b[] = {
        {"alice+news@example.org", "+", "alice@example.org"},
        {"alice-x+y@example.org", "+-", "alice@example.org"},
        {"alice@example.org", "+", NULL},
        {"+news@example.org", "+", NULL},
        {"alice+news@example.org", "", NULL},
        {"\"a+b c\"@example.org", "+", NULL},
    };
    size_t i;

    for (i = 0; i < NELEM(b); i++) {
        char *got = (char *) "unset";
        int r = cm_addr_base(b[i].in, b[i].delims, &got);

        if (b[i].out == NULL)
            ck_assert_msg(r == 0 && got == NULL, "%s: got %d %s", b[i].in, r, got);
        else
            ck_assert_msg(r == 1 && got != NULL && strcmp(got, b[i].out) == 0, "%s", b[i].in);
        free(got);
    }
}
END_TEST

static void add(Suite *s)
{
    CM_ADD(s, base_address);
    CM_ADD_LOOP(s, bare_table, NELEM(cases));
}

CM_TEST_MAIN("cm_addr", add)
