#include "cm_test.h"
#include "cm_wkd_cache.h"

#include <stdlib.h>
#include <string.h>

/* An answer with a key is believed a day, a miss an hour; at the
 * boundary it is asked again; a record from the future is no answer. */
START_TEST(judge)
{
    const int64_t t = 1700000000;

    ck_assert_int_eq(cm_wkd_cache_judge(1, t, t), CM_WKD_CACHED_FOUND);
    ck_assert_int_eq(cm_wkd_cache_judge(1, t, t + 86399), CM_WKD_CACHED_FOUND);
    ck_assert_int_eq(cm_wkd_cache_judge(1, t, t + 86400), CM_WKD_CACHED_NONE);
    ck_assert_int_eq(cm_wkd_cache_judge(0, t, t + 3599), CM_WKD_CACHED_MISS);
    ck_assert_int_eq(cm_wkd_cache_judge(0, t, t + 3600), CM_WKD_CACHED_NONE);
    ck_assert_int_eq(cm_wkd_cache_judge(0, t, t + 7200), CM_WKD_CACHED_NONE);
    ck_assert_int_eq(cm_wkd_cache_judge(1, t + 10, t), CM_WKD_CACHED_NONE);
    ck_assert_int_eq(cm_wkd_cache_judge(0, t + 10, t), CM_WKD_CACHED_NONE);
}
END_TEST

/* ASCII letters lower-cased, the rest kept; a key that does not fit is
 * refused, never cut. */
START_TEST(key)
{
    char k[32];

    ck_assert_int_eq(cm_wkd_cache_key("Joe.Doe@Example.ORG", k, sizeof(k)), 0);
    ck_assert_str_eq(k, "joe.doe@example.org");
    ck_assert_int_eq(cm_wkd_cache_key("\xc3\x84x@A.b", k, sizeof(k)), 0);
    ck_assert_str_eq(k, "\xc3\x84x@a.b");
    ck_assert_int_eq(cm_wkd_cache_key("0123456789@0123456789.example", k, sizeof(k)), 0);
    ck_assert_int_eq(cm_wkd_cache_key("0123456789@0123456789.example.org", k, sizeof(k)), -1);
    ck_assert_int_eq(cm_wkd_cache_key("", k, sizeof(k)), -1);
}
END_TEST

/* What is put is got back under any case of the address, as its age
 * says; the environment is made where it is missing and survives a
 * close (another process, a restart). */
START_TEST(store)
{
    char base[512], dir[600], err[256];
    const int64_t t = 1700000000;
    cm_wkd_cached c;

    ck_assert_ptr_nonnull(mkdtemp(cm_test_path(base, sizeof(base), "wkdcache")));
    snprintf(dir, sizeof(dir), "%s/cache", base);
    ck_assert_int_eq(cm_wkd_cache_get(dir, "a@example.org", t, &c, err, sizeof(err)), 0);
    ck_assert_int_eq(c, CM_WKD_CACHED_NONE);
    ck_assert_int_eq(cm_wkd_cache_put(dir, "A@Example.org", 1, t, err, sizeof(err)), 0);
    ck_assert_int_eq(cm_wkd_cache_put(dir, "b@example.org", 0, t, err, sizeof(err)), 0);
    ck_assert_int_eq(cm_wkd_cache_get(dir, "a@EXAMPLE.org", t + 10, &c, err, sizeof(err)), 0);
    ck_assert_int_eq(c, CM_WKD_CACHED_FOUND);
    ck_assert_int_eq(cm_wkd_cache_get(dir, "B@example.org", t + 10, &c, err, sizeof(err)), 0);
    ck_assert_int_eq(c, CM_WKD_CACHED_MISS);
    cm_wkd_cache_close();
    ck_assert_int_eq(cm_wkd_cache_get(dir, "b@example.org", t + 3600, &c, err, sizeof(err)), 0);
    ck_assert_int_eq(c, CM_WKD_CACHED_NONE);
    ck_assert_int_eq(cm_wkd_cache_get(dir, "a@example.org", t + 3600, &c, err, sizeof(err)), 0);
    ck_assert_int_eq(c, CM_WKD_CACHED_FOUND);
    /* A miss replaces the answer it follows. */
    ck_assert_int_eq(cm_wkd_cache_put(dir, "a@example.org", 0, t + 3600, err, sizeof(err)), 0);
    ck_assert_int_eq(cm_wkd_cache_get(dir, "a@example.org", t + 3601, &c, err, sizeof(err)), 0);
    ck_assert_int_eq(c, CM_WKD_CACHED_MISS);
    cm_wkd_cache_close();
}
END_TEST

/* A directory that cannot be made is an error with a reason, not an
 * answer. */
START_TEST(unwritable)
{
    char err[256] = "";
    cm_wkd_cached c = CM_WKD_CACHED_FOUND;

    ck_assert_int_eq(cm_wkd_cache_get("/nonexistent/dir/cache", "a@example.org", 1, &c, err,
                                      sizeof(err)), -1);
    ck_assert_int_eq(c, CM_WKD_CACHED_NONE);
    ck_assert_ptr_nonnull(strstr(err, "KeyDiscoveryCache"));
    ck_assert_int_eq(cm_wkd_cache_put("/nonexistent/dir/cache", "a@example.org", 1, 1, err,
                                      sizeof(err)), -1);
}
END_TEST

static void add(Suite *s)
{
    CM_ADD(s, judge);
    CM_ADD(s, key);
    CM_ADD(s, store);
    CM_ADD(s, unwritable);
}

CM_TEST_MAIN("cm_wkd_cache", add)
