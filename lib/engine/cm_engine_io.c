/* cm_engine_io - an in-process engine's side of the reader and writer. */
#include "cm_engine_io.h"
#include "cm_log.h"

#include <errno.h>
#include <string.h>
#include <time.h>

static int64_t mono_now(void)
{
    struct timespec ts;

    if (clock_gettime(CLOCK_MONOTONIC, &ts) < 0)
        return 0;
    return (int64_t) ts.tv_sec;
}

void cm_engine_io_init(cm_engine_io *io, const cm_msgctx *mc, cm_reader *in, cm_writer *out)
{
    memset(io, 0, sizeof(*io));
    io->in = in;
    io->out = out;
    io->last_tick = mono_now();
    io->deadline = io->last_tick + (int64_t) mc->cfg->engine_timeout;
}

/* Past the deadline? Else tick the reader, once a second. */
static int expired(cm_engine_io *io)
{
    int64_t now = mono_now();

    if (now >= io->deadline)
        io->timed_out = 1;
    else if (io->in != NULL && io->in->tick != NULL && now > io->last_tick) {
        io->last_tick = now;
        io->in->tick(io->in->arg);
    }
    return io->timed_out;
}

ssize_t cm_engine_io_read(cm_engine_io *io, void *buf, size_t n)
{
    ssize_t r;

    if (expired(io))
        return -1;
    do
        r = io->in->read(io->in->arg, buf, n);
    while (r < 0 && errno == EINTR);
    if (r < 0)
        io->read_errno = errno ? errno : EIO;
    return r;
}

int cm_engine_io_write(cm_engine_io *io, const void *buf, size_t n)
{
    if (io->write_errno != 0 || expired(io))
        return -1;
    if (n > 0 && io->out->write(io->out->arg, buf, n) < 0) {
        io->write_errno = errno ? errno : EIO;
        return -1;
    }
    return 0;
}

cm_stat cm_engine_io_status(const cm_engine_io *io, const cm_msgctx *mc, const char *what)
{
    const char *qid = CM_QID(mc);

    if (io->timed_out) {
        cm_log_error("%s: %s did not finish within EngineTimeout (%llus)", qid, what,
                     (unsigned long long) mc->cfg->engine_timeout);
        return CM_ERR_TIMEOUT;
    }
    if (io->write_errno != 0) {
        errno = io->write_errno;
        cm_log_errno("%s: %s: writing the output", qid, what);
        return cm_stat_of_errno(io->write_errno);
    }
    if (io->read_errno != 0) {
        errno = io->read_errno;
        cm_log_errno("%s: %s: reading the input", qid, what);
        return cm_stat_of_errno(io->read_errno);
    }
    return CM_OK;
}
