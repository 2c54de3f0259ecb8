/* cm_file - reading the small files an administrator hands the gateway,
 * never waiting on one. */
#include "cm_file.h"

#include <errno.h>
#include <fcntl.h>
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
