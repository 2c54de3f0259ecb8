/* cm_replay_id - a signature's identity in the replay cache. */
#include "cm_replay_id.h"

#include <stdio.h>
#include <string.h>

int cm_replay_id_make(const char *fpr, int64_t sigtime, const unsigned char content[CM_DIGEST_LEN],
                      cm_replay_id *id)
{
    cm_digest *d = cm_digest_new();
    char t[32];
    int r;

    if (d == NULL)
        return -1;
    snprintf(t, sizeof(t), "\n%lld\n", (long long) sigtime);
    r = cm_digest_update(d, fpr, strlen(fpr)) == 0 && cm_digest_update(d, t, strlen(t)) == 0
        && cm_digest_update(d, content, CM_DIGEST_LEN) == 0 && cm_digest_final(d, id->b) == 0
        ? 0 : -1;
    cm_digest_free(d);
    return r;
}
