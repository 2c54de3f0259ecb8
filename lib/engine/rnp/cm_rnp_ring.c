/* cm_rnp_ring - the librnp engine's keyring: KeyringDir read into memory
 * (the public keyring and the trust database's "disabled" flags; never a
 * secret key: decryption is gpg-agent's, through GPGME), shared by the
 * sessions of a process and loaded again when one of those files changes.
 * A message keeps the ring it started with.
 *
 * Loading is as strict as the GPGME engine's listing: the keyring file
 * must pass our own structure check (cm_keyring), and librnp must read
 * exactly as many keys as that check counts; anything else is a 4xx,
 * never a ring that answers "no key". */
#include "cm_rnp_int.h"
#include "cm_log.h"
#include "cm_file.h"
#include "cm_snapshot.h"
#include "cm_trustdb.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define ATTEMPTS 3
#define MAX_SMALL_FILE (64L * 1024 * 1024)

static void ring_free(cm_rnp_ring *r)
{
    if (r == NULL)
        return;
    cm_rnp_index_free(r);
    cm_rnp_pool_destroy(&r->pool);
    if (r->ffi != NULL)
        (void) rnp_ffi_destroy(r->ffi);
    free(r->dir);
    free(r);
}

void cm_rnp_ring_put(cm_rnp_ring *r)
{
    if (r != NULL && cm_snapshot_obj_drop(&r->snap))
        ring_free(r);
}

/* A whole small file into *buf (heap); 0, 1 if absent, -1 with errno, -2
 * if it is not a regular file (never waited on: cm_file). */
static int read_file(const char *path, unsigned char **buf, size_t *len)
{
    struct stat st;
    char *b;
    int r = cm_file_read(path, MAX_SMALL_FILE, &b, len, &st);

    *buf = (unsigned char *) b;
    return r == -1 && errno == ENOENT ? 1 : r;
}

static cm_stat load_trustdb(const cm_msgctx *mc, const char *dir, cm_trustdb *t)
{
    char path[4096], err[256];
    unsigned char *buf;
    size_t len;
    int r;

    memset(t, 0, sizeof(*t));
    if ((size_t) snprintf(path, sizeof(path), "%s/trustdb.gpg", dir) >= sizeof(path))
        return CM_ERR_KEYRING;
    if ((r = read_file(path, &buf, &len)) == 1)
        return CM_OK;           /* no trust database: nothing disabled */
    if (r < 0) {
        cm_log_error("%s: %s: %s", CM_QID(mc), path,
                     r == -2 ? "not a regular file" : strerror(errno));
        return CM_ERR_KEYRING;
    }
    r = cm_trustdb_parse(buf, len, t, err, sizeof(err));
    free(buf);
    if (r == -2)
        return CM_ERR_NOMEM;
    if (r < 0) {
        cm_log_error("%s: %s: %s", CM_QID(mc), path, err);
        return CM_ERR_KEYRING_DAMAGED;
    }
    return CM_OK;
}

/* The public keys of the image buf into r->ffi; the number librnp read. */
static cm_stat load_public(const cm_msgctx *mc, cm_rnp_ring *r, const unsigned char *buf,
                           size_t len, int kbx)
{
    rnp_result_t rr = cm_rnp_ffi_load(&r->ffi, buf, len, kbx);

    if (rr != RNP_SUCCESS && r->ffi == NULL) {
        cm_log_error("%s: librnp: %s", CM_QID(mc), rnp_result_to_string(rr));
        return rr == RNP_ERROR_OUT_OF_MEMORY ? CM_ERR_NOMEM : CM_ERR_ENGINE;
    }
    if (rr != RNP_SUCCESS) {
        cm_log_error("%s: KeyringDir %s: librnp cannot read the keyring: %s", CM_QID(mc), r->dir,
                     rnp_result_to_string(rr));
        return rr == RNP_ERROR_OUT_OF_MEMORY ? CM_ERR_NOMEM : CM_ERR_KEYRING_DAMAGED;
    }
    return CM_OK;
}

/* One attempt at loading; *again set if the keyring changed meanwhile.
 * stamp: the keyring file read (file[0]) and the trust database (file[1]). */
static cm_stat build_once(const cm_msgctx *mc, cm_rnp_ring *r, cm_snapshot_stamp *stamp,
                          int *again)
{
    const char *dir = r->dir;
    unsigned char *buf = NULL;
    cm_snapshot_file before, after;
    cm_keyring_status ks;
    cm_trustdb t;
    size_t len, nfile;
    char err[1024];
    int kbx = 1;
    cm_stat st;

    *again = 0;
    if ((ks = cm_keyring_stat(dir, &before, err, sizeof(err))) != CM_KEYRING_OK)
        return cm_keyring_error(CM_QID(mc), ks, err);
    cm_keyring_wait_quiet(&before);
    if ((st = cm_keyring_trustdb_stamp(dir, CM_QID(mc), &stamp->file[1])) != CM_OK)
        return st;
    ks = cm_keyring_read(dir, &stamp->file[0], &buf, &len, &kbx, &nfile, err, sizeof(err));
    if (ks != CM_KEYRING_OK) {
        /* Damage seen while the file changes: it is being rewritten. */
        if (ks == CM_KEYRING_DAMAGED && cm_keyring_stat(dir, &after, err, sizeof(err))
            == CM_KEYRING_OK && !cm_snapshot_file_eq(&before, &after)) {
            *again = 1;
            return CM_ERR_KEYRING_DAMAGED;
        }
        return cm_keyring_error(CM_QID(mc), ks, err);
    }
    if (nfile == 0) {
        free(buf);
        cm_log_error("%s: KeyringDir %s: the keyring holds no keys", CM_QID(mc), dir);
        return CM_ERR_KEYRING;
    }
    st = load_public(mc, r, buf, len, kbx);
    if (st == CM_OK)
        st = load_trustdb(mc, dir, &t);
    else
        memset(&t, 0, sizeof(t));
    if (st == CM_OK)
        st = cm_rnp_index_build(r, &t, mc);
    cm_trustdb_free(&t);
    if (st == CM_OK && r->nkeys != nfile) {
        cm_log_error("%s: KeyringDir %s: librnp read %zu keys of the %zu in the keyring file: "
                     "damaged, or a key librnp cannot read", CM_QID(mc), dir, r->nkeys, nfile);
        st = CM_ERR_KEYRING_DAMAGED;
    }
    if (st == CM_OK && (cm_keyring_stat(dir, &after, err, sizeof(err)) != CM_KEYRING_OK
                        || !cm_snapshot_file_eq(&stamp->file[0], &after))) {
        cm_log_notice("%s: KeyringDir %s changed while it was read; reading it again",
                      CM_QID(mc), dir);
        *again = 1;
        st = CM_ERR_KEYRING_DAMAGED;
    }
    if (st == CM_OK)
        cm_rnp_pool_start(&r->pool, r->ffi, buf, len, kbx);
    else
        free(buf);
    return st;
}

static cm_stat build(const cm_msgctx *mc, cm_rnp_ring **out, cm_snapshot_stamp *stamp)
{
    int attempt, again = 0;

    *out = NULL;
    for (attempt = 0; attempt < ATTEMPTS; attempt++) {
        cm_rnp_ring *r = calloc(1, sizeof(*r));
        cm_stat st;

        if (r == NULL)
            return CM_ERR_NOMEM;
        if (cm_rnp_pool_init(&r->pool) != 0) {
            free(r);
            return CM_ERR_INTERNAL;
        }
        if ((r->dir = strdup(mc->cfg->keyring_dir)) == NULL) {
            ring_free(r);
            return CM_ERR_NOMEM;
        }
        st = build_once(mc, r, stamp, &again);
        if (st == CM_OK) {
            cm_snapshot_obj_init(&r->snap);
            cm_log_info("%s: KeyringDir %s: %zu keys, %zu addresses loaded (librnp)", CM_QID(mc),
                        r->dir, r->nkeys, r->naddr);
            *out = r;
            return CM_OK;
        }
        ring_free(r);
        if (!again)
            return st;
    }
    cm_log_error("%s: KeyringDir %s keeps changing while it is read: replace keyrings "
                 "atomically (write aside, then rename)", CM_QID(mc), mc->cfg->keyring_dir);
    return CM_ERR_KEYRING_DAMAGED;
}

/* The cache's callbacks: src is the message's context (cm_msgctx). What
 * a ring is read from: the public keyring and the trust database. */
static cm_stat ring_stamp(const void *src, const cm_snapshot_stamp *held, cm_snapshot_stamp *now)
{
    const cm_msgctx *mc = src;
    cm_stat st = cm_keyring_stamp(mc->cfg->keyring_dir, CM_QID(mc), now);

    (void) held;
    return st == CM_OK ? cm_keyring_trustdb_stamp(mc->cfg->keyring_dir, CM_QID(mc), &now->file[1])
                       : st;
}

static cm_stat ring_load(const void *src, const cm_snapshot_stamp *held, cm_snapshot_obj **obj,
                         cm_snapshot_stamp *stamp)
{
    cm_rnp_ring *r;
    cm_stat st = build(src, &r, stamp);

    (void) held;
    *obj = st == CM_OK ? &r->snap : NULL;
    return st;
}

static void ring_put(cm_snapshot_obj *obj)
{
    cm_rnp_ring_put((cm_rnp_ring *) obj);
}

static const cm_snapshot_ops ring_ops = {.stamp = ring_stamp, .load = ring_load, .put = ring_put,
                                           .keyring = 1};

cm_snapshot *cm_rnp_ring_cache_new(void)
{
    return cm_snapshot_new(&ring_ops);
}

cm_stat cm_rnp_ring_get(cm_snapshot *c, const cm_msgctx *mc, cm_rnp_ring **out)
{
    cm_snapshot_obj *obj;
    cm_stat st = cm_snapshot_get(c, mc->cfg->keyring_dir, mc, &obj);

    *out = (cm_rnp_ring *) obj;
    return st;
}
