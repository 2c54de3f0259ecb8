#include "cm_addrpol.h"
#include "cm_test.h"

#include <string.h>

static const char policy[] =
    "# who must, who must not\n"
    "@example.org          require\n"
    ".example.org          tempfail\n"
    ".eu.example.org       reject\n"
    "postmaster@           never\n"
    "Alice@Example.org     pass\n"
    "bob@example.org       require reject\n"
    "@b\xc3\xbcro.de       never\n"
    "carol@example.org     split";        /* no newline at EOF */

static const struct {
    const char *addr, *base;
    int found, action;
    size_t line;
} cases[] = {
    {"dave@example.org", NULL, 1, CM_ADDRPOL_REQUIRE, 2},
    {"DAVE@EXAMPLE.ORG", NULL, 1, CM_ADDRPOL_REQUIRE, 2},
    {"alice@example.org", NULL, 1, CM_ADDRPOL_PASS, 6},
    {"alice+news@example.org", "alice@example.org", 1, CM_ADDRPOL_PASS, 6},
    {"alice+news@example.org", NULL, 1, CM_ADDRPOL_REQUIRE, 2},
    {"bob@example.org", NULL, 1, CM_ADDRPOL_REQUIRE_REJECT, 7},
    {"carol@example.org", NULL, 1, CM_ADDRPOL_SPLIT, 9},
    {"postmaster@example.org", NULL, 1, CM_ADDRPOL_NEVER, 5},      /* local@ > @domain */
    {"postmaster+x@example.org", "postmaster@example.org", 1, CM_ADDRPOL_NEVER, 5},
    {"postmaster@example.net", NULL, 1, CM_ADDRPOL_NEVER, 5},
    {"x@mail.example.org", NULL, 1, CM_ADDRPOL_TEMPFAIL, 3},
    {"x@a.eu.example.org", NULL, 1, CM_ADDRPOL_REJECT, 4},        /* the longest .sub */
    {"x@eu.example.org", NULL, 1, CM_ADDRPOL_TEMPFAIL, 3},        /* .eu... is below eu */
    {"x@notexample.org", NULL, 0, 0, 0},
    {"x@b\xc3\xbcro.de", NULL, 1, CM_ADDRPOL_NEVER, 8},
    {"x@B\xc3\x9cRO.de", NULL, 1, CM_ADDRPOL_NEVER, 8},            /* Unicode case folded */
    {"x@xn--bro-hoa.de", NULL, 1, CM_ADDRPOL_NEVER, 8},
    {"example.org", NULL, 0, 0, 0},                                /* no '@' */
};

START_TEST(most_specific_wins)
{
    char err[256] = "";
    cm_addrpol *p = cm_addrpol_parse("p", policy, strlen(policy), err, sizeof(err));
    int action = -1;
    size_t line = 0;

    ck_assert_msg(p != NULL, "%s", err);
    ck_assert_uint_eq(cm_addrpol_count(p), 8);
    ck_assert_int_eq(cm_addrpol_find(p, cases[_i].addr, cases[_i].base, &action, &line),
                     cases[_i].found);
    if (cases[_i].found) {
        ck_assert_msg(action == cases[_i].action, "%s: %s", cases[_i].addr,
                      cm_addrpol_action_name(action));
        ck_assert_uint_eq(line, cases[_i].line);
    }
    cm_addrpol_free(p);
}
END_TEST

static const struct {
    const char *text, *err;
} bad[] = {
    {"a@b.org\n", "p:1: \"a@b.org\" has no action"},
    {"a@b.org maybe\n", "p:1: \"maybe\" is not one of require, never, pass, tempfail, reject, split"},
    {"\n@b.org require pass\n", "p:2: require takes tempfail or reject, nothing else"},
    {"@b.org never now\n", "p:1: \"now\" after never"},
    {"example.org never\n", "p:1: \"example.org\" is not a pattern (write @example.org or .example.org)"},
    {"a@b@c never\n", "p:1: \"a@b@c\" is not an address"},
    {"@ never\n", "p:1: \"@\" is not a pattern"},
    {"..x never\n", "p:1: \"..x\" is not a pattern"},
    {"@B.org never\n@b.ORG pass\n", "p:2: \"@b.org\" is given twice (first on line 1)"},
    {"a@b.org never\r\nA@B.org never\n", "p:2: \"a@b.org\" is given twice (first on line 1)"},
    /* The envelope's domain has lost its trailing dot (cm_addr_bare): one
     * in a pattern would never match, the rule silently dead. */
    {"@example.org. require\n", "p:1: \"@example.org.\" ends in a dot (write @example.org)"},
    {"alice@example.org. require\n",
     "p:1: \"alice@example.org.\" ends in a dot (write alice@example.org)"},
    {".example.org. require\n", "p:1: \".example.org.\" ends in a dot (write .example.org)"},
};

START_TEST(refused)
{
    char err[256] = "";
    cm_addrpol *p = cm_addrpol_parse("p", bad[_i].text, strlen(bad[_i].text), err, sizeof(err));

    ck_assert_ptr_null(p);
    ck_assert_str_eq(err, bad[_i].err);
}
END_TEST

/* An IDN domain reaches the gateway in either form: as a U-label (UTF-8,
 * SMTPUTF8) or as its A-label (xn--), and the MTA delivers both to the same
 * place. A rule written in one form must match the other. */
static const char idn_policy[] =
    "@b\xc3\xbc" "cher.example   require\n"
    "@xn--caf-dma.example   never\n"
    ".xn--bcher-kva.example pass\n"
    "alice@b\xc3\xbc" "cher.example reject\n";

static const struct {
    const char *addr, *base;
    int action;
    size_t line;
} idn_cases[] = {
    {"x@xn--bcher-kva.example", NULL, CM_ADDRPOL_REQUIRE, 1},
    {"x@b\xc3\xbc" "cher.example", NULL, CM_ADDRPOL_REQUIRE, 1},
    {"x@caf\xc3\xa9.example", NULL, CM_ADDRPOL_NEVER, 2},
    {"x@a.b\xc3\xbc" "cher.example", NULL, CM_ADDRPOL_PASS, 3},
    {"Alice@xn--bcher-kva.example", NULL, CM_ADDRPOL_REJECT, 4},
    {"alice+x@xn--bcher-kva.example", "alice@xn--bcher-kva.example", CM_ADDRPOL_REJECT, 4},
};

START_TEST(idn_either_form)
{
    char err[256] = "";
    cm_addrpol *p = cm_addrpol_parse("p", idn_policy, strlen(idn_policy), err, sizeof(err));
    int action = -1;
    size_t line = 0;

    ck_assert_msg(p != NULL, "%s", err);
    ck_assert_int_eq(cm_addrpol_find(p, idn_cases[_i].addr, idn_cases[_i].base, &action, &line), 1);
    ck_assert_msg(action == idn_cases[_i].action, "%s: %s", idn_cases[_i].addr,
                  cm_addrpol_action_name(action));
    ck_assert_uint_eq(line, idn_cases[_i].line);
    cm_addrpol_free(p);
}
END_TEST

/* The rules written in upper case: UTS#46 folds it, so each still holds
 * for the domain in every form; a require that matched nothing would let
 * the mail go in clear. */
static const char idn_upper[] =
    "@B\xc3\x9c" "CHER.example   require\n"
    ".CAF\xc3\x89.example        never\n"
    "Alice@B\xc3\x9c" "CHER.Example reject\n";

static const struct {
    const char *addr;
    int action;
    size_t line;
} upper_cases[] = {
    {"x@b\xc3\xbc" "cher.example", CM_ADDRPOL_REQUIRE, 1},
    {"x@xn--bcher-kva.example", CM_ADDRPOL_REQUIRE, 1},
    {"x@B\xc3\x9c" "CHER.example", CM_ADDRPOL_REQUIRE, 1},
    {"x@b\xc3\x9c" "cher.EXAMPLE", CM_ADDRPOL_REQUIRE, 1},
    {"x@mail.caf\xc3\xa9.example", CM_ADDRPOL_NEVER, 2},
    {"x@mail.xn--caf-dma.example", CM_ADDRPOL_NEVER, 2},
    {"alice@xn--bcher-kva.example", CM_ADDRPOL_REJECT, 3},
    {"alice@B\xc3\x9c" "cher.example", CM_ADDRPOL_REJECT, 3},
};

START_TEST(idn_upper_case)
{
    char err[256] = "";
    cm_addrpol *p = cm_addrpol_parse("p", idn_upper, strlen(idn_upper), err, sizeof(err));
    int action = -1;
    size_t line = 0;

    ck_assert_msg(p != NULL, "%s", err);
    ck_assert_int_eq(cm_addrpol_find(p, upper_cases[_i].addr, NULL, &action, &line), 1);
    ck_assert_msg(action == upper_cases[_i].action, "%s: %s", upper_cases[_i].addr,
                  cm_addrpol_action_name(action));
    ck_assert_uint_eq(line, upper_cases[_i].line);
    cm_addrpol_free(p);
}
END_TEST

START_TEST(idn_refused)
{
    static const char twice[] = "@b\xc3\xbc" "cher.example never\n@xn--bcher-kva.example pass\n";
    static const char upper[] = "@b\xc3\xbc" "cher.example never\n@B\xc3\x9c" "CHER.example pass\n";
    static const char broken[] = "@b\xc3.example never\n";
    char err[256] = "";

    ck_assert_ptr_null(cm_addrpol_parse("p", twice, strlen(twice), err, sizeof(err)));
    ck_assert_str_eq(err, "p:2: \"@xn--bcher-kva.example\" is given twice (first on line 1)");
    ck_assert_ptr_null(cm_addrpol_parse("p", upper, strlen(upper), err, sizeof(err)));
    ck_assert_str_eq(err, "p:2: \"@b\xc3\x9c" "cher.example\" is given twice (first on line 1)");
    ck_assert_ptr_null(cm_addrpol_parse("p", broken, strlen(broken), err, sizeof(err)));
    ck_assert_msg(strncmp(err, "p:1: \"@b\xc3.example\" is not a domain name IDNA2008 takes",
                          strlen("p:1: \"@b\xc3.example\" is not a domain name IDNA2008 takes")) == 0,
                  "%s", err);
}
END_TEST

START_TEST(none_matches_nothing)
{
    int action = -1;

    ck_assert_int_eq(cm_addrpol_find(NULL, "a@b.org", NULL, &action, NULL), 0);
    ck_assert_int_eq(action, -1);
    ck_assert_str_eq(cm_addrpol_action_name(CM_ADDRPOL_REQUIRE_REJECT), "require reject");
    ck_assert_str_eq(cm_addrpol_action_name(99), "?");
}
END_TEST

static void add(Suite *s)
{
    CM_ADD_LOOP(s, most_specific_wins, sizeof(cases) / sizeof(cases[0]));
    CM_ADD_LOOP(s, refused, sizeof(bad) / sizeof(bad[0]));
    CM_ADD(s, none_matches_nothing);
    CM_ADD_LOOP(s, idn_upper_case, sizeof(upper_cases) / sizeof(upper_cases[0]));
    CM_ADD_LOOP(s, idn_either_form, sizeof(idn_cases) / sizeof(idn_cases[0]));
    CM_ADD(s, idn_refused);
}

CM_TEST_MAIN("cm_addrpol", add)
