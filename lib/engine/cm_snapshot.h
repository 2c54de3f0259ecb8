/* cm_snapshot - the current snapshot of what some files hold, shared by
 * the threads of a process and read again when one of those files
 * changes: the GnuPG keyring (both OpenPGP engines), CertificateDir and
 * GatewayCertificates/TrustAnchors/TrustCRLs (the S/MIME engine).
 *
 * A snapshot is an object its owner loads, read-only once loaded and
 * reference counted (it embeds a cm_snapshot_obj), so a message keeps the
 * one it began with while the cache moves on. The cache keeps the one
 * loaded last with the stamp of what it was read from: get takes a new
 * stamp (stat calls) and hands out the held snapshot if nothing in it
 * changed, or loads again. A stamp or a load that fails is an error for
 * the caller, never the old snapshot (which stays held until a load
 * succeeds, and is compared against again): fail closed. */
#ifndef CM_SNAPSHOT_H
#define CM_SNAPSHOT_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "cm_status.h"

/* What identifies one state of a file: a rewrite changes it, a rewrite
 * in place of the same size too (its ctime). All zero: no such file. */
typedef struct cm_snapshot_file {
    dev_t dev;
    ino_t ino;
    off_t size;
    struct timespec mtim, ctim;
} cm_snapshot_file;

void cm_snapshot_file_of(const struct stat *st, cm_snapshot_file *f);
/* path's identity; a path that does not exist (ENOENT) is all zero. 0, or
 * -1 with errno. */
int cm_snapshot_file_stat(const char *path, cm_snapshot_file *f);
int cm_snapshot_file_eq(const cm_snapshot_file *a, const cm_snapshot_file *b);

#define CM_SNAPSHOT_FILES 2

/* What a snapshot was read from. Compared: gen, file[], sum. */
typedef struct cm_snapshot_stamp {
    uint64_t gen;                           /* e.g. the configuration's serial */
    cm_snapshot_file file[CM_SNAPSHOT_FILES];   /* unused ones all zero */
    uint64_t sum;                           /* a digest of more (a directory's entries) */
    /* Not compared: what a costly sum is carried over on (cm_certcache
     * sums a directory again only when it changed or a second passed). */
    cm_snapshot_file quick;
    int64_t checked;
} cm_snapshot_stamp;

/* The reference count a snapshot object embeds. */
typedef struct cm_snapshot_obj {
    atomic_size_t refs;
} cm_snapshot_obj;

/* One reference, the loader's. */
void cm_snapshot_obj_init(cm_snapshot_obj *o);
void cm_snapshot_obj_hold(cm_snapshot_obj *o);
/* Drop a reference: 1 if it was the last (the caller frees the object). */
int cm_snapshot_obj_drop(cm_snapshot_obj *o);

typedef struct cm_snapshot_ops {
    /* The stamp of what src describes now. held: the stamp of the snapshot
     * held, NULL if none (a costly part may be carried over from it).
     * CM_OK, or an error (logged). */
    cm_stat (*stamp)(const void *src, const cm_snapshot_stamp *held, cm_snapshot_stamp *now);
    /* Load src into *obj (one reference). stamp comes in as the stamp
     * just taken; the load may set it to what it read (the identities of
     * the files it opened), never to anything newer than what it read.
     * held as above (it tells a first load from a reload). CM_OK, or an
     * error (logged) with *obj NULL. */
    cm_stat (*load)(const void *src, const cm_snapshot_stamp *held, cm_snapshot_obj **obj,
                    cm_snapshot_stamp *stamp);
    /* Drop a reference to obj: its owner's put (cm_snapshot_obj_drop,
     * and the object freed if that was the last). */
    void (*put)(cm_snapshot_obj *obj);
    /* 1: what it loads is the OpenPGP keyring (KeyringDir); its loads are
     * counted for cm_snapshot_keyring. */
    int keyring;
} cm_snapshot_ops;

typedef struct cm_snapshot cm_snapshot;

/* A cache loading with ops (kept by pointer). NULL if out of memory. */
cm_snapshot *cm_snapshot_new(const cm_snapshot_ops *ops);
void cm_snapshot_free(cm_snapshot *c);
/* The snapshot of src as it is now, a reference for the caller (its
 * owner's put drops it). name (a directory; NULL for none) is part of
 * what is compared: a snapshot of another name is never handed out.
 * Thread-safe; loads run under the cache's lock, one at a time. */
cm_stat cm_snapshot_get(cm_snapshot *c, const char *name, const void *src, cm_snapshot_obj **out);

/* The keyring's reloads in this process (loads that replaced a snapshot a
 * keyring cache held; a process may have more than one such cache, each
 * with its first load) and when the last load was made (seconds since the
 * epoch; 0: never). Lock-free, for the metrics (cm_stats). */
void cm_snapshot_keyring(uint64_t *reloads, int64_t *loaded);

#endif
