/* cm_milter - the libmilter callbacks: a thin adapter over cm_msg. */
#ifndef CM_MILTER_H
#define CM_MILTER_H

#include <libmilter/mfapi.h>

#include "cm_gateway.h"

/* The filter description to hand to smfi_register. */
extern struct smfiDesc cm_milter_desc;
/* The runtime the callbacks use (configuration holder and engines); set
 * before smfi_main. A message keeps the configuration snapshot it took at
 * MAIL until it ends. */
void cm_milter_set_gateway(cm_gateway *gw);

#endif
