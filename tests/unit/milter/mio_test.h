/* What the cm_mio tests share: a socket pair with the milter's end
 * adopted, and the calls libmilter makes on it. */
#ifndef MIO_TEST_H
#define MIO_TEST_H

#include "cm_mio.h"
#include "cm_test.h"

#include <libmilter/mfdef.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

/* A connected pair: [0] is the milter's end (adopted), [1] the MTA's. */
static inline void pair(int sv[2])
{
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    ck_assert_int_eq(cm_mio_adopt(sv[0]), 0);
}

/* The pair's ends closed, the milter's through cm_mio. */
static inline void unpair(int sv[2])
{
    ck_assert_int_eq(cm_mio_close(sv[0]), 0);
    ck_assert_int_eq(close(sv[1]), 0);
}

static inline void put(int fd, const void *p, size_t n)
{
    ck_assert_int_eq((int) write(fd, p, n), (int) n);
}

static inline int ready(int fd, int timeout)
{
    struct pollfd p = {.fd = fd, .events = POLLIN | POLLPRI};

    return cm_mio_poll(&p, 1, timeout) == 1 && (p.revents & POLLIN) != 0;
}

/* One frame as libmilter writes it: poll for room, then a writev of its
 * length and command, and its data. */
static inline ssize_t frame(int fd, char cmd, const void *data, size_t n, int timeout)
{
    unsigned char head[5] = {(unsigned char) ((n + 1) >> 24), (unsigned char) ((n + 1) >> 16),
                             (unsigned char) ((n + 1) >> 8), (unsigned char) (n + 1),
                             (unsigned char) cmd};
    struct iovec v[2] = {{.iov_base = head, .iov_len = 5}, {.iov_base = (void *) data, .iov_len = n}};
    struct pollfd p = {.fd = fd, .events = POLLOUT};

    ck_assert_int_eq(cm_mio_poll(&p, 1, timeout), 1);
    ck_assert(p.revents & POLLOUT);
    return cm_mio_writev(fd, v, n > 0 ? 2 : 1);
}

/* What the MTA's end holds now, without waiting. */
static inline size_t arrived(int fd, unsigned char *buf, size_t cap)
{
    size_t have = 0;
    ssize_t r;

    while (have < cap && (r = recv(fd, buf + have, cap - have, MSG_DONTWAIT)) > 0)
        have += (size_t) r;
    return have;
}

#endif
