#include "cm_alias.h"
#include "cm_test.h"

#include <string.h>

START_TEST(members)
{
    static const char text[] = "# sales\nSales@Example.org alice@example.org, Bob@example.org\n"
                               "info@example.org carol@example.org";
    char err[256] = "";
    cm_alias *a = cm_alias_parse("a", text, strlen(text), err, sizeof(err));
    const char *const *m;
    size_t n = 9;

    ck_assert_msg(a != NULL, "%s", err);
    ck_assert_uint_eq(cm_alias_count(a), 2);
    ck_assert_ptr_nonnull(m = cm_alias_find(a, "SALES@example.ORG", &n));
    ck_assert_uint_eq(n, 2);
    ck_assert_str_eq(m[0], "alice@example.org");
    ck_assert_str_eq(m[1], "bob@example.org");
    ck_assert_ptr_nonnull(m = cm_alias_find(a, "info@example.org", &n));
    ck_assert_uint_eq(n, 1);
    ck_assert_ptr_null(cm_alias_find(a, "alice@example.org", &n));
    ck_assert_uint_eq(n, 0);
    ck_assert_ptr_null(cm_alias_find(NULL, "sales@example.org", &n));
    cm_alias_free(a);
}
END_TEST

/* An alias or member written with an upper-case IDN domain: kept in the
 * one form domains are compared in (A-label, Unicode case folded), so the
 * alias is found from either form and each member's key looked up in both
 * (cm_engcall), whatever case the file used. */
START_TEST(idn_folded)
{
    static const char text[] = "Sales@B\xc3\x9c" "CHER.example m@B\xc3\x9c" "CHER.example, "
                               "n@caf\xc3\xa9.example\n";
    char err[256] = "";
    cm_alias *a = cm_alias_parse("a", text, strlen(text), err, sizeof(err));
    const char *const *m;
    size_t n = 9;

    ck_assert_msg(a != NULL, "%s", err);
    ck_assert_ptr_nonnull(m = cm_alias_find(a, "sales@xn--bcher-kva.example", &n));
    ck_assert_uint_eq(n, 2);
    ck_assert_str_eq(m[0], "m@xn--bcher-kva.example");
    ck_assert_str_eq(m[1], "n@xn--caf-dma.example");
    ck_assert_ptr_nonnull(cm_alias_find(a, "SALES@XN--BCHER-KVA.EXAMPLE", &n));
    cm_alias_free(a);
}
END_TEST

static const struct {
    const char *text, *err;
} bad[] = {
    {"sales@example.org\n", "a:1: alias \"sales@example.org\" has no members"},
    {"sales a@b.org\n", "a:1: \"sales\" is not an address"},
    {"sales@b.org a@\n", "a:1: \"a@\" is not an address"},
    /* Envelope domains lose their trailing dot: such an alias would never
     * match, its mail looked up as a plain address. */
    {"sales@b.org. a@b.org\n", "a:1: \"sales@b.org.\" ends in a dot (write sales@b.org)"},
    {"sales@b.org a@b.org.\n", "a:1: \"a@b.org.\" ends in a dot (write a@b.org)"},
    {"s@b.org a@b.org A@B.org\n", "a:1: \"a@b.org\" is listed twice"},
    {"s@b.org S@b.org\n", "a:1: alias \"s@b.org\" lists itself"},
    /* one IDN domain in two spellings is one address */
    {"s@b.org a@b\xc3\xbc" "cher.example a@B\xc3\x9c" "CHER.example\n",
     "a:1: \"a@b\xc3\x9c" "cher.example\" is listed twice"},
    {"s@b\xc3\xbc" "cher.example a@b.org\ns@XN--BCHER-KVA.example c@b.org\n",
     "a:2: alias \"s@xn--bcher-kva.example\" is given twice (first on line 1)"},
    {"s@b.org a@b.org\nS@B.ORG c@b.org\n", "a:2: alias \"s@b.org\" is given twice (first on line 1)"},
    /* a loop, and a nesting without one: both refused */
    {"x@b.org y@b.org\ny@b.org x@b.org\n", "a:1: member \"y@b.org\" is an alias itself (aliases do not nest)"},
    {"x@b.org a@b.org, y@b.org\ny@b.org c@b.org\n",
     "a:1: member \"y@b.org\" is an alias itself (aliases do not nest)"},
};

START_TEST(refused)
{
    char err[256] = "";

    ck_assert_ptr_null(cm_alias_parse("a", bad[_i].text, strlen(bad[_i].text), err, sizeof(err)));
    ck_assert_str_eq(err, bad[_i].err);
}
END_TEST

START_TEST(too_many_members)
{
    char text[4096] = "big@example.org";
    char err[256] = "";
    size_t i;

    for (i = 0; i < CM_ALIAS_MAX_MEMBERS + 1; i++)
        snprintf(text + strlen(text), sizeof(text) - strlen(text), " m%zu@example.org", i);
    ck_assert_ptr_null(cm_alias_parse("a", text, strlen(text), err, sizeof(err)));
    ck_assert_str_eq(err, "a:1: alias \"big@example.org\" has more than 32 members");
}
END_TEST

static void add(Suite *s)
{
    CM_ADD(s, members);
    CM_ADD(s, idn_folded);
    CM_ADD_LOOP(s, refused, sizeof(bad) / sizeof(bad[0]));
    CM_ADD(s, too_many_members);
}

CM_TEST_MAIN("cm_alias", add)
