#include "cm_keysync_search.h"
#include "cm_test.h"

/* What the end of a page means: only a server that says "last page" (an
 * empty cookie), or one that ignored paging and sent everything on the
 * first page with success, gives a whole result. */
START_TEST(page_outcomes)
{
    static const struct {
        int rc, control;
        size_t cookie, pages;
        cm_keysync_page want;
    } t[] = {
        {LDAP_SUCCESS, 1, 0, 1, CM_KEYSYNC_PAGE_DONE},          /* one page, the last */
        {LDAP_SUCCESS, 1, 0, 7, CM_KEYSYNC_PAGE_DONE},          /* the seventh, the last */
        {LDAP_SUCCESS, 1, 12, 1, CM_KEYSYNC_PAGE_MORE},         /* a cookie: go on */
        {LDAP_SUCCESS, 1, 12, CM_KEYSYNC_SEARCH_PAGES_MAX - 1, CM_KEYSYNC_PAGE_MORE},
        {LDAP_SUCCESS, 1, 12, CM_KEYSYNC_SEARCH_PAGES_MAX, CM_KEYSYNC_PAGE_ENDLESS},
        {LDAP_SUCCESS, 0, 0, 1, CM_KEYSYNC_PAGE_DONE},          /* paging ignored: all */
        {LDAP_SUCCESS, 0, 0, 2, CM_KEYSYNC_PAGE_LOST},          /* paging stopped */
        {LDAP_SIZELIMIT_EXCEEDED, 0, 0, 1, CM_KEYSYNC_PAGE_CUT},
        {LDAP_SIZELIMIT_EXCEEDED, 1, 12, 3, CM_KEYSYNC_PAGE_CUT},
        {LDAP_SIZELIMIT_EXCEEDED, 1, 0, 1, CM_KEYSYNC_PAGE_CUT},
        {LDAP_TIMELIMIT_EXCEEDED, 1, 0, 1, CM_KEYSYNC_PAGE_CUT},
        {LDAP_ADMINLIMIT_EXCEEDED, 1, 0, 2, CM_KEYSYNC_PAGE_CUT},
        {LDAP_UNAVAILABLE_CRITICAL_EXTENSION, 0, 0, 1, CM_KEYSYNC_PAGE_CUT},
    };
    size_t i;

    for (i = 0; i < NELEM(t); i++)
        ck_assert_msg(cm_keysync_search_next(t[i].rc, t[i].control, t[i].cookie, t[i].pages)
                      == t[i].want, "row %zu", i);
}
END_TEST

static void add(Suite *s)
{
    CM_ADD(s, page_outcomes);
}

CM_TEST_MAIN("cm_keysync_search", add)
