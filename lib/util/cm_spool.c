/* cm_spool - message store: RAM up to a limit, then an unlinked 0600 file. */
#define _GNU_SOURCE             /* O_TMPFILE */
#include "cm_spool.h"
#include "cm_buf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct cm_spool {
    cm_buf mem;
    size_t mem_limit;
    char *dir;
    int fd;             /* -1 while in memory */
    uint64_t size;
    uint64_t rpos;      /* read cursor */
    cm_spool_fwd fwd;   /* non-NULL: nothing kept, each write goes on to fwd */
    void *fwd_arg;
};

cm_spool *cm_spool_new(size_t mem_limit, const char *dir)
{
    cm_spool *s = calloc(1, sizeof(*s));

    if (s == NULL)
        return NULL;
    cm_buf_init(&s->mem);
    s->mem_limit = mem_limit;
    s->fd = -1;
    if (dir != NULL && (s->dir = strdup(dir)) == NULL) {
        free(s);
        return NULL;
    }
    return s;
}

cm_spool *cm_spool_new_forward(cm_spool_fwd fn, void *arg)
{
    cm_spool *s = cm_spool_new(0, NULL);

    if (s != NULL) {
        s->fwd = fn;
        s->fwd_arg = arg;
    }
    return s;
}

void cm_spool_free(cm_spool *s)
{
    if (s == NULL)
        return;
    if (s->fd >= 0)
        (void) close(s->fd);
    cm_buf_free(&s->mem);
    free(s->dir);
    free(s);
}

/* n bytes at off: pwrite, so that the file offset never matters (no lseek
 * before each append). */
static int write_all(int fd, const unsigned char *p, size_t n, uint64_t off)
{
    while (n > 0) {
        ssize_t w;

        if (off > (uint64_t) INT64_MAX - n) {
            errno = EOVERFLOW;
            return -1;
        }
        if ((w = pwrite(fd, p, n, (off_t) off)) < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += w;
        n -= (size_t) w;
        off += (uint64_t) w;
    }
    return 0;
}

/* An unnamed 0600 file in dir (O_TMPFILE: never linked, one system call
 * where mkstemp takes five with its umask, CLOEXEC and unlink); -1 with
 * errno, -2 if dir's file system has no O_TMPFILE. */
static int open_unnamed(const char *dir)
{
#ifdef O_TMPFILE
    int fd;

    do {
        fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    } while (fd < 0 && errno == EINTR);
    if (fd >= 0 || (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL))
        return fd;
#else
    (void) dir;
#endif
    return -2;
}

/* Move the in-memory part to an anonymous file: O_TMPFILE, else mkstemp
 * (0600) unlinked at once. */
static int spill(cm_spool *s)
{
    cm_buf path = CM_BUF_INIT;
    mode_t old;
    int fd = open_unnamed(s->dir);

    if (fd == -1)
        return -1;
    if (fd >= 0) {
        if (write_all(fd, s->mem.data, s->mem.len, 0) < 0) {
            int e = errno;

            (void) close(fd);
            errno = e;
            return -1;
        }
        cm_buf_free(&s->mem);
        s->fd = fd;
        return 0;
    }
    if (cm_buf_printf(&path, "%s/cryptmilter.XXXXXX", s->dir) < 0)
        return -1;
    old = umask(077);
    fd = mkstemp((char *) path.data);
    (void) umask(old);
    if (fd >= 0 && fcntl(fd, F_SETFD, FD_CLOEXEC) < 0) {
        (void) unlink((char *) path.data);
        (void) close(fd);
        fd = -1;
    }
    if (fd < 0) {
        cm_buf_free(&path);
        return -1;
    }
    if (unlink((char *) path.data) < 0 || write_all(fd, s->mem.data, s->mem.len, 0) < 0) {
        int e = errno;

        (void) unlink((char *) path.data);
        (void) close(fd);
        cm_buf_free(&path);
        errno = e;
        return -1;
    }
    cm_buf_free(&path);
    cm_buf_free(&s->mem);
    s->fd = fd;
    return 0;
}

int cm_spool_write(cm_spool *s, const void *p, size_t n)
{
    if (n == 0)
        return 0;
    if (s->size + n < s->size) {
        errno = EOVERFLOW;
        return -1;
    }
    if (s->fwd != NULL) {
        errno = EIO;            /* unless fwd says better */
        if (s->fwd(s->fwd_arg, p, n) < 0)
            return -1;
    } else {
        if (s->fd < 0 && s->dir != NULL && s->mem.len + n > s->mem_limit && spill(s) < 0)
            return -1;
        if (s->fd >= 0) {
            if (write_all(s->fd, p, n, s->size) < 0)
                return -1;
        } else if (cm_buf_append(&s->mem, p, n) < 0) {
            return -1;
        }
    }
    s->size += n;
    return 0;
}

int cm_spool_truncate(cm_spool *s)
{
    if (s->fwd != NULL && s->size > 0) {
        errno = EINVAL;         /* what went on cannot be called back */
        return -1;
    }
    if (s->fd >= 0 && ftruncate(s->fd, 0) < 0)
        return -1;
    cm_buf_reset(&s->mem);
    s->size = 0;
    s->rpos = 0;
    return 0;
}

int cm_spool_write_buf(cm_spool *s, cm_buf *b)
{
    int r = cm_spool_write(s, b->data, b->len);

    cm_buf_reset(b);
    return r;
}

uint64_t cm_spool_size(const cm_spool *s)
{
    return s->size;
}

int cm_spool_spilled(const cm_spool *s)
{
    return s->fd >= 0;
}

int cm_spool_rewind(cm_spool *s)
{
    s->rpos = 0;
    return 0;
}

static ssize_t read_at(cm_spool *s, uint64_t pos, void *p, size_t n)
{
    ssize_t r;

    if (s->fwd != NULL) {
        errno = EINVAL;
        return -1;
    }
    if (pos >= s->size)
        return 0;
    if (n > s->size - pos)
        n = (size_t) (s->size - pos);
    if (s->fd < 0) {
        memcpy(p, s->mem.data + pos, n);
        return (ssize_t) n;
    }
    do {
        r = pread(s->fd, p, n, (off_t) pos);
    } while (r < 0 && errno == EINTR);
    if (r == 0) {               /* file shorter than we wrote: treat as I/O error */
        errno = EIO;
        return -1;
    }
    return r;
}

ssize_t cm_spool_read(cm_spool *s, void *p, size_t n)
{
    ssize_t r = read_at(s, s->rpos, p, n);

    if (r > 0)
        s->rpos += (uint64_t) r;
    return r;
}

ssize_t cm_spool_peek(cm_spool *s, void *p, size_t n)
{
    return cm_spool_read_full_at(s, 0, p, n);
}

ssize_t cm_spool_read_full_at(cm_spool *s, uint64_t off, void *p, size_t n)
{
    size_t got = 0;

    while (got < n) {
        ssize_t r = read_at(s, off + got, (unsigned char *) p + got, n - got);

        if (r < 0)
            return -1;
        if (r == 0)
            break;
        got += (size_t) r;
    }
    return (ssize_t) got;
}

ssize_t cm_spool_read_at(cm_spool *s, uint64_t off, void *p, size_t n)
{
    return read_at(s, off, p, n);
}

void cm_spool_range_init(cm_spool_range *r, cm_spool *s, uint64_t off, uint64_t len)
{
    uint64_t size = cm_spool_size(s);

    r->s = s;
    r->err = 0;
    r->pos = off < size ? off : size;
    r->end = len <= size - r->pos ? r->pos + len : size;
}

ssize_t cm_spool_range_read(cm_spool_range *r, void *p, size_t n)
{
    ssize_t got;

    if ((uint64_t) n > r->end - r->pos)
        n = (size_t) (r->end - r->pos);
    if (n == 0)
        return 0;
    if ((got = read_at(r->s, r->pos, p, n)) > 0)
        r->pos += (uint64_t) got;
    else if (got < 0 && r->err == 0)
        r->err = errno ? errno : EIO;
    return got;
}

ssize_t cm_spool_range_pull(void *arg, void *p, size_t n)
{
    return cm_spool_range_read(arg, p, n);
}

int cm_spool_range_feed(cm_spool *s, uint64_t off, uint64_t len, cm_spool_sink fn, void *arg)
{
    unsigned char buf[16384];
    cm_spool_range r;
    ssize_t n;
    int rc;

    cm_spool_range_init(&r, s, off, len);
    while ((n = cm_spool_range_read(&r, buf, sizeof(buf))) > 0)
        if ((rc = fn(arg, buf, (size_t) n)) != 0)
            return rc;
    return n < 0 ? -1 : 0;
}
