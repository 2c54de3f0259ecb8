/* cm_wkd_fetch - the Web Key Directory over HTTPS (see the header). */
#include "cm_wkd_fetch.h"
#include "cm_wkd_url.h"

#include <curl/curl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define REDIRECTS_MAX 3

typedef struct sink {
    cm_buf *b;
    size_t start;           /* out's length before this answer */
    int over;               /* more than CM_WKD_FETCH_MAX */
} sink;

/* One request's outcome, before the methods are weighed. */
typedef enum { GOT_BODY, GOT_NONE, GOT_NO_HOST, GOT_REFUSED, GOT_FAILED } got;

int cm_wkd_fetch_init(void)
{
    return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

void cm_wkd_fetch_done(void)
{
    curl_global_cleanup();
}

static int64_t now_ms(void)
{
    struct timespec ts;

    if (clock_gettime(CLOCK_MONOTONIC, &ts) < 0)
        return 0;
    return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Throw away what an answer not taken appended. */
static void drop_from(cm_buf *b, size_t start)
{
    b->len = start;
    if (b->data != NULL)
        b->data[start] = 0;
}

static size_t on_data(char *p, size_t size, size_t n, void *arg)
{
    sink *s = arg;

    /* size is 1 (libcurl's promise); n at most CURL_MAX_WRITE_SIZE. */
    if (size != 1 || s->b->len - s->start + n > CM_WKD_FETCH_MAX) {
        s->over = 1;
        return 0;
    }
    return cm_buf_append(s->b, p, n) < 0 ? 0 : n;
}

/* Is url2 on url1's host (and scheme and port)? */
static int same_host(const char *url1, const char *url2)
{
    static const CURLUPart parts[] = {CURLUPART_SCHEME, CURLUPART_HOST, CURLUPART_PORT};
    CURLU *a = curl_url(), *b = curl_url();
    int same = a != NULL && b != NULL && curl_url_set(a, CURLUPART_URL, url1, 0) == CURLUE_OK
               && curl_url_set(b, CURLUPART_URL, url2, 0) == CURLUE_OK;
    size_t i;

    for (i = 0; same && i < sizeof(parts) / sizeof(parts[0]); i++) {
        char *x = NULL, *y = NULL;

        same = curl_url_get(a, parts[i], &x, CURLU_DEFAULT_PORT) == CURLUE_OK
               && curl_url_get(b, parts[i], &y, CURLU_DEFAULT_PORT) == CURLUE_OK
               && strcasecmp(x, y) == 0;
        curl_free(x);
        curl_free(y);
    }
    curl_url_cleanup(a);
    curl_url_cleanup(b);
    return same;
}

static CURLcode setup(CURL *h, const cm_config *cfg, const char *url, struct curl_slist *connect_to,
                      int64_t left, sink *s)
{
    CURLcode c;

    if ((c = curl_easy_setopt(h, CURLOPT_URL, url)) != CURLE_OK
        || (c = curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "https")) != CURLE_OK
        || (c = curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L)) != CURLE_OK
        || (c = curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L)) != CURLE_OK
        || (c = curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long) left)) != CURLE_OK
        || (c = curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L)) != CURLE_OK
        || (c = curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L)) != CURLE_OK
        || (c = curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE,
                                 (curl_off_t) CM_WKD_FETCH_MAX)) != CURLE_OK
        || (c = curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data)) != CURLE_OK
        || (c = curl_easy_setopt(h, CURLOPT_WRITEDATA, s)) != CURLE_OK
        || (c = curl_easy_setopt(h, CURLOPT_USERAGENT, "cryptmilter")) != CURLE_OK)
        return c;
    if (cfg->key_discovery_ca_file != NULL && cfg->key_discovery_ca_file[0] != 0
        && (c = curl_easy_setopt(h, CURLOPT_CAINFO, cfg->key_discovery_ca_file)) != CURLE_OK)
        return c;
    if (connect_to != NULL && (c = curl_easy_setopt(h, CURLOPT_CONNECT_TO, connect_to)) != CURLE_OK)
        return c;
    return CURLE_OK;
}

/* One URL, with its same-host redirects, until deadline. */
static got get(const cm_config *cfg, const char *url0, struct curl_slist *connect_to,
               int64_t deadline, cm_buf *out, char *err, size_t errlen)
{
    char url[CM_WKD_URL_MAX];
    int hops;

    snprintf(url, sizeof(url), "%s", url0);
    for (hops = 0; hops <= REDIRECTS_MAX; hops++) {
        int64_t left = deadline - now_ms();
        sink s = {out, out->len, 0};
        CURL *h;
        CURLcode c;
        long status = 0;
        char *loc = NULL;

        if (left <= 0) {
            snprintf(err, errlen, "%s: no time left (KeyDiscoveryTimeout)", url);
            return GOT_FAILED;
        }
        if ((h = curl_easy_init()) == NULL) {
            snprintf(err, errlen, "%s: libcurl: out of memory", url);
            return GOT_FAILED;
        }
        if ((c = setup(h, cfg, url, connect_to, left, &s)) == CURLE_OK)
            c = curl_easy_perform(h);
        if (c == CURLE_OK
            && (curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status) != CURLE_OK
                || curl_easy_getinfo(h, CURLINFO_REDIRECT_URL, &loc) != CURLE_OK))
            c = CURLE_BAD_FUNCTION_ARGUMENT;
        if (c == CURLE_OK && status >= 300 && status < 400 && loc != NULL) {
            if (!same_host(url, loc) || strlen(loc) >= sizeof(url)) {
                snprintf(err, errlen, "%s: redirected off the host, not followed", url);
                curl_easy_cleanup(h);
                return GOT_FAILED;
            }
            memmove(url, loc, strlen(loc) + 1);
            drop_from(out, s.start);
            curl_easy_cleanup(h);
            continue;
        }
        curl_easy_cleanup(h);
        if (c == CURLE_COULDNT_RESOLVE_HOST || c == CURLE_COULDNT_CONNECT) {
            snprintf(err, errlen, "%s: %s", url, curl_easy_strerror(c));
            return c == CURLE_COULDNT_RESOLVE_HOST ? GOT_NO_HOST : GOT_REFUSED;
        }
        if (c != CURLE_OK || s.over) {
            drop_from(out, s.start);
            if (s.over || c == CURLE_FILESIZE_EXCEEDED)
                snprintf(err, errlen, "%s: more than %d bytes", url, CM_WKD_FETCH_MAX);
            else
                snprintf(err, errlen, "%s: %s", url, c == CURLE_OPERATION_TIMEDOUT
                         ? "timed out (KeyDiscoveryTimeout)" : curl_easy_strerror(c));
            return GOT_FAILED;
        }
        if (status == 404 || status == 410) {
            drop_from(out, s.start);
            snprintf(err, errlen, "%s: not found (%ld)", url, status);
            return GOT_NONE;
        }
        if (status != 200 || out->len == s.start) {
            drop_from(out, s.start);
            snprintf(err, errlen, "%s: HTTP status %ld%s", url, status,
                     status == 200 ? " with nothing in it" : "");
            return GOT_FAILED;
        }
        return GOT_BODY;
    }
    snprintf(err, errlen, "%s: more than %d redirects", url0, REDIRECTS_MAX);
    return GOT_FAILED;
}

cm_wkd_answer cm_wkd_fetch(const cm_config *cfg, const char *addr, cm_buf *out, char *err,
                           size_t errlen)
{
    return cm_wkd_fetch_within(cfg, addr, INT64_MAX, out, err, errlen);
}

cm_wkd_answer cm_wkd_fetch_within(const cm_config *cfg, const char *addr, int64_t budget_ms,
                                  cm_buf *out, char *err, size_t errlen)
{
    int64_t timeout = (int64_t) cfg->key_discovery_timeout * 1000;
    int64_t deadline = now_ms() + (budget_ms < timeout ? budget_ms : timeout);
    struct curl_slist *connect_to = NULL, *grown;
    char url[CM_WKD_URL_MAX];
    cm_wkd_answer a = CM_WKD_FAILED;
    got g = GOT_FAILED;
    size_t i;

    if (cm_wkd_url(addr, CM_WKD_ADVANCED, url, sizeof(url)) < 0) {
        snprintf(err, errlen, "%s: not an address the Web Key Directory serves", addr);
        return CM_WKD_NOT_FOUND;
    }
    for (i = 0; i < cfg->key_discovery_connect_to.n; i++) {
        if ((grown = curl_slist_append(connect_to, cfg->key_discovery_connect_to.v[i])) == NULL) {
            curl_slist_free_all(connect_to);
            snprintf(err, errlen, "out of memory");
            return CM_WKD_FAILED;
        }
        connect_to = grown;
    }
    g = get(cfg, url, connect_to, deadline, out, err, errlen);
    if ((g == GOT_NO_HOST || g == GOT_REFUSED)
        && cm_wkd_url(addr, CM_WKD_DIRECT, url, sizeof(url)) == 0) {
        g = get(cfg, url, connect_to, deadline, out, err, errlen);
        /* Neither host is there: the domain publishes no directory. */
        if (g == GOT_NO_HOST)
            g = GOT_NONE;
    }
    curl_slist_free_all(connect_to);
    switch (g) {
    case GOT_BODY: a = CM_WKD_FOUND; break;
    case GOT_NONE: a = CM_WKD_NOT_FOUND; break;
    default: a = CM_WKD_FAILED; break;
    }
    return a;
}
