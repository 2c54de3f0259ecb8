/* cm_rnp_pool - the FFI objects of one ring, lent to one thread at a time.
 *
 * librnp's FFI object is not thread-safe. With one per ring, every
 * encryption of the process ran under one lock: concurrent messages
 * queued for it, and the gateway used one CPU for OpenPGP however many it
 * had. Encryption needs only public keys, so the pool lends any of up to
 * one FFI object per CPU (at most CM_RNP_POOL_MAX), each loaded from the
 * same keyring image as the ring's own, made only when a message finds
 * all the others busy (slot 0 is the ring's own FFI object). Signature
 * checks, which need only public keys too, take any of them.
 *
 * A copy that cannot be made is not an error: the message waits for one
 * that exists, and the pool stops growing. */
#include "cm_rnp_int.h"
#include "cm_log.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int cm_rnp_pool_init(cm_rnp_pool *p)
{
    memset(p, 0, sizeof(*p));
    if (pthread_mutex_init(&p->lock, NULL) != 0)
        return -1;
    if (pthread_cond_init(&p->freed, NULL) != 0) {
        (void) pthread_mutex_destroy(&p->lock);
        return -1;
    }
    return 0;
}

/* Slot 0 is the ring's: destroyed with the ring, not here. */
void cm_rnp_pool_destroy(cm_rnp_pool *p)
{
    size_t i;

    for (i = 1; i < p->n; i++)
        (void) rnp_ffi_destroy(p->ffi[i]);
    free(p->image);
    (void) pthread_cond_destroy(&p->freed);
    (void) pthread_mutex_destroy(&p->lock);
}

rnp_result_t cm_rnp_ffi_load(rnp_ffi_t *ffi, const unsigned char *buf, size_t len, int kbx)
{
    const char *fmt = kbx ? "KBX" : "GPG";
    rnp_input_t in = NULL;
    rnp_result_t rr;

    *ffi = NULL;
    if ((rr = rnp_ffi_create(ffi, fmt, "G10")) != RNP_SUCCESS)
        return rr;
    if ((rr = rnp_input_from_memory(&in, buf, len, false)) == RNP_SUCCESS)
        rr = rnp_load_keys(*ffi, fmt, in, RNP_LOAD_SAVE_PUBLIC_KEYS);
    (void) rnp_input_destroy(in);
    return rr;
}

void cm_rnp_pool_start(cm_rnp_pool *p, rnp_ffi_t own, unsigned char *image, size_t len, int kbx)
{
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);

    p->ffi[0] = own;
    p->n = 1;
    p->max = cpus < 1 ? 1 : cpus > CM_RNP_POOL_MAX ? CM_RNP_POOL_MAX : (size_t) cpus;
    p->image = image;
    p->len = len;
    p->kbx = kbx;
    /* What every copy must hold: as many keys and subkeys as the ring's. */
    if (rnp_get_public_key_count(own, &p->nkeys) != RNP_SUCCESS)
        p->max = 1;
}

/* A new copy of the ring's public keys, made without the pool's lock (a
 * large keyring takes a while); NULL if it cannot be made whole. */
static rnp_ffi_t copy(const cm_rnp_pool *p, const cm_msgctx *mc, size_t have)
{
    rnp_ffi_t ffi = NULL;
    size_t n = 0;
    rnp_result_t rr = cm_rnp_ffi_load(&ffi, p->image, p->len, p->kbx);

    if (rr == RNP_SUCCESS && (rr = rnp_get_public_key_count(ffi, &n)) == RNP_SUCCESS
        && n != p->nkeys)
        rr = RNP_ERROR_BAD_STATE;
    if (rr == RNP_SUCCESS)
        return ffi;
    cm_log_warn("%s: librnp: another copy of the keyring for concurrent encryption: %s; "
                "messages wait for the %zu there are", CM_QID(mc), rnp_result_to_string(rr),
                have);
    if (ffi != NULL)
        (void) rnp_ffi_destroy(ffi);
    return NULL;
}

cm_stat cm_rnp_pool_take(cm_rnp_pool *p, const cm_msgctx *mc, size_t *slot)
{
    size_t i;

    if (pthread_mutex_lock(&p->lock) != 0)
        return CM_ERR_INTERNAL;
    for (;;) {
        for (i = 0; i < p->n; i++)
            if (!p->busy[i]) {
                p->busy[i] = 1;
                *slot = i;
                (void) pthread_mutex_unlock(&p->lock);
                return CM_OK;
            }
        if (!p->growing && p->n < p->max) {
            size_t have = p->n;
            rnp_ffi_t ffi;

            p->growing = 1;
            (void) pthread_mutex_unlock(&p->lock);
            ffi = copy(p, mc, have);
            (void) pthread_mutex_lock(&p->lock);
            p->growing = 0;
            /* Those who waited for the copy look again. */
            (void) pthread_cond_broadcast(&p->freed);
            if (ffi == NULL) {
                p->max = p->n;
            } else {
                i = p->n++;
                p->ffi[i] = ffi;
                p->busy[i] = 1;
                *slot = i;
                (void) pthread_mutex_unlock(&p->lock);
                return CM_OK;
            }
            continue;
        }
        if (pthread_cond_wait(&p->freed, &p->lock) != 0) {
            (void) pthread_mutex_unlock(&p->lock);
            return CM_ERR_INTERNAL;
        }
    }
}

void cm_rnp_pool_give(cm_rnp_pool *p, size_t slot)
{
    (void) pthread_mutex_lock(&p->lock);
    p->busy[slot] = 0;
    (void) pthread_cond_broadcast(&p->freed);
    (void) pthread_mutex_unlock(&p->lock);
}
