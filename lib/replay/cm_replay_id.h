/* cm_replay_id - a signature's identity in the replay cache, the same for
 * every backend: the digest of (signer fingerprint, signature time, digest
 * of the signed content). */
#ifndef CM_REPLAY_ID_H
#define CM_REPLAY_ID_H

#include <stdint.h>

#include "cm_digest.h"

typedef struct cm_replay_id {
    unsigned char b[CM_DIGEST_LEN];
} cm_replay_id;

/* 0, or -1 (out of memory). */
int cm_replay_id_make(const char *fpr, int64_t sigtime, const unsigned char content[CM_DIGEST_LEN],
                      cm_replay_id *id);

#endif
