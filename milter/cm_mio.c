/* cm_mio - libmilter's socket reads, read ahead (see cm_mio.h). */
#include "cm_mio.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct mio_buf {
    size_t off, len;            /* data[off, len) is not handed over yet */
    unsigned char data[CM_MIO_BUF];
} mio_buf;

/* Two levels, so that a table for every descriptor a process may have
 * costs only the pages in use. Descriptors past the end go unbuffered. */
#define PAGE_SLOTS 1024
#define PAGES 1024

typedef struct mio_page {
    _Atomic(mio_buf *) slot[PAGE_SLOTS];
} mio_page;

static _Atomic(mio_page *) pages[PAGES];

static _Atomic(mio_buf *) *slot_of(int fd, int make)
{
    mio_page *p, *fresh = NULL;
    size_t pi;

    if (fd < 0 || (size_t) fd >= (size_t) PAGES * PAGE_SLOTS)
        return NULL;
    pi = (size_t) fd / PAGE_SLOTS;
    p = atomic_load(&pages[pi]);
    if (p == NULL) {
        if (!make || (fresh = calloc(1, sizeof(*fresh))) == NULL)
            return NULL;
        for (size_t i = 0; i < PAGE_SLOTS; i++)
            atomic_init(&fresh->slot[i], NULL);
        if (atomic_compare_exchange_strong(&pages[pi], &p, fresh))
            p = fresh;
        else
            free(fresh);        /* another thread made it: p is theirs */
    }
    return &p->slot[(size_t) fd % PAGE_SLOTS];
}

static mio_buf *buf_of(int fd)
{
    _Atomic(mio_buf *) *s = slot_of(fd, 0);

    return s != NULL ? atomic_load(s) : NULL;
}

int cm_mio_adopt(int fd)
{
    _Atomic(mio_buf *) *s = slot_of(fd, 1);
    mio_buf *b;

    if (s == NULL)
        return -1;
    /* A buffer still there belongs to a descriptor closed behind
     * libmilter's back: its bytes are not this socket's, whether or not
     * this socket gets a buffer of its own. */
    free(atomic_exchange(s, NULL));
    if ((b = malloc(sizeof(*b))) == NULL)
        return -1;
    b->off = b->len = 0;
    atomic_store(s, b);
    return 0;
}

int cm_mio_accept(int fd, struct sockaddr *addr, socklen_t *len)
{
    int s = accept(fd, addr, len);

    if (s >= 0) {
        int e = errno;

        /* Without a buffer the session still works, read unbuffered. */
        (void) cm_mio_adopt(s);
        errno = e;
    }
    return s;
}

int cm_mio_close(int fd)
{
    _Atomic(mio_buf *) *s = slot_of(fd, 0);

    /* Before the descriptor is closed: once it is, accept may hand its
     * number to a new session in another thread. */
    if (s != NULL)
        free(atomic_exchange(s, NULL));
    return close(fd);
}

size_t cm_mio_buffered(int fd)
{
    mio_buf *b = buf_of(fd);

    return b != NULL ? b->len - b->off : 0;
}

static size_t hand_over(mio_buf *b, void *dst, size_t n)
{
    size_t k = b->len - b->off < n ? b->len - b->off : n;

    memcpy(dst, b->data + b->off, k);
    b->off += k;
    if (b->off == b->len)
        b->off = b->len = 0;
    return k;
}

ssize_t cm_mio_read(int fd, void *dst, size_t n)
{
    mio_buf *b = buf_of(fd);
    ssize_t r;

    if (b == NULL || n == 0)
        return read(fd, dst, n);
    if (b->len > b->off)
        return (ssize_t) hand_over(b, dst, n);
    /* Empty. A read as large as the buffer gains nothing from it. */
    if (n >= CM_MIO_BUF)
        return read(fd, dst, n);
    if ((r = read(fd, b->data, CM_MIO_BUF)) <= 0)
        return r;
    b->off = 0;
    b->len = (size_t) r;
    return (ssize_t) hand_over(b, dst, n);
}

static int wants_input(const struct pollfd *p)
{
    return p->fd >= 0 && (p->events & (POLLIN | POLLRDNORM)) != 0 && cm_mio_buffered(p->fd) > 0;
}

int cm_mio_poll(struct pollfd *fds, nfds_t nfds, int timeout)
{
    nfds_t i, buffered = 0;
    int r;

    for (i = 0; i < nfds; i++)
        buffered += wants_input(&fds[i]) ? 1 : 0;
    if (buffered == 0)
        return poll(fds, nfds, timeout);
    /* Bytes wait in a buffer: ready now, whatever the sockets say. Their
     * end (POLLHUP) comes after them, from the socket, once they are read. */
    if (nfds == 1) {
        fds[0].revents = (short) (fds[0].events & (POLLIN | POLLRDNORM));
        return 1;
    }
    if ((r = poll(fds, nfds, 0)) < 0) {
        if (errno != EINTR)
            return r;
        for (i = 0; i < nfds; i++)
            fds[i].revents = 0;
    }
    for (r = 0, i = 0; i < nfds; i++) {
        if (wants_input(&fds[i]))
            fds[i].revents = (short) (fds[i].events & (POLLIN | POLLRDNORM));
        r += fds[i].revents != 0 ? 1 : 0;
    }
    return r;
}
