/* cm_gpgme_loop - our own event loop for a GPGME operation (GPGME's user
 * I/O callbacks), with a deadline.
 *
 * GPGME's internal loop spins forever when gpg dies while GPGME still
 * writes to it: poll(2) reports POLLERR alone on the pipe, which GPGME does
 * not count as ready, so it never writes, never sees EPIPE and never looks
 * at a cancel request. Here every fd with any revents (POLLERR and POLLHUP
 * included) gets its handler, which then fails the write and ends the
 * operation; and when the deadline passes the operation is cancelled. */
#include "cm_gpgme_int.h"
#include "cm_log.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_FDS 16

typedef struct loop_fd {
    int fd;
    int dir;                /* 1: GPGME reads from fd; 0: writes to it */
    gpgme_io_cb_t fnc;
    void *fnc_data;
    int active;
} loop_fd;

typedef struct loop {
    loop_fd fds[MAX_FDS];
    int done;
    gpgme_error_t err;
} loop;

static gpgme_error_t add_cb(void *data, int fd, int dir, gpgme_io_cb_t fnc, void *fnc_data,
                            void **tag)
{
    loop *l = data;
    size_t i;

    for (i = 0; i < MAX_FDS; i++) {
        if (!l->fds[i].active) {
            l->fds[i] = (loop_fd) {fd, dir, fnc, fnc_data, 1};
            *tag = &l->fds[i];
            return 0;
        }
    }
    return gpg_error(GPG_ERR_GENERAL);
}

static void remove_cb(void *tag)
{
    ((loop_fd *) tag)->active = 0;
}

static void event_cb(void *data, gpgme_event_io_t type, void *type_data)
{
    loop *l = data;

    if (type == GPGME_EVENT_DONE) {
        gpgme_io_event_done_data_t d = type_data;

        l->done = 1;
        l->err = d == NULL ? 0 : d->err ? d->err : d->op_err;
    }
}

static long ms_left(const struct timespec *deadline)
{
    struct timespec now;

    (void) clock_gettime(CLOCK_MONOTONIC, &now);
    return (long) (deadline->tv_sec - now.tv_sec) * 1000 + (deadline->tv_nsec - now.tv_nsec) / 1000000;
}

gpgme_error_t cm_gpgme_run(gpgme_ctx_t ctx, const char *qid, uint64_t timeout,
                           gpgme_error_t (*start)(void *), void *arg, void (*tick)(void *),
                           void *tick_arg, int *expired)
{
    loop l;
    struct gpgme_io_cbs cbs = {add_cb, &l, remove_cb, event_cb, &l};
    struct timespec deadline;
    gpgme_error_t ge;

    *expired = 0;
    memset(&l, 0, sizeof(l));
    (void) clock_gettime(CLOCK_MONOTONIC, &deadline);
    deadline.tv_sec += (time_t) timeout;
    gpgme_set_io_cbs(ctx, &cbs);
    if ((ge = start(arg)) != 0) {
        gpgme_set_io_cbs(ctx, NULL);
        return ge;
    }
    while (!l.done) {
        struct pollfd p[MAX_FDS];
        loop_fd *which[MAX_FDS];
        nfds_t n = 0, i;
        long left = ms_left(&deadline);
        int r;

        for (i = 0; i < MAX_FDS; i++) {
            if (l.fds[i].active) {
                p[n].fd = l.fds[i].fd;
                p[n].events = l.fds[i].dir ? POLLIN : POLLOUT;
                p[n].revents = 0;
                which[n++] = &l.fds[i];
            }
        }
        if (left <= 0 || n == 0) {
            *expired = left <= 0;
            if (n == 0)
                cm_log_error("%s: GPGME operation has no fd left but did not finish", qid);
            (void) gpgme_cancel(ctx);
            l.err = gpg_error(*expired ? GPG_ERR_TIMEOUT : GPG_ERR_GENERAL);
            break;
        }
        r = poll(p, n, (int) (left > 1000 ? 1000 : left));
        if (tick != NULL)
            tick(tick_arg);
        if (r < 0 && errno != EINTR) {
            cm_log_errno("%s: poll on the engine's pipes", qid);
            (void) gpgme_cancel(ctx);
            l.err = gpg_error(GPG_ERR_GENERAL);
            break;
        }
        for (i = 0; r > 0 && i < n && !l.done; i++) {
            if (p[i].revents == 0 || !which[i]->active || which[i]->fd != p[i].fd)
                continue;
            if ((ge = which[i]->fnc(which[i]->fnc_data, p[i].fd)) != 0) {
                (void) gpgme_cancel(ctx);
                if (!l.done || l.err == 0)
                    l.err = ge;
                l.done = 1;
            }
        }
    }
    gpgme_set_io_cbs(ctx, NULL);
    return l.err;
}

ssize_t cm_gpgme_read_cb(void *handle, void *buf, size_t size)
{
    cm_reader *r = handle;

    return r->read(r->arg, buf, size);
}

ssize_t cm_gpgme_write_cb(void *handle, const void *buf, size_t size)
{
    cm_gpgme_sink *k = handle;

    if (k->w->write(k->w->arg, buf, size) < 0) {
        k->write_errno = errno ? errno : EIO;
        errno = k->write_errno;
        return -1;
    }
    return (ssize_t) size;
}
