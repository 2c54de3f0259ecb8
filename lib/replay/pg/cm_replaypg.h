/* cm_replaypg - the replay cache in PostgreSQL, shared by several gateways
 * (ReplayCache postgresql://...): cm_replaypg_backend. docs/outbound.md
 * says how it decides; the schema is what cryptmilter --replay-init makes. */
#ifndef CM_REPLAYPG_H
#define CM_REPLAYPG_H

#include "cm_replay_backend.h"

extern const cm_replay_backend cm_replaypg_backend;

#endif
