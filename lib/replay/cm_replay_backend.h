/* cm_replay_backend - what a replay cache store does, as a table of
 * functions: LMDB (lib/replay/lmdb, a directory on this host) and
 * PostgreSQL (lib/replay/pg, shared by several gateways). cm_replay (lib/core)
 * picks one by the ReplayCache value and keeps one open store per value.
 *
 * Every backend answers record with CM_OK (new, now recorded),
 * CM_GATE_REPLAY (seen before, or older than what the store can vouch
 * for: forgotten, or made before its epoch), CM_REPLAY_FULL, or
 * CM_ERR_REPLAY (anything else, logged with qid): never CM_OK on doubt. */
#ifndef CM_REPLAY_BACKEND_H
#define CM_REPLAY_BACKEND_H

#include <stddef.h>
#include <stdint.h>

#include "cm_replay_id.h"
#include "cm_status.h"

/* How a store is opened: LMDB's map size; PostgreSQL's node name (the
 * owner token's first part) and the deadline of one check. */
typedef struct cm_replay_opts {
    uint64_t mapsize;
    const char *node;
    uint64_t timeout_ms;
} cm_replay_opts;

typedef struct cm_replay_backend {
    const char *name;
    /* Open the store at where (a directory, a URI); NULL on failure, logged. */
    void *(*open)(const char *where, const cm_replay_opts *o, int64_t now, const char *qid);
    /* A reload's options (a larger map, another timeout) for an open store. */
    void (*reopen)(void *db, const cm_replay_opts *o, const char *qid);
    cm_stat (*record)(void *db, const cm_replay_id *id, int64_t sigtime, int64_t now,
                      uint64_t keep, const char *qid);
    /* Entries held; -1 on error. */
    long (*count)(void *db);
    void (*close)(void *db);
    /* Create what is missing and stamp the epoch now: signatures made
     * before it are refused. 0, or -1 with err. */
    int (*init)(void *db, int64_t now, char *err, size_t errlen);
    /* cryptmilter -n: 0, or -1 with err (a mistake); warn set (non-empty)
     * for what is allowed but unsafe, or a store down for now. */
    int (*check)(void *db, char *err, size_t errlen, char *warn, size_t warnlen);
} cm_replay_backend;

#endif
