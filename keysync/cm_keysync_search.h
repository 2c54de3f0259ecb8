/* cm_keysync_search - one LDAP search read whole, page by page (RFC 2696,
 * simple paged results), so that a directory whose size limit is below
 * the number of keys still gives all of them. A page the server cut short
 * (sizeLimitExceeded, timeLimitExceeded, adminLimitExceeded: any result
 * but success), or paging that stops without saying it is done, fails the
 * whole search: a partial list would delete the keys left out. */
#ifndef CM_KEYSYNC_SEARCH_H
#define CM_KEYSYNC_SEARCH_H

#include <ldap.h>
#include <stddef.h>

#define CM_KEYSYNC_SEARCH_PAGE 500          /* entries asked for per page */
#define CM_KEYSYNC_SEARCH_PAGES_MAX 100000  /* a server that never ends */
#define CM_KEYSYNC_SEARCH_TIMEOUT_S 30      /* per page */

/* Called for each entry found: 0 to go on, -1 to stop (err then set). */
typedef int (*cm_keysync_search_fn)(LDAP *ld, LDAPMessage *e, void *ctx, char *err,
                                    size_t errlen);

/* Search base (scope, filter, attrs) page by page, fn on every entry. 0
 * once the server said the last page was sent; -1 with err otherwise (fn
 * may then have seen some entries: the caller discards what it kept). */
int cm_keysync_search_each(LDAP *ld, const char *base, int scope, const char *filter,
                           char **attrs, cm_keysync_search_fn fn, void *ctx, char *err,
                           size_t errlen);

typedef enum cm_keysync_page {
    CM_KEYSYNC_PAGE_DONE,       /* the whole result has been read */
    CM_KEYSYNC_PAGE_MORE,       /* ask for the next page with the cookie */
    CM_KEYSYNC_PAGE_CUT,        /* the server cut the result short: fail */
    CM_KEYSYNC_PAGE_LOST,       /* paging stopped without an end: fail */
    CM_KEYSYNC_PAGE_ENDLESS     /* more than CM_KEYSYNC_SEARCH_PAGES_MAX pages: fail */
} cm_keysync_page;

/* Pure, unit-tested: what the end of a page means. rc: the page's result
 * code; control: whether it carried the paged-results response; cookie_len:
 * that response's cookie length; pages: the pages read, this one included.
 * A server that ignores the (non-critical) control answers the first page
 * with everything and no control: done. Without a control on a later
 * page, nothing says the result is whole. */
cm_keysync_page cm_keysync_search_next(int rc, int control, size_t cookie_len, size_t pages);

#endif
