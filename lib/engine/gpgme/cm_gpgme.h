/* cm_gpgme - the OpenPGP engine on GPGME. Only the registry names it. */
#ifndef CM_GPGME_H
#define CM_GPGME_H

#include "cm_engine.h"

extern const cm_engine_ops cm_gpgme_engine;

#endif
