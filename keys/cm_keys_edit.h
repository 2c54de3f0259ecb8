/* cm_keys_edit - cryptmilter-keys' commands that change the key stores:
 * import, remove, disable, enable. Each returns the exit code. */
#ifndef CM_KEYS_EDIT_H
#define CM_KEYS_EDIT_H

#include "cm_config.h"
#include "cm_engine.h"

/* import's input: all of file ("-": stdin) into *buf (heap), read before
 * the tool becomes the daemon's user (an administrator's file may be
 * readable by root alone). EX_OK, or the exit code (the reason on
 * stderr). */
int cm_keys_edit_read(const char *file, char **buf, size_t *len);
/* One line per change on arg (a FILE *): class id addresses change. */
void cm_keys_edit_print(void *arg, const cm_keychange *c);
/* The exit code for st, its reason (err) on stderr; stdout flushed. */
int cm_keys_edit_finish(cm_stat st, const char *err);
int cm_keys_edit_remove(const cm_config *cfg, const char *what);
int cm_keys_edit_disable(const cm_config *cfg, const char *fpr, int disabled);

#endif
