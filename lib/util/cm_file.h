/* cm_file - reading the small files an administrator hands the gateway
 * (keyrings, trust databases, certificates, CRLs) without ever waiting on
 * one: a FIFO or device put in a file's place would hold the open, and
 * every lock its caller holds, forever. */
#ifndef CM_FILE_H
#define CM_FILE_H

#include <stddef.h>
#include <sys/stat.h>

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

#endif
