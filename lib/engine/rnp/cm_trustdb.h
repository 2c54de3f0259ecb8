/* cm_trustdb - the keys GnuPG's trust database (KeyringDir/trustdb.gpg)
 * marks disabled ("gpg --edit-key KEY disable"). gpg keeps that flag
 * there, not in the keyring, so an engine that reads the keyring itself
 * (librnp) reads it here to apply the same rule as gpg: a disabled key is
 * never a recipient.
 *
 * The file is a sequence of 40-byte records; the first is the version
 * record (type 1, "gpg"); a trust record (type 12) holds a v4 fingerprint
 * (bytes 2-21) and its ownertrust (byte 22), whose bit 0x80 is "disabled". */
#ifndef CM_TRUSTDB_H
#define CM_TRUSTDB_H

#include <stddef.h>

typedef struct cm_trustdb {
    unsigned char (*disabled)[20];  /* sorted fingerprints */
    size_t n;
} cm_trustdb;

/* Parse an image of the file. 0; -1 with the reason in err if it is not a
 * trust database (or is cut short); -2 out of memory. */
int cm_trustdb_parse(const unsigned char *p, size_t n, cm_trustdb *out, char *err, size_t errlen);
/* Is the key with this (hex) fingerprint disabled? */
int cm_trustdb_is_disabled(const cm_trustdb *t, const char *hexfpr);
void cm_trustdb_free(cm_trustdb *t);

#endif
