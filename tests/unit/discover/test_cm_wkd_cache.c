#include "cm_test.h"
#include "cm_wkd_cache.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

/* The environment's map is fixed (CM_WKD_CACHE_MAPSIZE) and records
 * only ever replaced: room is made for new answers before it is full,
 * the stale first, else by starting again (it is a cache), so a put never
 * fails for good. On /dev/shm where there is one: some 100000 commits
 * are fsync'd. */
static int put_many(const char *dir, char *addr, size_t len, const char *dom, int n, int found,
                    int64_t at, char *err, size_t errlen)
{
    int i, rc = 0;

    for (i = 0; i < n && rc == 0; i++) {
        snprintf(addr + 500, len - 500, "%d@%s", i, dom);
        rc = cm_wkd_cache_put(dir, addr, found, at, err, errlen);
    }
    return rc;
}

START_TEST(full)
{
    char base[512], dir[600], err[256], addr[700], first[700];
    const int64_t t = 1700000000;
    cm_wkd_cached c;
    int i;

    if (mkdtemp(strcpy(base, "/dev/shm/cm_wkdcacheXXXXXX")) == NULL)
        ck_assert_ptr_nonnull(mkdtemp(cm_test_path(base, sizeof(base), "wkdfull")));
    snprintf(dir, sizeof(dir), "%s/cache", base);
    memset(addr, 'x', 500);
    /* Misses that will be stale, then answers: each batch alone fits in
     * half the map, both do not. The answers are kept, the misses go. */
    ck_assert_msg(put_many(dir, addr, sizeof(addr), "a.org", 8000, 0, t, err, sizeof(err)) == 0,
                  "misses: %s", err);
    ck_assert_msg(put_many(dir, addr, sizeof(addr), "b.org", 6000, 1, t + 7200, err,
                           sizeof(err)) == 0, "answers: %s", err);
    snprintf(first, sizeof(first), "%.500s0@b.org", addr);
    ck_assert_int_eq(cm_wkd_cache_get(dir, first, t + 7201, &c, err, sizeof(err)), 0);
    ck_assert_int_eq(c, CM_WKD_CACHED_FOUND);
    /* Three maps' worth of fresh answers: never full. */
    ck_assert_msg(put_many(dir, addr, sizeof(addr), "c.org", 60000, 0, t + 7200, err,
                           sizeof(err)) == 0, "fresh: %s", err);
    ck_assert_int_eq(cm_wkd_cache_get(dir, addr, t + 7201, &c, err, sizeof(err)), 0);
    ck_assert_int_eq(c, CM_WKD_CACHED_MISS);
    cm_wkd_cache_close();
    for (i = 0; i < 2; i++) {
        snprintf(addr, sizeof(addr), "%s/%s", dir, i == 0 ? "data.mdb" : "lock.mdb");
        ck_assert_int_eq(unlink(addr), 0);
    }
    ck_assert_int_eq(rmdir(dir), 0);
    ck_assert_int_eq(rmdir(base), 0);
}
END_TEST

static void add(Suite *s)
{
    CM_ADD(s, judge);
    CM_ADD(s, key);
    CM_ADD(s, store);
    CM_ADD(s, unwritable);
    CM_ADD(s, full);
}

CM_TEST_MAIN("cm_wkd_cache", add)
