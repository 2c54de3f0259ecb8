/* cm_milter - the libmilter callbacks: a thin adapter over cm_msg. */
#ifndef CM_MILTER_H
#define CM_MILTER_H

#include <libmilter/mfapi.h>

#include "cm_config.h"

/* The filter description to hand to smfi_register. */
extern struct smfiDesc cm_milter_desc;
/* The configuration the callbacks use; set before smfi_main. */
void cm_milter_set_config(const cm_config *cfg);

#endif
