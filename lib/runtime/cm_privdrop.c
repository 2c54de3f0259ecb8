/* cm_privdrop - becoming the daemon's user (UserID): the daemon, its -n
 * check and cryptmilter-keys read and write the key stores as that user. */
#include "cm_privdrop.h"
#include "cm_log.h"

#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Look up "user" or "user:group". */
int cm_privdrop_lookup(const char *spec, uid_t *uid, gid_t *gid, char **name)
{
    char *u = strdup(spec), *g;
    struct passwd *pw;
    struct group *gr;

    if (u == NULL)
        return -1;
    if ((g = strchr(u, ':')) != NULL)
        *g++ = 0;
    if ((pw = getpwnam(u)) == NULL) {
        cm_log_error("UserID: no such user \"%s\"", u);
        free(u);
        return -1;
    }
    *uid = pw->pw_uid;
    *gid = pw->pw_gid;
    if (g != NULL) {
        if ((gr = getgrnam(g)) == NULL) {
            cm_log_error("UserID: no such group \"%s\"", g);
            free(u);
            return -1;
        }
        *gid = gr->gr_gid;
    }
    *name = u;
    return 0;
}

/* setgid + initgroups + setuid, then make sure root cannot be regained.
 * Started as that user already (systemd's User=), there is nothing to drop:
 * setgid would need root, and the unit's sandbox forbids the set*id calls;
 * the group is then only the socket's, given by its directory or a chown. */
int cm_privdrop_drop(const char *name, uid_t uid, gid_t gid)
{
    if (uid != 0 && getuid() == uid && geteuid() == uid)
        return 0;
    if (setgid(gid) < 0 || initgroups(name, gid) < 0 || setuid(uid) < 0) {
        cm_log_errno("dropping privileges to %s", name);
        return -1;
    }
    if (uid != 0 && (setuid(0) == 0 || seteuid(0) == 0)) {
        cm_log_error("privileges could be regained after dropping them to %s", name);
        return -1;
    }
    return 0;
}
