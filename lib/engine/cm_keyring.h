/* cm_keyring - the public keyring file of a GnuPG home, checked by us
 * before gpg's answers about it are believed: its structure must run to
 * the exact end of the file (pubring.kbx: the blob chain, each OpenPGP
 * blob's SHA-1 checksum; pubring.gpg: the packet chain), and the number of
 * keys in it is counted, so that a listing gpg cut short (a damaged or
 * half-rewritten file) can be told from a complete one. */
#ifndef CM_KEYRING_H
#define CM_KEYRING_H

#include <stddef.h>

#include "cm_snapshot.h"
#include "cm_status.h"

/* What identifies one state of the file (a rewrite changes it): a
 * cm_snapshot_file, so that the engines' keyring caches stamp with it. */

typedef enum {
    CM_KEYRING_OK,
    CM_KEYRING_MISSING,     /* no directory or no pubring.kbx/pubring.gpg */
    CM_KEYRING_UNREADABLE,  /* open or read failed */
    CM_KEYRING_DAMAGED      /* structure or checksum wrong */
} cm_keyring_status;

/* The identity of dir's public keyring (stat only). */
cm_keyring_status cm_keyring_stat(const char *dir, cm_snapshot_file *id, char *err, size_t errlen);
/* Read and check dir's public keyring; *nkeys gets the number of OpenPGP
 * keys in it, *id the identity of what was read. */
cm_keyring_status cm_keyring_scan(const char *dir, cm_snapshot_file *id, size_t *nkeys,
                                  char *err, size_t errlen);
/* The same, keeping what was read: *out (heap, *len bytes; NULL unless
 * CM_KEYRING_OK) and whether it is a keybox (*kbx) or an OpenPGP keyring. */
cm_keyring_status cm_keyring_read(const char *dir, cm_snapshot_file *id, unsigned char **out,
                                  size_t *len, int *kbx, size_t *nkeys, char *err, size_t errlen);
/* Check an in-memory keybox (kbx = 1) or OpenPGP keyring (kbx = 0) image. */
cm_keyring_status cm_keyring_check(const unsigned char *p, size_t n, int kbx, size_t *nkeys,
                                   char *err, size_t errlen);
/* Is p[0..n) public keys only, as a key server or a Web Key Directory
 * serves them: binary OpenPGP packets with definite lengths to the end,
 * no secret key packet, no user ID that names two addresses (more than
 * one '<', or a NUL: gpg and GPGME would read different addresses in it)?
 * *nkeys: the primary keys. CM_KEYRING_OK, or
 * CM_KEYRING_DAMAGED with the reason in err. */
cm_keyring_status cm_keyring_check_public(const unsigned char *p, size_t n, size_t *nkeys,
                                          char *err, size_t errlen);
/* A failure above, logged (qid names the message) as the status an
 * engine answers: CM_ERR_KEYRING_DAMAGED or CM_ERR_KEYRING. */
cm_stat cm_keyring_error(const char *qid, cm_keyring_status ks, const char *err);
/* For a cm_snapshot of dir's keyring: its identity in stamp->file[0];
 * CM_OK, or the failure, logged. The identity is one stat: device, inode,
 * size, mtime and ctime (ns). A replacement by rename (as gpg, keysync and
 * the README's advice do it) always changes the inode. A rewrite in place
 * with the same size within one tick of the file system's clock (a few ms
 * on Linux 6.1's coarse timestamps) as the last load would not be seen;
 * the keyring in the middle of such a rewrite is caught as damaged anyway,
 * and CM_KEYRING_QUIET_NS below keeps a just-written file from being taken
 * as final. */
cm_stat cm_keyring_stamp(const char *dir, const char *qid, cm_snapshot_stamp *stamp);

/* The identity of dir's trust database (all zero if there is none), where
 * gpg keeps a key's "disabled" flag: a snapshot stamps it too, so that
 * cryptmilter-keys disable takes effect without a keyring change. CM_OK,
 * or CM_ERR_KEYRING, logged. */
cm_stat cm_keyring_trustdb_stamp(const char *dir, const char *qid, cm_snapshot_file *f);

/* Between gpg's two renames there is no keyring for a moment: found
 * missing while pubring.kbx~ or pubring.gpg~ is there, it is looked for
 * again this many times, this long apart (50 ms in all at most), before
 * "no public keyring". */
#define CM_KEYRING_RENAME_TRIES 5
#define CM_KEYRING_RENAME_WAIT_NS 10000000L

/* A keyring modified less than this long ago may still be being written. */
#define CM_KEYRING_QUIET_NS 1000000000L
/* Wait until the keyring id describes has been left alone that long. */
void cm_keyring_wait_quiet(const cm_snapshot_file *id);

#endif
