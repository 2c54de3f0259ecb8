/* cm_gateway - the process's runtime: the configuration file and the
 * configuration in use (replaced by a reload while messages hold their
 * snapshots), the engines with their caches, and the replay caches. One
 * per process, made at start by either front end (the daemon and the pipe
 * filter build it alike), handed to every message. */
#ifndef CM_GATEWAY_H
#define CM_GATEWAY_H

#include "cm_confhold.h"
#include "cm_engines.h"
#include "cm_msg.h"
#include "cm_replay.h"

/* What the process does with it: run until stopped (every OpenPGP backend
 * is made, as a reload may switch), or take one message (only the backend
 * the configuration names). */
typedef enum cm_gateway_kind { CM_GATEWAY_DAEMON, CM_GATEWAY_ONCE } cm_gateway_kind;

typedef struct cm_gateway {
    char *conf_path;        /* the file cm_gateway_reload reads */
    cm_confhold *conf;      /* NULL until cm_gateway_hold */
    cm_engine_set *engines; /* CM_GATEWAY_DAEMON: one list per backend */
    cm_engines *once;       /* CM_GATEWAY_ONCE: cfg's backend */
    cm_engine_set *discovered;  /* CM_GATEWAY_DAEMON: the same, for KeyDiscoveryDir */
    cm_replay *replay;      /* each ReplayCache's environment, opened on first use */
} cm_gateway;

/* The engines and replay caches for configuration cfg, read from
 * conf_path (absolute, for a daemon that leaves its directory). NULL with
 * *st and the reason in err on failure. */
cm_gateway *cm_gateway_new(const char *conf_path, const cm_config *cfg, cm_gateway_kind kind,
                           cm_stat *st, char *err, size_t errlen);
/* Hold cfg (taken over) as the configuration in use. 0, or -1 (freed). */
int cm_gateway_hold(cm_gateway *gw, cm_config *cfg);
/* A message on snapshot cfg (taken from gw->conf, held until the message
 * is freed): its engines and the replay caches. NULL on out of memory. */
cm_msg *cm_gateway_msg(cm_gateway *gw, const cm_config *cfg, const char *qid);
/* Read conf_path again into a new configuration aside; on any error
 * (logged) keep the one in use. Else it becomes current for the messages
 * that start from now, those under way finish on theirs, and if it names
 * another ReplayCache the old environment closes once they are done.
 * Returns the new generation, or 0. */
unsigned cm_gateway_reload(cm_gateway *gw);
/* Log what cfg sets that has no effect, or weakens the gate (at start,
 * `cryptmilter -n`, and each reload). */
void cm_gateway_warn(const cm_config *cfg);
/* Free everything; no message may be under way. */
void cm_gateway_free(cm_gateway *gw);

#endif
