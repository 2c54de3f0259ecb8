/* cm_sigs - what an engine found of a message's signatures, logged the
 * same way whichever engine checked them. */
#ifndef CM_SIGS_H
#define CM_SIGS_H

#include "cm_engine.h"

/* "good", "bad", "no-key"... */
const char *cm_sig_status_name(cm_sig_status st);
/* One debug line per signature kept: verdict, signer, key, time. */
void cm_sigs_log(const cm_msgctx *mc, const cm_sigs *sigs);

#endif
