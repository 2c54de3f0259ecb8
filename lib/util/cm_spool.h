/* cm_spool - message store: RAM up to a limit, then an unlinked 0600 file. */
#ifndef CM_SPOOL_H
#define CM_SPOOL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "cm_buf.h"

typedef struct cm_spool cm_spool;

/* dir is where the overflow file goes; NULL means the spool never spills. */
cm_spool *cm_spool_new(size_t mem_limit, const char *dir);
/* A spool that keeps nothing: each write goes on to fn at once (the
 * milter streams a new body into the MTA). fn returns 0, or -1 with errno.
 * Reading it fails with EINVAL. */
typedef int (*cm_spool_fwd)(void *arg, const void *p, size_t n);
cm_spool *cm_spool_new_forward(cm_spool_fwd fn, void *arg);
void cm_spool_free(cm_spool *s);
/* Forget everything written (a spilled file stays, emptied). 0 or -1. */
int cm_spool_truncate(cm_spool *s);
/* 0, or -1 with errno (ENOSPC, EIO, ENOMEM, ...). */
int cm_spool_write(cm_spool *s, const void *p, size_t n);
/* Write what b holds and empty it (whatever the outcome): a format's
 * encoder collects into b and moves it on in large pieces. As
 * cm_spool_write. */
int cm_spool_write_buf(cm_spool *s, cm_buf *b);
uint64_t cm_spool_size(const cm_spool *s);
int cm_spool_spilled(const cm_spool *s);
/* Reading: rewind, then read until 0 (EOF) or -1 (errno). */
int cm_spool_rewind(cm_spool *s);
ssize_t cm_spool_read(cm_spool *s, void *p, size_t n);
/* Read up to n bytes from the start without moving the read cursor. */
ssize_t cm_spool_peek(cm_spool *s, void *p, size_t n);

/* Read n bytes at offset off, or up to the end if it comes first, cursor
 * untouched: bytes read (fewer than n only at the end), -1 with errno. */
ssize_t cm_spool_read_full_at(cm_spool *s, uint64_t off, void *p, size_t n);
/* Read up to n bytes at offset off, cursor untouched: bytes read, 0 at
 * the end, -1 with errno. */
ssize_t cm_spool_read_at(cm_spool *s, uint64_t off, void *p, size_t n);

/* A byte range of a spool, read like a file: a 10 MiB part spilled to
 * disk is streamed, never loaded. A failed read is kept in err: an engine
 * reading through it would take the cut-short input for a damaged message,
 * so its caller answers err (ours, 4xx) whatever the engine said. */
typedef struct cm_spool_range {
    cm_spool *s;
    uint64_t pos, end;
    int err;                /* errno of the first failed read, 0 if none */
} cm_spool_range;

/* The range [off, off + len) clipped to the spool's end (len UINT64_MAX:
 * up to the end). */
void cm_spool_range_init(cm_spool_range *r, cm_spool *s, uint64_t off, uint64_t len);
/* Bytes read, 0 at the end of the range, -1 with errno (kept in r->err). */
ssize_t cm_spool_range_read(cm_spool_range *r, void *p, size_t n);
/* cm_spool_range_read for a reader callback: arg is the cm_spool_range. */
ssize_t cm_spool_range_pull(void *arg, void *p, size_t n);

/* Push the range [off, off + len) of s (clipped as cm_spool_range_init) to
 * fn in chunks. fn returns 0 to go on, a positive value to stop, -1 with
 * errno on failure. Returns 0 at the end of the range, fn's positive value
 * if it stopped, -1 with errno (of the read or of fn). */
typedef int (*cm_spool_sink)(void *arg, const void *p, size_t n);
int cm_spool_range_feed(cm_spool *s, uint64_t off, uint64_t len, cm_spool_sink fn, void *arg);

#endif
