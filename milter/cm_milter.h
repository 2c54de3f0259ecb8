/* cm_milter - the libmilter callbacks: a thin adapter over cm_msg. */
#ifndef CM_MILTER_H
#define CM_MILTER_H

#include <libmilter/mfapi.h>

#include "cm_confhold.h"

/* The filter description to hand to smfi_register. */
extern struct smfiDesc cm_milter_desc;
/* Where the callbacks take their configuration; set before smfi_main. A
 * message keeps the snapshot it took at MAIL until it ends. */
void cm_milter_set_config(cm_confhold *conf);

#endif
