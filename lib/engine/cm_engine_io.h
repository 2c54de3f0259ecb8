/* cm_engine_io - an in-process engine's side of the reader and writer
 * (librnp, OpenSSL CMS): EngineTimeout checked at every read and write (the
 * library works in the caller's thread, so there is nothing to kill), the
 * reader's tick while it works, and what failed, for the status. */
#ifndef CM_ENGINE_IO_H
#define CM_ENGINE_IO_H

#include <stdint.h>
#include <sys/types.h>

#include "cm_engine.h"

typedef struct cm_engine_io {
    cm_reader *in;              /* may be NULL */
    cm_writer *out;             /* may be NULL */
    int read_errno, write_errno;
    int timed_out;
    int64_t deadline;           /* CLOCK_MONOTONIC seconds */
    int64_t last_tick;
} cm_engine_io;

/* io over in and out, the deadline EngineTimeout from now. */
void cm_engine_io_init(cm_engine_io *io, const cm_msgctx *mc, cm_reader *in, cm_writer *out);
/* Read from io->in: bytes, 0 at the end, -1 on failure or past the
 * deadline (kept in io for cm_engine_io_status). */
ssize_t cm_engine_io_read(cm_engine_io *io, void *buf, size_t n);
/* Write all of buf to io->out: 0, or -1 (kept in io). After a failure
 * every write fails. */
int cm_engine_io_write(cm_engine_io *io, const void *buf, size_t n);
/* How the operation's I/O ended: CM_OK, CM_ERR_TIMEOUT, CM_ERR_NOMEM or
 * CM_ERR_SPOOL, logged naming what (e.g. "encryption"). */
cm_stat cm_engine_io_status(const cm_engine_io *io, const cm_msgctx *mc, const char *what);

#endif
