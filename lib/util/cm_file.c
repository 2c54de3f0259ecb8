/* cm_file - the small files an administrator hands the gateway: read
 * without waiting on one, replaced whole. */
#include "cm_file.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int cm_file_open_regular(const char *path, struct stat *st)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY), e;

    if (fd < 0)
        return -1;
    if (fstat(fd, st) < 0) {
        e = errno;
        (void) close(fd);
        errno = e;
        return -1;
    }
    if (!S_ISREG(st->st_mode)) {
        (void) close(fd);
        return -2;
    }
    return fd;
}

int cm_file_read(const char *path, size_t max, char **buf, size_t *len, struct stat *st)
{
    int fd = cm_file_open_regular(path, st), e = 0;
    size_t size, got = 0;

    *buf = NULL;
    *len = 0;
    if (fd < 0)
        return fd;
    if (st->st_size < 0 || (uint64_t) st->st_size > max)
        e = EFBIG;
    else if ((*buf = malloc((size = (size_t) st->st_size) + 1)) == NULL)
        e = ENOMEM;
    /* One byte more than fstat said: a file that grew is seen. */
    while (e == 0 && got <= size) {
        ssize_t r = read(fd, *buf + got, size + 1 - got);

        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            e = EIO;
        if (r <= 0)
            break;
        got += (size_t) r;
    }
    (void) close(fd);
    if (e == 0 && got != size)
        e = EIO;
    if (e != 0) {
        if (*buf != NULL)
            explicit_bzero(*buf, got);
        free(*buf);
        *buf = NULL;
        errno = e;
        return -1;
    }
    (*buf)[got] = 0;
    *len = got;
    return 0;
}

int cm_file_sync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), r, e;

    if (fd < 0)
        return -1;
    r = fsync(fd);
    e = errno;
    if (close(fd) < 0 || r < 0)
        return errno = r < 0 ? e : errno, -1;
    return 0;
}

/* path's directory into dir and ".NAME.PID" beside it into tmp. 0, or -1
 * (ENAMETOOLONG). */
static int aside(const char *path, char dir[PATH_MAX], char tmp[PATH_MAX])
{
    const char *slash = strrchr(path, '/');
    size_t dlen = slash == NULL ? 0 : (size_t) (slash - path);
    int n;

    if (slash == NULL)
        n = snprintf(dir, PATH_MAX, ".");
    else
        n = snprintf(dir, PATH_MAX, "%.*s", (int) (dlen ? dlen : 1), path);
    if (n < 0 || n >= PATH_MAX)
        return errno = ENAMETOOLONG, -1;
    n = snprintf(tmp, PATH_MAX, "%.*s.%s.%ld", (int) (slash ? dlen + 1 : 0), path,
                 slash ? slash + 1 : path, (long) getpid());
    if (n < 0 || n >= PATH_MAX)
        return errno = ENAMETOOLONG, -1;
    return 0;
}

int cm_file_replace(const char *path, mode_t mode, uid_t uid, gid_t gid,
                    int (*fill)(FILE *fp, void *arg), void *arg)
{
    char dir[PATH_MAX], tmp[PATH_MAX];
    FILE *fp;
    int fd, ok, e;

    if (aside(path, dir, tmp) < 0)
        return -1;
    (void) unlink(tmp);         /* a previous run of this pid that died */
    if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode)) < 0)
        return -1;
    if (fchmod(fd, mode) < 0 || (uid != (uid_t) -1 && fchown(fd, uid, gid) < 0)
        || (fp = fdopen(fd, "w")) == NULL) {
        e = errno;
        (void) close(fd);
        (void) unlink(tmp);
        return errno = e, -1;
    }
    errno = 0;
    ok = fill(fp, arg) == 0;
    ok = fflush(fp) == 0 && ok && fsync(fd) == 0;
    e = errno ? errno : EIO;
    ok = fclose(fp) == 0 && ok;
    if (!ok || rename(tmp, path) < 0 || cm_file_sync_dir(dir) < 0) {
        e = ok ? errno : e;
        (void) unlink(tmp);
        return errno = e, -1;
    }
    return 0;
}
