/* cm_privdrop - becoming the daemon's user (UserID). */
#ifndef CM_PRIVDROP_H
#define CM_PRIVDROP_H

#include <sys/types.h>

/* Look up UserID's "user" or "user:group": 0 with *name (heap) and the
 * ids, or -1 (logged). */
int cm_privdrop_lookup(const char *spec, uid_t *uid, gid_t *gid, char **name);
/* setgid + initgroups + setuid, and root cannot be regained; nothing to do
 * when already that user. 0, or -1 (logged). */
int cm_privdrop_drop(const char *name, uid_t uid, gid_t gid);

#endif
