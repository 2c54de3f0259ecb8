/* cm_rnp_int - what the librnp engine's files share. Not for front ends. */
#ifndef CM_RNP_INT_H
#define CM_RNP_INT_H

#include <pthread.h>
#include <rnp/rnp.h>
#include <rnp/rnp_err.h>
#include <stdint.h>
#include <sys/stat.h>

#include "cm_config.h"
#include "cm_engine.h"
#include "cm_engine_io.h"
#include "cm_keyring.h"
#include "cm_snapshot.h"
#include "cm_status.h"

/* A primary key as the index knows it: what lookups and the signer
 * check need, read once when the keyring is loaded. */
typedef struct cm_rnp_key {
    char fpr[CM_FPR_MAX + 1];
    int revoked, disabled, invalid;     /* invalid: self-signatures do not hold */
    uint64_t valid_till;                /* the primary key's expiry; UINT64_MAX none */
    /* Usable encryption subkeys (or the primary itself): the newest one's
     * creation and the time until which it (or the newest still valid of
     * them) can be used are read at lookup time from these. */
    uint32_t *enc_created;
    uint64_t *enc_till;
    size_t nenc;
    char **addrs;           /* lower-cased addresses of valid, unrevoked user IDs */
    size_t naddrs;
} cm_rnp_key;

/* An index entry: an address (or a fingerprint) and its key. */
typedef struct cm_rnp_addr {
    const char *addr;       /* owned by the key */
    size_t key;             /* index into ring->keys */
} cm_rnp_addr;

/* The FFI objects of a ring, each lent to one thread at a time
 * (cm_rnp_pool.c). Slot 0 is the ring's own; the others are copies of its
 * public keys. None holds a secret key. */
#define CM_RNP_POOL_MAX 8
typedef struct cm_rnp_pool {
    pthread_mutex_t lock;
    pthread_cond_t freed;
    rnp_ffi_t ffi[CM_RNP_POOL_MAX];
    unsigned char busy[CM_RNP_POOL_MAX];
    size_t n, max;              /* made; at most this many (one per CPU) */
    int growing;                /* a copy is being made */
    unsigned char *image;       /* the public keyring the copies load */
    size_t len, nkeys;          /* nkeys: keys and subkeys in each */
    int kbx;
} cm_rnp_pool;

int cm_rnp_pool_init(cm_rnp_pool *p);
void cm_rnp_pool_destroy(cm_rnp_pool *p);
/* The ring is loaded: own is slot 0; the pool keeps image (heap) for the
 * copies, which must read as many keys from it as own holds. */
void cm_rnp_pool_start(cm_rnp_pool *p, rnp_ffi_t own, unsigned char *image, size_t len, int kbx);
/* A free FFI object, waiting for one if need be. */
cm_stat cm_rnp_pool_take(cm_rnp_pool *p, const cm_msgctx *mc, size_t *slot);
void cm_rnp_pool_give(cm_rnp_pool *p, size_t slot);
/* A new FFI object with the public keys of a keyring image; *ffi is NULL
 * if librnp could not even make one. */
rnp_result_t cm_rnp_ffi_load(rnp_ffi_t *ffi, const unsigned char *buf, size_t len, int kbx);

typedef struct cm_rnp_ring cm_rnp_ring;     /* one loaded state of KeyringDir */

struct cm_rnp_ring {
    cm_snapshot_obj snap;       /* first: the cache hands out &r->snap */
    char *dir;
    /* librnp's FFI object is not thread-safe: once the ring is built,
     * every use of one is through the pool. Lookups use the index below,
     * which is read-only once built. */
    rnp_ffi_t ffi;
    cm_rnp_pool pool;
    cm_rnp_key *keys;
    size_t nkeys;
    cm_rnp_addr *byaddr;        /* sorted by address */
    size_t naddr;
    cm_rnp_addr *byfpr;         /* every key, sorted by fingerprint */
};

struct cm_engine {
    cm_snapshot *cache;         /* the current ring (cm_rnp_ring_cache_new) */
};

struct cm_engine_session {
    const cm_msgctx *mc;
    cm_rnp_ring *ring;          /* held for the message's life */
    const cm_rnp_key **keys;    /* recipients */
    size_t nkeys;
};

cm_snapshot *cm_rnp_ring_cache_new(void);   /* cm_snapshot_free it */
/* The ring of mc's KeyringDir, loaded again if its files changed; held
 * until cm_rnp_ring_put. A keyring that cannot be loaded whole is an error
 * (never a ring that answers "no key"). */
cm_stat cm_rnp_ring_get(cm_snapshot *c, const cm_msgctx *mc, cm_rnp_ring **out);
void cm_rnp_ring_put(cm_rnp_ring *r);
/* The usable key with the newest encryption subkey whose user ID is exactly
 * addr (case-insensitive), or NULL. */
const cm_rnp_key *cm_rnp_ring_find(const cm_rnp_ring *r, const char *addr);
const cm_rnp_key *cm_rnp_ring_by_fpr(const cm_rnp_ring *r, const char *fpr);
/* The state and end of encryption of k at now into ki (cm_keyinfo:
 * expires and state; id and addr left alone). */
void cm_rnp_ring_key_info(const cm_rnp_key *k, int64_t now, cm_keyinfo *ki);
/* The engine's keyring_list of r (cm_engine.h). */
void cm_rnp_ring_list(const cm_rnp_ring *r, int64_t now, cm_keyinfo_fn fn, void *arg);
/* The engine's keyring_summary of r (cm_engine.h). */
void cm_rnp_ring_summary(const cm_rnp_ring *r, int64_t now, int64_t window,
                         cm_keyring_summary *out);

/* The index of r->ffi's keys (cm_rnp_index.c): r->keys, byaddr, byfpr.
 * disabled: the trust database's answer (cm_trustdb). */
struct cm_trustdb;
cm_stat cm_rnp_index_build(cm_rnp_ring *r, const struct cm_trustdb *t, const cm_msgctx *mc);
void cm_rnp_index_free(cm_rnp_ring *r);

/* librnp's input and output over an operation's cm_engine_io. */
rnp_result_t cm_rnp_input(rnp_input_t *input, cm_engine_io *io);
rnp_result_t cm_rnp_output(rnp_output_t *output, cm_engine_io *io);

/* The outbound operations, with public keys (cm_rnp_dec.c). */
cm_stat cm_rnp_verify_detached(cm_engine_session *s, cm_reader *data, const void *sig,
                               size_t siglen, cm_sigs *sigs);
cm_stat cm_rnp_key_has_addr(cm_engine_session *s, const char *fpr, const char *addr, int *yes);

#endif
