/* cm_mio - libmilter's socket reads read ahead, its replies written
 * together (see cm_mio.h). */
#include "cm_mio.h"

#include <libmilter/mfdef.h>

#include <errno.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* libmilter writes a frame as two pieces (its length and command, then
 * the data); writes of more pieces go straight out. */
#define MAX_IOV 8

typedef struct mio_buf {
    size_t off, len;            /* data[off, len) is not handed over yet */
    size_t wlen;                /* out[0, wlen) is not written yet */
    short ready;                /* the socket's last poll said so; nothing read since */
    int werr;                   /* a write failed with this errno: the session is over */
    int wtimeout;               /* libmilter's time-out for a write, in ms */
    int linger;                 /* >= 0: its looks for a command wait CM_MIO_LINGER_MS */
    int64_t missed_at;          /* ns: when a look that found nothing began; 0: none */
    unsigned char data[CM_MIO_BUF];
    unsigned char out[CM_MIO_OUT];
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
    b->off = b->len = b->wlen = 0;
    b->ready = 0;
    b->werr = 0;
    b->wtimeout = -1;
    b->linger = 0;
    b->missed_at = 0;
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

static int put_out(int fd, mio_buf *b, const struct iovec *iov, int iovcnt, int timeout);

int cm_mio_close(int fd)
{
    _Atomic(mio_buf *) *s = slot_of(fd, 0);

    /* Out of the table before the descriptor is closed: once it is,
     * accept may hand its number to a new session in another thread.
     * What libmilter wrote last still goes out first, as it would have,
     * but only what the socket has room for now: libmilter's pool closes
     * holding its one lock (mi_close_session), and a wait there would stop
     * every session. What does not fit is dropped; the MTA then sees the
     * stream end inside the replies, never a verdict without the changes
     * written before it. */
    if (s != NULL) {
        mio_buf *b = atomic_exchange(s, NULL);

        if (b != NULL && b->wlen > 0 && b->werr == 0)
            (void) put_out(fd, b, NULL, 0, 0);
        free(b);
    }
    return close(fd);
}

size_t cm_mio_buffered(int fd)
{
    mio_buf *b = buf_of(fd);

    return b != NULL ? b->len - b->off : 0;
}

size_t cm_mio_pending(int fd)
{
    mio_buf *b = buf_of(fd);

    return b != NULL ? b->wlen : 0;
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
    if (b->werr != 0) {
        errno = b->werr;
        return -1;
    }
    if (b->len > b->off)
        return (ssize_t) hand_over(b, dst, n);
    /* Empty: the socket is asked, and the MTA may be waiting for what
     * libmilter wrote. */
    if (b->wlen > 0 && put_out(fd, b, NULL, 0, b->wtimeout) < 0)
        return -1;
    b->ready = 0;
    /* A read as large as the buffer gains nothing from it. */
    if (n >= CM_MIO_BUF)
        return read(fd, dst, n);
    if ((r = read(fd, b->data, CM_MIO_BUF)) <= 0)
        return r;
    b->off = 0;
    b->len = (size_t) r;
    return (ssize_t) hand_over(b, dst, n);
}

/* The writes. libmilter's replies wait in out[] until the session next
 * waits for the MTA (a poll for input, a read of the socket, its close),
 * and go out then, with one call: the MTA waits for none of them before
 * that. A progress frame goes at once (it keeps the MTA's time-out from
 * firing while the milter works), and so does a write too large for
 * what is left of out[], with what waits before it. */

/* Writes out[0, wlen) and then iov, as one stream: one sendmsg when the
 * socket has room; when it has not, waits for room as libmilter does
 * (poll for POLLOUT, up to timeout ms: libmilter's own, but 0 at close)
 * and goes on. 0, or -1 with errno; then
 * the session's writes are over (werr), as a failed write ends it in
 * libmilter. */
static int put_out(int fd, mio_buf *b, const struct iovec *iov, int iovcnt, int timeout)
{
    struct iovec v[1 + MAX_IOV];
    int n = 0, i = 0;

    if (b->wlen > 0)
        v[n++] = (struct iovec){.iov_base = b->out, .iov_len = b->wlen};
    for (int k = 0; k < iovcnt; k++)
        if (iov[k].iov_len > 0)
            v[n++] = iov[k];
    b->wlen = 0;
    while (i < n) {
        struct msghdr m = {.msg_iov = v + i, .msg_iovlen = (size_t) (n - i)};
        struct pollfd p = {.fd = fd, .events = POLLOUT};
        ssize_t w;
        int r;

        /* MSG_NOSIGNAL: a peer gone is EPIPE here, not a signal. */
        if ((w = sendmsg(fd, &m, MSG_DONTWAIT | MSG_NOSIGNAL)) >= 0) {
            size_t k = (size_t) w;

            while (i < n && k >= v[i].iov_len)
                k -= v[i++].iov_len;
            if (i < n) {
                v[i].iov_base = (unsigned char *) v[i].iov_base + k;
                v[i].iov_len -= k;
            }
            continue;
        }
        if (errno == EINTR)
            continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK)
            return b->werr = errno, -1;
        if ((r = poll(&p, 1, timeout)) > 0 || (r < 0 && errno == EINTR))
            continue;
        return b->werr = r == 0 ? ETIMEDOUT : errno, errno = b->werr, -1;
    }
    return 0;
}

static int is_progress(const struct iovec *iov, int iovcnt)
{
    return iovcnt > 0 && iov[0].iov_len == MILTER_LEN_BYTES + 1
           && ((const unsigned char *) iov[0].iov_base)[MILTER_LEN_BYTES] == SMFIR_PROGRESS;
}

ssize_t cm_mio_writev(int fd, const struct iovec *iov, int iovcnt)
{
    mio_buf *b = buf_of(fd);
    size_t total = 0;

    if (b == NULL)
        return writev(fd, iov, iovcnt);
    if (b->werr != 0) {
        errno = b->werr;
        return -1;
    }
    if (iovcnt < 0 || iovcnt > MAX_IOV) {
        /* Not libmilter's way: straight out, after what waits. */
        if (b->wlen > 0 && put_out(fd, b, NULL, 0, b->wtimeout) < 0)
            return -1;
        return writev(fd, iov, iovcnt);
    }
    for (int i = 0; i < iovcnt; i++) {
        if (iov[i].iov_len > (size_t) SSIZE_MAX - total) {
            errno = EINVAL;
            return -1;
        }
        total += iov[i].iov_len;
    }
    if (total <= CM_MIO_OUT - b->wlen && !is_progress(iov, iovcnt)) {
        for (int i = 0; i < iovcnt; i++) {
            if (iov[i].iov_len > 0)
                memcpy(b->out + b->wlen, iov[i].iov_base, iov[i].iov_len);
            b->wlen += iov[i].iov_len;
        }
        return (ssize_t) total;
    }
    return put_out(fd, b, iov, iovcnt, b->wtimeout) < 0 ? -1 : (ssize_t) total;
}

ssize_t cm_mio_write(int fd, const void *p, size_t n)
{
    struct iovec v = {.iov_base = (void *) p, .iov_len = n};

    return buf_of(fd) == NULL || n > (size_t) SSIZE_MAX ? write(fd, p, n)
                                                         : cm_mio_writev(fd, &v, 1);
}

/* The polls. A wait for input first sends what waits to be written (the
 * MTA may be waiting for it). It is answered without asking the socket
 * while the buffer holds bytes, or while the socket's last answer still
 * stands (bytes to read, or its end: they stay until read); a wait for
 * room to write is answered at once (the write waits itself, if it must)
 * and leaves its time-out for that. */
static int input_wait(const struct pollfd *p)
{
    return (p->events & (POLLIN | POLLRDNORM | POLLPRI)) != 0;
}

static void prepare(const struct pollfd *p, int timeout)
{
    mio_buf *b = p->fd >= 0 ? buf_of(p->fd) : NULL;

    if (b == NULL)
        return;
    if (!input_wait(p))
        b->wtimeout = timeout;
    else if (b->wlen > 0 && b->werr == 0)
        (void) put_out(p->fd, b, NULL, 0, b->wtimeout);
}

/* What p's socket is known to be ready for without asking it; 0: ask. */
static short known(const struct pollfd *p)
{
    mio_buf *b = p->fd >= 0 ? buf_of(p->fd) : NULL;

    if (b == NULL)
        return 0;
    if (b->werr != 0)
        return POLLERR;
    if (!input_wait(p))
        return (short) (p->events & (POLLOUT | POLLWRNORM));
    if (b->len > b->off)
        return (short) (p->events & (POLLIN | POLLRDNORM));
    return (short) (b->ready & (p->events | POLLHUP | POLLERR));
}

/* Keeps what the socket said for the next poll of it. */
static void note(const struct pollfd *p)
{
    mio_buf *b = p->fd >= 0 ? buf_of(p->fd) : NULL;

    if (b != NULL && input_wait(p))
        b->ready = (short) (p->revents & (POLLIN | POLLRDNORM | POLLPRI | POLLHUP | POLLERR));
}

/* Lingering (cm_mio.h). A session's looks for its next command wait
 * CM_MIO_LINGER_MS while its commands come that quickly. Each look that
 * asks the socket scores: a command that came within the linger counts
 * one for it, one that came later two against (a worker held for nothing
 * costs more than a hand-over saved: libmilter starts another thread for
 * the sessions that became ready meanwhile), the score held between
 * LINGER_MIN and LINGER_MAX. A look that found nothing (a long wait, or
 * libmilter's own 1 ms) notes when it began, and the next look that finds
 * the command judges by the time since then, so the MTA's pace is
 * followed while the looks are short too. A look answered from the
 * buffer says nothing of the MTA's pace (the MTA sent the command with
 * the one before) and does not score. */
#define LINGER_MAX 2
#define LINGER_MIN (-4)

static int64_t now_ns(void)
{
    struct timespec t;

    if (clock_gettime(CLOCK_MONOTONIC, &t) != 0)
        return 0;
    return (int64_t) t.tv_sec * 1000000000 + t.tv_nsec;
}

/* The look for the next command libmilter makes (a single socket, for
 * input, with a time-out shorter than the linger): its buffer, else NULL. */
static mio_buf *look_of(const struct pollfd *fds, nfds_t nfds, int timeout)
{
    if (nfds != 1 || timeout <= 0 || timeout >= CM_MIO_LINGER_MS || !input_wait(&fds[0]))
        return NULL;
    return buf_of(fds[0].fd);
}

/* After a look that began at t0 and answered r. */
static void looked(mio_buf *b, int64_t t0, int r)
{
    if (r == 0) {
        if (b->missed_at == 0)
            b->missed_at = t0 != 0 ? t0 : 1;
        return;
    }
    if (r < 0)
        return;
    if (b->missed_at != 0) {
        int64_t t = now_ns();
        int late = t == 0 || t - b->missed_at >= (int64_t) CM_MIO_LINGER_MS * 1000000;

        b->missed_at = 0;
        if (late) {
            b->linger = b->linger - 2 < LINGER_MIN ? LINGER_MIN : b->linger - 2;
            return;
        }
    }
    b->linger += b->linger < LINGER_MAX ? 1 : 0;
}

int cm_mio_poll(struct pollfd *fds, nfds_t nfds, int timeout)
{
    nfds_t i, now = 0;
    int r;

    for (i = 0; i < nfds; i++) {
        prepare(&fds[i], timeout);
        now += known(&fds[i]) != 0 ? 1 : 0;
    }
    if (now == 0) {
        mio_buf *look = look_of(fds, nfds, timeout);
        int64_t t0 = 0;

        /* libmilter's look for the next command (1 ms) waits longer
         * while the session's commands come quickly: what it gives up
         * on goes back to the pool controller. */
        if (look != NULL) {
            t0 = now_ns();
            if (look->linger >= 0)
                timeout = CM_MIO_LINGER_MS;
        }
        /* Only a session's own thread keeps what its socket said: the
         * pool controller's poll of many may still list a number its
         * session closed and accept has handed to a new one (libmilter
         * polls its old list again after closing an idle session). */
        if ((r = poll(fds, nfds, timeout)) >= 0 && nfds == 1)
            note(&fds[0]);
        if (look != NULL)
            looked(look, t0, r);
        return r;
    }
    /* Some are known: the others are asked without waiting. */
    if (nfds == 1) {
        fds[0].revents = 0;
    } else if (poll(fds, nfds, 0) < 0) {
        if (errno != EINTR)
            return -1;
        for (i = 0; i < nfds; i++)
            fds[i].revents = 0;
    }
    for (r = 0, i = 0; i < nfds; i++) {
        fds[i].revents |= known(&fds[i]);
        r += fds[i].revents != 0 ? 1 : 0;
    }
    return r;
}
