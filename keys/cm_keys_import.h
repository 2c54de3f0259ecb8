/* cm_keys_import - cryptmilter-keys' import of bytes (a file, stdin, or
 * what the WKD command fetched) into the daemon's key stores, one line
 * per key or certificate on out: class id addresses change. */
#ifndef CM_KEYS_IMPORT_H
#define CM_KEYS_IMPORT_H

#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

#include "cm_config.h"

/* gateway: OpenPGP secret keys go to gpg-agent, an S/MIME certificate with
 * its key to GatewayCertificates, given to uid:gid unless uid is (uid_t)
 * -1 (else refused). The exit code (sysexits): 0, 65 bad input, 73 no
 * GatewayCertificates file free, 75 temporary, 78 configuration; the
 * reason on stderr. */
int cm_keys_import_buf(const cm_config *cfg, const void *p, size_t n, int gateway, uid_t uid,
                       gid_t gid, FILE *out);

/* The exit code for a cm_keystore status. */
int cm_keys_exit_of(int st);

#endif
