/* cm_replay - the signature replay cache (SPEC §4.2): which signatures the
 * gateway has already let through, in an LMDB environment shared by every
 * process and thread that runs the outbound gate, kept across restarts.
 *
 * LMDB allows one open environment per file per process, so the open
 * environments are kept here, one per ReplayCache directory, for the life
 * of the process (cm_replay_close_all at exit). */
#ifndef CM_REPLAY_H
#define CM_REPLAY_H

#include <stddef.h>
#include <stdint.h>

#include "cm_digest.h"
#include "cm_status.h"

/* A signature's identity: the digest of (signer fingerprint, signature
 * time, digest of the signed content). */
typedef struct cm_replay_id {
    unsigned char b[CM_DIGEST_LEN];
} cm_replay_id;

/* 0, or -1 (out of memory). */
int cm_replay_id_make(const char *fpr, int64_t sigtime, const unsigned char content[CM_DIGEST_LEN],
                      cm_replay_id *id);

/* Record id, a signature made at sigtime (the one id was made with), in
 * the cache at dir (created 0700 if missing; map size mapsize). Signatures
 * made more than the longest keep ever given for this cache (keep, or a
 * longer one stored there) before now are forgotten first, in a
 * transaction of their own. CM_OK: new, now recorded; CM_GATE_REPLAY: seen
 * before, or older than a signature already forgotten; CM_REPLAY_FULL (the
 * reserve kept for pruning is reached); CM_ERR_REPLAY (cannot open, read
 * or write: the reason is logged with qid). */
cm_stat cm_replay_record(const char *dir, uint64_t mapsize, const cm_replay_id *id,
                         int64_t sigtime, int64_t now, uint64_t keep, const char *qid);

/* How many entries the cache at dir holds (tests, cryptmilter -n); -1 on error. */
long cm_replay_count(const char *dir, uint64_t mapsize);

/* Close every environment this process opened. */
void cm_replay_close_all(void);

#endif
