/* cm_keysync_stage - keysync's staging home and its lock. */
#define _GNU_SOURCE
#include "cm_keysync_stage.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define PREFIX ".keysync."
#define LOCK_NAME ".keysync.lock"

static int join(char *buf, size_t len, const char *dir, const char *name)
{
    int n = snprintf(buf, len, "%s/%s", dir, name);

    if (n < 0 || (size_t) n >= len) {
        errno = ENAMETOOLONG;
        return -1;
    }
    return 0;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void) st;
    (void) ftw;
    return (flag == FTW_DP ? rmdir(path) : unlink(path)) < 0 && errno != ENOENT ? -1 : 0;
}

static int rm_tree(const char *dir)
{
    return nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* Staging directories a crashed run left in dir (we hold the lock: none
 * is in use but keep, this run's). */
static void clear_old(const char *keyring, const char *keep)
{
    char path[4096];
    struct dirent *de;
    struct stat st;
    DIR *d = opendir(keyring);

    if (d == NULL)
        return;
    while ((de = readdir(d)) != NULL) {
        if (strncmp(de->d_name, PREFIX, strlen(PREFIX)) != 0 || strcmp(de->d_name, LOCK_NAME) == 0
            || join(path, sizeof(path), keyring, de->d_name) < 0 || lstat(path, &st) < 0
            || !S_ISDIR(st.st_mode) || strcmp(path, keep) == 0)
            continue;
        (void) rm_tree(path);
    }
    (void) closedir(d);
}

static int exists(const char *dir, const char *name)
{
    char path[4096];
    struct stat st;

    return join(path, sizeof(path), dir, name) == 0 && lstat(path, &st) == 0;
}

int cm_keysync_stage_open(cm_keysync_stage *s, const char *keyring, char *err, size_t errlen)
{
    char path[4096];
    int fd, e;

    memset(s, 0, sizeof(*s));
    s->lock_fd = -1;
    if (join(s->keyring, sizeof(s->keyring), keyring, "") < 0
        || join(path, sizeof(path), keyring, LOCK_NAME) < 0) {
        snprintf(err, errlen, "KeyringDir %s: path too long", keyring);
        return -1;
    }
    s->keyring[strlen(s->keyring) - 1] = '\0';
    if ((s->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600)) < 0
        || flock(s->lock_fd, LOCK_EX | LOCK_NB) < 0) {
        e = errno;
        snprintf(err, errlen, "%s: %s", path, e == EWOULDBLOCK ? "another keysync is running"
                 : strerror(e));
        if (s->lock_fd >= 0)
            (void) close(s->lock_fd);
        s->lock_fd = -1;
        errno = e;
        return -1;
    }
    clear_old(keyring, "");
    /* A keyring kept as pubring.gpg stays one: gpg uses the file it finds. */
    s->name = !exists(keyring, "pubring.kbx") && exists(keyring, "pubring.gpg")
              ? "pubring.gpg" : "pubring.kbx";
    if (join(s->dir, sizeof(s->dir), keyring, PREFIX "XXXXXX") < 0 || mkdtemp(s->dir) == NULL) {
        snprintf(err, errlen, "staging directory in %s: %s", keyring, strerror(errno));
        s->dir[0] = '\0';
        cm_keysync_stage_close(s);
        return -1;
    }
    if (strcmp(s->name, "pubring.gpg") == 0) {
        if (join(path, sizeof(path), s->dir, s->name) < 0
            || (fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) < 0
            || close(fd) < 0) {
            snprintf(err, errlen, "%s/%s: %s", s->dir, s->name, strerror(errno));
            cm_keysync_stage_close(s);
            return -1;
        }
    }
    return 0;
}

int cm_keysync_stage_install(cm_keysync_stage *s, char *err, size_t errlen)
{
    char from[4096], to[4096];
    struct stat old;
    int dfd;

    if (join(from, sizeof(from), s->dir, s->name) < 0 || join(to, sizeof(to), s->keyring, s->name) < 0)
        return snprintf(err, errlen, "%s: path too long", s->keyring), -1;
    if (stat(to, &old) == 0 && chmod(from, old.st_mode & 07777) < 0)
        return snprintf(err, errlen, "%s: %s", from, strerror(errno)), -1;
    if (rename(from, to) < 0)
        return snprintf(err, errlen, "renaming %s to %s: %s", from, to, strerror(errno)), -1;
    if ((dfd = open(s->keyring, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 || fsync(dfd) < 0) {
        snprintf(err, errlen, "%s: %s", s->keyring, strerror(errno));
        if (dfd >= 0)
            (void) close(dfd);
        return -1;
    }
    (void) close(dfd);
    return 0;
}

int cm_keysync_stage_certdir(cm_keysync_stage *s, const char *certdir, char *err, size_t errlen)
{
    char parent[4096], *slash;

    if (join(s->certdir, sizeof(s->certdir), certdir, "") < 0) {
        snprintf(err, errlen, "CertificateDir %s: path too long", certdir);
        return -1;
    }
    s->certdir[strlen(s->certdir) - 1] = '\0';
    while (strlen(s->certdir) > 1 && s->certdir[strlen(s->certdir) - 1] == '/')
        s->certdir[strlen(s->certdir) - 1] = '\0';
    memcpy(parent, s->certdir, sizeof(parent));
    if ((slash = strrchr(parent, '/')) == NULL)
        snprintf(parent, sizeof(parent), ".");
    else
        slash[slash == parent] = '\0';
    clear_old(parent, s->dir);
    if (join(s->certs, sizeof(s->certs), parent, PREFIX "certs.XXXXXX") < 0
        || mkdtemp(s->certs) == NULL) {
        snprintf(err, errlen, "staging directory beside %s: %s", s->certdir, strerror(errno));
        s->certs[0] = '\0';
        return -1;
    }
    return 0;
}

int cm_keysync_stage_install_certdir(cm_keysync_stage *s, char *err, size_t errlen)
{
    struct stat old;

    if (lstat(s->certdir, &old) < 0) {
        if (errno != ENOENT || rename(s->certs, s->certdir) < 0)
            return snprintf(err, errlen, "%s: %s", s->certdir, strerror(errno)), -1;
        s->certs[0] = '\0';
        return 0;
    }
    if (!S_ISDIR(old.st_mode))
        return snprintf(err, errlen, "%s is not a directory", s->certdir), -1;
    if (chmod(s->certs, old.st_mode & 07777) < 0
        || renameat2(AT_FDCWD, s->certs, AT_FDCWD, s->certdir, RENAME_EXCHANGE) < 0)
        return snprintf(err, errlen, "exchanging %s and %s: %s", s->certs, s->certdir,
                        strerror(errno)), -1;
    return 0;
}

void cm_keysync_stage_close(cm_keysync_stage *s)
{
    if (s->certs[0] != '\0')
        (void) rm_tree(s->certs);
    s->certs[0] = '\0';
    if (s->dir[0] != '\0')
        (void) rm_tree(s->dir);
    s->dir[0] = '\0';
    if (s->lock_fd >= 0)
        (void) close(s->lock_fd);
    s->lock_fd = -1;
}
