/* cm_confhold - the configuration in use, replaceable while it is in use.
 *
 * A reload builds a new cm_config aside and hands it over with
 * cm_confhold_set; work in progress keeps the snapshot it took with
 * cm_confhold_get until it calls cm_confhold_put, and a snapshot is freed
 * when it is no longer current and no longer held. All calls are
 * thread-safe. */
#ifndef CM_CONFHOLD_H
#define CM_CONFHOLD_H

#include "cm_config.h"

typedef struct cm_confhold cm_confhold;

/* Hold cfg (taken over) as the current configuration. NULL on out of memory
 * (cfg is then freed). */
cm_confhold *cm_confhold_new(cm_config *cfg);
/* Free the holder and every snapshot; nothing may be held any more. */
void cm_confhold_free(cm_confhold *h);
/* The current configuration, held until cm_confhold_put. */
const cm_config *cm_confhold_get(cm_confhold *h);
void cm_confhold_put(cm_confhold *h, const cm_config *cfg);
/* Make cfg (taken over) current; the previous one is freed once unheld.
 * Returns the new generation (1 for the first configuration), or 0 on out
 * of memory, when cfg is freed and the current one stays. */
unsigned cm_confhold_set(cm_confhold *h, cm_config *cfg);
/* How many snapshots exist: the current one plus those still held. */
size_t cm_confhold_count(cm_confhold *h);

#endif
