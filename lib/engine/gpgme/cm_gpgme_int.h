/* cm_gpgme_int - what the GPGME backend's files share. Not for front ends. */
#ifndef CM_GPGME_INT_H
#define CM_GPGME_INT_H

#include <gpgme.h>

#include "cm_config.h"
#include "cm_engine.h"
#include "cm_snapshot.h"
#include "cm_status.h"
#include "cm_watch.h"

/* The index is below. */
typedef struct cm_gpgme_index cm_gpgme_index;

struct cm_engine {
    cm_snapshot *cache;     /* the current index (cm_gpgme_index_cache_new) */
};

struct cm_engine_session {
    const cm_msgctx *mc;
    gpgme_ctx_t ctx;
    cm_gpgme_index *index;  /* held for the message's life */
    gpgme_key_t *keys;      /* NULL-terminated recipient list */
    size_t nkeys;
};

/* A context for cfg's KeyringDir and GpgProgram, status lines to the
 * status callback; CM_ERR_ENGINE if the gpg program is not there
 * (cm_gpgme_ctx.c, below the engine and its index). */
cm_stat cm_gpgme_ctx_new(const cm_msgctx *mc, gpgme_ctx_t *out);
/* A context of its own for the GnuPG home home (a keyring being written:
 * keysync's staging, keys imported), cfg's GpgProgram, offline, binary,
 * trust model always; the process-wide engine info is left alone. */
gpgme_error_t cm_gpgme_ctx_home(const cm_config *cfg, const char *home, gpgme_ctx_t *out);
/* A deadline of EngineTimeout on the calling thread's next gpg runs. */
cm_watch *cm_gpgme_ctx_watch(const cm_msgctx *mc, gpgme_ctx_t ctx);
/* Forget the process-wide engine info set for the contexts (the engine
 * is destroyed). */
void cm_gpgme_ctx_reset(void);

/* Run the operation that start(arg) begins (a gpgme_op_*_start call) in
 * our own event loop, for at most timeout seconds (*expired then set, and
 * the operation cancelled); tick(tick_arg) runs at every wake-up (at least
 * once a second) if not NULL; qid names the message in the log. The
 * operation's result. */
gpgme_error_t cm_gpgme_run(gpgme_ctx_t ctx, const char *qid, uint64_t timeout,
                           gpgme_error_t (*start)(void *), void *arg, void (*tick)(void *),
                           void *tick_arg, int *expired);

/* Run the operation start(arg) begins (encrypt, decrypt, verify) under
 * EngineTimeout: a watch kills gpg at the deadline and our loop cancels;
 * status lines go to on_status(status_arg); in's tick runs while gpg
 * works. *st: CM_OK, CM_ERR_TIMEOUT (logged, naming what) or
 * CM_ERR_INTERNAL. Returns the operation's result. */
gpgme_error_t cm_gpgme_run_watched(cm_engine_session *s, const char *what,
                                   gpgme_error_t (*start)(void *), void *arg, const cm_reader *in,
                                   gpgme_status_cb_t on_status, void *status_arg, cm_stat *st);

/* The keyring index: every usable encryption key by mail address, built
 * from one listing of the whole keyring and rebuilt when the file changes.
 * Shared by all sessions of a process; a session holds the index it
 * started with. */
cm_snapshot *cm_gpgme_index_cache_new(void);     /* cm_snapshot_free it */
cm_stat cm_gpgme_index_get(cm_snapshot *c, const cm_msgctx *mc, cm_gpgme_index **out);
void cm_gpgme_index_put(cm_gpgme_index *ix);
/* The newest usable key whose user ID is exactly addr (case-insensitive),
 * or NULL. Borrowed: valid while the index is held. */
gpgme_key_t cm_gpgme_index_find(const cm_gpgme_index *ix, const char *addr);

/* The key whose primary fingerprint is fpr (case-insensitive), or NULL. */
gpgme_key_t cm_gpgme_index_by_fpr(const cm_gpgme_index *ix, const char *fpr);
/* The state and end of encryption of key at now into ki (cm_keyinfo:
 * expires and state; id and addr left alone). */
void cm_gpgme_index_key_info(gpgme_key_t key, time_t now, cm_keyinfo *ki);
/* The engine's keyring_list of ix (cm_engine.h). */
void cm_gpgme_index_list(const cm_gpgme_index *ix, int64_t now, cm_keyinfo_fn fn, void *arg);
/* The engine's keyring_summary of ix (cm_engine.h). */
void cm_gpgme_index_summary(const cm_gpgme_index *ix, int64_t now, int64_t window,
                            cm_keyring_summary *out);

/* GPGME data callbacks over a cm_reader (handle: the reader) and a
 * cm_writer (handle: a cm_gpgme_sink, which keeps the first write error). */
typedef struct cm_gpgme_sink {
    cm_writer *w;
    int write_errno;        /* the first failed write, 0 if none */
} cm_gpgme_sink;

ssize_t cm_gpgme_read_cb(void *handle, void *buf, size_t size);
ssize_t cm_gpgme_write_cb(void *handle, const void *buf, size_t size);

/* The outbound operations (cm_gpgme_dec.c). */
cm_stat cm_gpgme_gateway_match(cm_engine_session *s, const uint64_t *keyids, size_t n, int *yes);
cm_stat cm_gpgme_gateway_ready(cm_engine_session *s, char *why, size_t len);
cm_stat cm_gpgme_decrypt_verify(cm_engine_session *s, cm_reader *in, cm_writer *out,
                                cm_sigs *sigs);
cm_stat cm_gpgme_verify_detached(cm_engine_session *s, cm_reader *data, const void *sig,
                                 size_t siglen, cm_sigs *sigs);
cm_stat cm_gpgme_key_has_addr(cm_engine_session *s, const char *fpr, const char *addr, int *yes);

#endif
