/* cm_replay - the signature replay cache (SPEC §4.2): which signatures the
 * gateway has already let through, kept across restarts, in a store
 * shared by every process and thread that runs the outbound gate: an LMDB
 * environment (ReplayCache a directory, this host), or PostgreSQL
 * (ReplayCache postgresql://..., several gateways), each a backend table
 * (cm_replay_backend.h).
 *
 * LMDB allows one open environment per file per process: a cm_replay
 * holds the stores a process has open, one per ReplayCache value, each
 * opened on first use (after privileges are dropped, as
 * the user that writes it; a directory that cannot be opened defers the
 * message, it does not stop the daemon). The process's runtime
 * (cm_gateway) makes one and closes it; a reload that names another
 * directory retires the old one. */
#ifndef CM_REPLAY_H
#define CM_REPLAY_H

#include <stddef.h>
#include <stdint.h>

#include "cm_replay_id.h"
#include "cm_status.h"

/* The environments of one process; NULL on out of memory. Thread-safe. */
typedef struct cm_replay cm_replay;

cm_replay *cm_replay_new(void);
/* Close every environment; none may be in use (r may be NULL). */
void cm_replay_free(cm_replay *r);
/* Close the environments of every directory but keep (NULL: all), each
 * once no record or count is using it; later use opens one again. */
void cm_replay_retire(cm_replay *r, const char *keep);

/* Record id, a signature made at sigtime (the one id was made with), in
 * the cache at dir (r's environment for it; the directory created 0700 if
 * missing; map size mapsize). Signatures made more than the longest keep ever given for this cache (keep, or a
 * longer one stored there) before now are forgotten first, in a
 * transaction of their own. CM_OK: new, now recorded; CM_GATE_REPLAY: seen
 * before, or older than a signature already forgotten; CM_REPLAY_FULL (the
 * reserve kept for pruning is reached); CM_ERR_REPLAY (cannot open, read
 * or write, or r is NULL: the reason is logged with qid). */
cm_stat cm_replay_record(cm_replay *r, const char *dir, uint64_t mapsize, const cm_replay_id *id,
                         int64_t sigtime, int64_t now, uint64_t keep, const char *qid);

/* How many entries the cache at dir holds (tests, cryptmilter -n); -1 on error. */
long cm_replay_count(cm_replay *r, const char *dir, uint64_t mapsize);

/* A shared store's options, for the stores opened from now on and those
 * open: this gateway's ReplayNode and ReplayTimeout (seconds). */
void cm_replay_configure(cm_replay *r, const char *node, uint64_t timeout_s);

/* cryptmilter --replay-init: create the store's schema where missing and
 * stamp its epoch at now. 0, or -1 with err. */
int cm_replay_init(cm_replay *r, const char *dir, uint64_t mapsize, int64_t now, char *err,
                   size_t errlen);

/* cryptmilter -n: 0, or -1 with err; warn non-empty for a loud warning. */
int cm_replay_check(cm_replay *r, const char *dir, uint64_t mapsize, char *err, size_t errlen,
                    char *warn, size_t warnlen);

#endif
