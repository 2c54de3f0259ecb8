/* cm_keysync_search - a paged LDAP search (RFC 2696). */
#include "cm_keysync_search.h"

#include <stdio.h>
#include <sys/time.h>

cm_keysync_page cm_keysync_search_next(int rc, int control, size_t cookie_len, size_t pages)
{
    if (rc != LDAP_SUCCESS)
        return CM_KEYSYNC_PAGE_CUT;
    if (!control)
        return pages == 1 ? CM_KEYSYNC_PAGE_DONE : CM_KEYSYNC_PAGE_LOST;
    if (cookie_len == 0)
        return CM_KEYSYNC_PAGE_DONE;
    return pages >= CM_KEYSYNC_SEARCH_PAGES_MAX ? CM_KEYSYNC_PAGE_ENDLESS : CM_KEYSYNC_PAGE_MORE;
}

/* One page: the search with the paged-results control (cookie: where the
 * last page ended, empty at first), fn on its entries; its result code,
 * the response control's presence and the next cookie (replacing *cookie;
 * the caller ber_memfrees it). -1 with err on a local failure. */
static int page(LDAP *ld, const char *base, int scope, const char *filter, char **attrs,
                cm_keysync_search_fn fn, void *ctx, struct berval *cookie, int *rc,
                int *control, char *err, size_t errlen)
{
    struct timeval tv = {CM_KEYSYNC_SEARCH_TIMEOUT_S, 0};
    LDAPControl *pc = NULL, *sctrls[2] = {NULL, NULL}, **rctrls = NULL, *resp;
    LDAPMessage *res = NULL, *e;
    struct berval next = {0, NULL};
    ber_int_t estimate;
    int prc, r = -1;

    *control = 0;
    if ((prc = ldap_create_page_control(ld, CM_KEYSYNC_SEARCH_PAGE,
                                         cookie->bv_len > 0 ? cookie : NULL, 0, &pc))
        != LDAP_SUCCESS) {
        snprintf(err, errlen, "paged results control: %s", ldap_err2string(prc));
        return -1;
    }
    sctrls[0] = pc;
    *rc = ldap_search_ext_s(ld, base, scope, filter, attrs, 0, sctrls, NULL, &tv, LDAP_NO_LIMIT,
                            &res);
    ldap_control_free(pc);
    if (*rc != LDAP_SUCCESS) {
        /* Cut short: the entries it holds are not used. */
        r = 0;
        goto out;
    }
    if (res == NULL) {              /* success and no result: not an empty directory */
        snprintf(err, errlen, "search under %s: no result", base);
        goto out;
    }
    if ((prc = ldap_parse_result(ld, res, rc, NULL, NULL, NULL, &rctrls, 0)) != LDAP_SUCCESS) {
        snprintf(err, errlen, "search result: %s", ldap_err2string(prc));
        goto out;
    }
    if (*rc != LDAP_SUCCESS) {
        r = 0;
        goto out;
    }
    if ((resp = ldap_control_find(LDAP_CONTROL_PAGEDRESULTS, rctrls, NULL)) != NULL) {
        if ((prc = ldap_parse_pageresponse_control(ld, resp, &estimate, &next))
            != LDAP_SUCCESS) {
            snprintf(err, errlen, "paged results response: %s", ldap_err2string(prc));
            goto out;
        }
        *control = 1;
    }
    for (e = ldap_first_entry(ld, res); e != NULL; e = ldap_next_entry(ld, e))
        if (fn(ld, e, ctx, err, errlen) < 0)
            goto out;
    r = 0;
out:
    ber_memfree(cookie->bv_val);
    cookie->bv_val = NULL;
    cookie->bv_len = 0;
    if (r == 0)
        *cookie = next;
    else
        ber_memfree(next.bv_val);
    ldap_controls_free(rctrls);
    if (res != NULL)
        ldap_msgfree(res);
    return r;
}

int cm_keysync_search_each(LDAP *ld, const char *base, int scope, const char *filter,
                           char **attrs, cm_keysync_search_fn fn, void *ctx, char *err,
                           size_t errlen)
{
    struct berval cookie = {0, NULL};
    size_t pages = 0;
    int rc = LDAP_SUCCESS, control = 0;
    cm_keysync_page next = CM_KEYSYNC_PAGE_MORE;

    while (next == CM_KEYSYNC_PAGE_MORE) {
        if (page(ld, base, scope, filter, attrs, fn, ctx, &cookie, &rc, &control, err, errlen)
            < 0) {
            ber_memfree(cookie.bv_val);
            return -1;
        }
        next = cm_keysync_search_next(rc, control, cookie.bv_len, ++pages);
    }
    ber_memfree(cookie.bv_val);
    switch (next) {
    case CM_KEYSYNC_PAGE_DONE:
        return 0;
    case CM_KEYSYNC_PAGE_CUT:
        snprintf(err, errlen, "search under %s: %s (page %zu)", base, ldap_err2string(rc), pages);
        break;
    case CM_KEYSYNC_PAGE_LOST:
        snprintf(err, errlen, "search under %s: the server stopped paging after page %zu "
                 "without saying it was the last", base, pages);
        break;
    default:
        snprintf(err, errlen, "search under %s: more than %d pages", base,
                 CM_KEYSYNC_SEARCH_PAGES_MAX);
        break;
    }
    return -1;
}
