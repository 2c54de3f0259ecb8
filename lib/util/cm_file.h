/* cm_file - the small files an administrator hands the gateway (keyrings,
 * trust databases, certificates, CRLs): read without ever waiting on one
 * (a FIFO or device put in a file's place would hold the open, and every
 * lock its caller holds, forever), and replaced whole (cryptmilter-keys). */
#ifndef CM_FILE_H
#define CM_FILE_H

#include <stddef.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/types.h>

/* Open path for reading with O_NONBLOCK, then only if it is a regular file
 * (a symbolic link to one is followed: a keyring may be kept elsewhere).
 * The fd, with *st; -1 with errno (ENOENT: there is none); -2: not a
 * regular file. */
int cm_file_open_regular(const char *path, struct stat *st);

/* All of path (at most max bytes) into *buf (heap, NUL after the *len
 * bytes), with what fstat said of it. 0; -1 with errno (ENOENT, EFBIG over
 * max, ENOMEM, EIO for a read error or a file that changed size while being
 * read); -2: not a regular file. */
int cm_file_read(const char *path, size_t max, char **buf, size_t *len, struct stat *st);

/* Replace path with what fill writes to fp (0, or -1 with errno): written
 * to a dot file beside it (".NAME.PID", which the loaders skip), made
 * with O_EXCL, given mode exactly (whatever the umask) and, unless uid is
 * (uid_t) -1, to uid:gid, before a byte is written; flushed, fsync'd,
 * renamed over path, and the directory fsync'd: a reader sees the old file
 * or all of the new one. 0, or -1 with errno (the dot file removed). */
int cm_file_replace(const char *path, mode_t mode, uid_t uid, gid_t gid,
                    int (*fill)(FILE *fp, void *arg), void *arg);
/* fsync a directory: its entries on disk after a rename or unlink. 0, or
 * -1 with errno. */
int cm_file_sync_dir(const char *dir);

#endif
