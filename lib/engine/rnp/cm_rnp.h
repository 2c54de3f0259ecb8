/* cm_rnp - the OpenPGP engine on librnp, in-process. Only the registry
 * names it. */
#ifndef CM_RNP_H
#define CM_RNP_H

#include "cm_engine.h"

extern const cm_engine_ops cm_rnp_engine;

#endif
