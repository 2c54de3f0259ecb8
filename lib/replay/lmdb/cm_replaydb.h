/* cm_replaydb - one ReplayCache directory's LMDB environment: the LMDB
 * replay cache backend (cm_replaydb_backend), which cm_replay's set opens,
 * one per directory, and records into. Not thread bound: transactions run
 * in parallel; open, grow and close are serialised by the set. */
#ifndef CM_REPLAYDB_H
#define CM_REPLAYDB_H

#include <stdint.h>

#include "cm_replay_backend.h"

typedef struct cm_replaydb cm_replaydb;

/* Open (creating) the environment at dir with map size mapsize; NULL on
 * failure, logged with qid. */
cm_replaydb *cm_replaydb_open(const char *dir, uint64_t mapsize, int64_t now, const char *qid);
void cm_replaydb_close(cm_replaydb *e);
/* Grow the map to mapsize if it is larger than any asked for so far (a
 * reload raised ReplayCacheSize); a failure is logged and the map stays.
 * It waits for the transactions under way (the environment's lock). */
void cm_replaydb_grow(cm_replaydb *e, uint64_t mapsize, const char *qid);
/* cm_replay_record and cm_replay_count on this environment. */
cm_stat cm_replaydb_record(cm_replaydb *e, const cm_replay_id *id, int64_t sigtime, int64_t now,
                           uint64_t keep, const char *qid);
long cm_replaydb_count(cm_replaydb *e);
/* The epoch (cryptmilter --replay-init): every signature made before now
 * is answered as seen before. An environment's own "forgot" mark is its
 * epoch: a directory the daemon creates starts with none, so a single host
 * needs no initialisation. 0, or -1 with err. */
int cm_replaydb_init(cm_replaydb *e, int64_t now, char *err, size_t errlen);

extern const cm_replay_backend cm_replaydb_backend;

#endif
