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
 * disk is streamed, never loaded. */
typedef struct cm_spool_range {
    cm_spool *s;
    uint64_t pos, end;
} cm_spool_range;

void cm_spool_range_init(cm_spool_range *r, cm_spool *s, uint64_t off, uint64_t len);
ssize_t cm_spool_range_read(cm_spool_range *r, void *p, size_t n);

#endif
