/* cm_keys_edit - cryptmilter-keys' commands that change the key stores:
 * import, remove, disable, enable. Each returns the exit code. */
#ifndef CM_KEYS_EDIT_H
#define CM_KEYS_EDIT_H

#include "cm_config.h"

int cm_keys_edit_import(const cm_config *cfg, const char *file, int gateway);
int cm_keys_edit_remove(const cm_config *cfg, const char *what);
int cm_keys_edit_disable(const cm_config *cfg, const char *fpr, int disabled);

#endif
