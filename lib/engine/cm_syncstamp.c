/* cm_syncstamp - keysync's stamp in KeyringDir (see the header). */
#include "cm_syncstamp.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int path_of(char *buf, size_t len, const char *dir, const char *name)
{
    int n = snprintf(buf, len, "%s/%s", dir, name);

    if (n < 0 || (size_t) n >= len) {
        errno = ENAMETOOLONG;
        return -1;
    }
    return 0;
}

int cm_syncstamp_read(const char *dir, int64_t *when)
{
    char path[4096];
    struct stat st;

    if (path_of(path, sizeof(path), dir, CM_SYNCSTAMP_NAME) < 0 || stat(path, &st) < 0)
        return -1;
    if (!S_ISREG(st.st_mode)) {
        errno = EINVAL;
        return -1;
    }
    *when = (int64_t) st.st_mtim.tv_sec;
    return 0;
}

int cm_syncstamp_write(const char *dir, int64_t when)
{
    char path[4096], tmp[4096], text[32];
    struct timespec ts[2];
    int fd, n, e;

    if (path_of(path, sizeof(path), dir, CM_SYNCSTAMP_NAME) < 0
        || path_of(tmp, sizeof(tmp), dir, "." CM_SYNCSTAMP_NAME ".new") < 0)
        return -1;
    n = snprintf(text, sizeof(text), "%" PRId64 "\n", when);
    if (n < 0 || (size_t) n >= sizeof(text)) {
        errno = EINVAL;
        return -1;
    }
    if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644)) < 0)
        return -1;
    ts[0].tv_sec = ts[1].tv_sec = (time_t) when;
    ts[0].tv_nsec = ts[1].tv_nsec = 0;
    if (write(fd, text, (size_t) n) != n || futimens(fd, ts) < 0 || fsync(fd) < 0) {
        e = errno ? errno : EIO;
        (void) close(fd);
        (void) unlink(tmp);
        errno = e;
        return -1;
    }
    if (close(fd) < 0 || rename(tmp, path) < 0) {
        e = errno;
        (void) unlink(tmp);
        errno = e;
        return -1;
    }
    return 0;
}
