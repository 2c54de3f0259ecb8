/* cm_wkd_cache - what the Web Key Directory answered for an address, kept
 * in an LMDB environment (KeyDiscoveryCache) so that the daemon does not
 * ask again for every message: an answer with a key for a day, a miss
 * (not found, a failure, a key refused) for an hour. Keyed by the address
 * ASCII-lower-cased. One environment per process, opened on first use
 * (LMDB wants one handle per file and process); the calls are thread-safe. */
#ifndef CM_WKD_CACHE_H
#define CM_WKD_CACHE_H

#include <stddef.h>
#include <stdint.h>

#define CM_WKD_CACHE_FOUND_TTL  86400   /* seconds an answer with a key is believed */
#define CM_WKD_CACHE_MISS_TTL   3600    /* seconds a miss is */
#define CM_WKD_CACHE_MAPSIZE    (16u * 1024 * 1024)

typedef enum cm_wkd_cached {
    CM_WKD_CACHED_NONE,     /* nothing fresh: ask the directory */
    CM_WKD_CACHED_FOUND,    /* a key was imported: it is in KeyDiscoveryDir */
    CM_WKD_CACHED_MISS      /* no key, not asked again yet */
} cm_wkd_cached;

/* Pure: what a record (found 1 or 0, written at `at`) says at now. A
 * record from the future (the clock went back) is no answer. */
cm_wkd_cached cm_wkd_cache_judge(int found, int64_t at, int64_t now);

/* The key of addr: ASCII-lower-cased into out. 0, or -1 if it does not fit. */
int cm_wkd_cache_key(const char *addr, char *out, size_t outlen);

/* addr's fresh answer in the environment dir (created 0700 if missing).
 * 0, or -1 with the reason in err (the caller asks the directory). */
int cm_wkd_cache_get(const char *dir, const char *addr, int64_t now, cm_wkd_cached *out,
                     char *err, size_t errlen);
/* Remember addr's answer at now. 0, or -1 with the reason in err. */
int cm_wkd_cache_put(const char *dir, const char *addr, int found, int64_t now, char *err,
                     size_t errlen);

/* Close the process's environment (at exit; tests). */
void cm_wkd_cache_close(void);

#endif
