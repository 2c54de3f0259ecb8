/* cm_testreplay - what the replay cache's tests share: a fresh cache
 * directory, an identity made of a fingerprint, a time and a content, and
 * the process's set of environments (rp; rp_close closes them all, as a
 * process ending does). */
#ifndef CM_TESTREPLAY_H
#define CM_TESTREPLAY_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cm_replay.h"
#include "cm_test.h"

#define NOW 1800000000
#define MAP (1024 * 1024)

static cm_replay *test_replay;

static inline cm_replay *rp(void)
{
    if (test_replay == NULL)
        ck_assert_ptr_nonnull(test_replay = cm_replay_new());
    return test_replay;
}

static inline void rp_close(void)
{
    cm_replay_free(test_replay);
    test_replay = NULL;
}

static inline char *cache_dir(char *buf, size_t len)
{
    cm_test_path(buf, len, "replay-");
    ck_assert(mkdtemp(buf) != NULL);
    return buf;
}

/* Remove the environment's files at dir: one still open keeps its data
 * (its map), one opened afresh starts empty. */
static inline void remove_cache_files(const char *dir)
{
    char path[1024];

    ck_assert((size_t) snprintf(path, sizeof(path), "%s/data.mdb", dir) < sizeof(path));
    ck_assert_int_eq(unlink(path), 0);
    ck_assert((size_t) snprintf(path, sizeof(path), "%s/lock.mdb", dir) < sizeof(path));
    ck_assert_int_eq(unlink(path), 0);
}

static inline cm_replay_id make_id(const char *fpr, int64_t t, int content)
{
    unsigned char dg[CM_DIGEST_LEN];
    cm_replay_id id;

    memset(dg, content, sizeof(dg));
    ck_assert_int_eq(cm_replay_id_make(fpr, t, dg, &id), 0);
    return id;
}

#endif
