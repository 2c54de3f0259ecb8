/* cm_milter - the libmilter callbacks: a thin adapter over cm_msg. */
#ifndef CM_MILTER_H
#define CM_MILTER_H

#include <libmilter/mfapi.h>

#include "cm_gateway.h"

/* The filter description to hand to smfi_register. */
extern struct smfiDesc cm_milter_desc;
/* The daemon's runtime (configuration holder, engines, replay caches):
 * the process's one gateway, set by main before smfi_main and freed after
 * it once no connection uses it; the callbacks and the SIGHUP reload use
 * it. A message keeps the configuration snapshot it took at MAIL until it
 * ends. */
extern cm_gateway *cm_milter_gw;
/* After smfi_main: wait up to seconds for libmilter's (detached) session
 * threads to close their connections. 1 when none is left, else 0. */
int cm_milter_wait_idle(unsigned seconds);

#endif
