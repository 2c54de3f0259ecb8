/* cm_testreplay - what the replay cache's tests share: a fresh cache
 * directory and an identity made of a fingerprint, a time and a content. */
#ifndef CM_TESTREPLAY_H
#define CM_TESTREPLAY_H

#include <stdlib.h>
#include <string.h>

#include "cm_replay.h"
#include "cm_test.h"

#define NOW 1800000000
#define MAP (1024 * 1024)

static inline char *cache_dir(char *buf, size_t len)
{
    cm_test_path(buf, len, "replay-");
    ck_assert(mkdtemp(buf) != NULL);
    return buf;
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
