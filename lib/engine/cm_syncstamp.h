/* cm_syncstamp - the time cryptmilter-keysync last rebuilt KeyringDir's
 * keyring from the directory: a file in KeyringDir whose modification time
 * (and text) is that time. The daemon reads it at RCPT under KeyringMaxAge
 * (cm_policy_keyring_fresh), keysync writes it after a successful run. */
#ifndef CM_SYNCSTAMP_H
#define CM_SYNCSTAMP_H

#include <stdint.h>

#define CM_SYNCSTAMP_NAME "keysync.stamp"

/* When dir's stamp was written (seconds since the epoch) into *when.
 * 0; -1 with errno (ENOENT: never stamped; ENAMETOOLONG, EACCES...). */
int cm_syncstamp_read(const char *dir, int64_t *when);
/* Stamp dir with when: a new file renamed over the old one, its text and
 * modification time both when. 0, or -1 with errno. */
int cm_syncstamp_write(const char *dir, int64_t when);

#endif
