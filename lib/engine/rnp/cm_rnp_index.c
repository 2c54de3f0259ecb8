/* cm_rnp_index - the librnp engine's key index: every primary key of the
 * keyring with what the key selection rules (SPEC §3.2) ask of it, by
 * address and by fingerprint, read from librnp once per keyring load so
 * that a lookup touches neither librnp nor a lock. */
#include "cm_rnp_int.h"
#include "cm_buf.h"
#include "cm_idn.h"
#include "cm_log.h"
#include "cm_trustdb.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* The address of a user ID as gpg takes it: the text in angle brackets,
 * or the whole user ID if it is a bare address; lower-cased into *out, an
 * IDN domain in the form lookups ask in (cm_idn_fold).
 * 1 found, 0 none, -1 out of memory (never "no address": that would make
 * a keyed address keyless). */
static int uid_addr(const char *uid, char **out)
{
    const char *lt = strchr(uid, '<'), *gt, *a;
    size_t n, i;

    *out = NULL;
    if (lt != NULL) {
        if ((gt = strchr(lt + 1, '>')) == NULL)
            return 0;
        a = lt + 1;
        n = (size_t) (gt - a);
    } else {
        a = uid;
        n = strlen(uid);
        for (i = 0; i < n; i++)
            if (a[i] == ' ' || a[i] == '\t' || a[i] == '>')
                return 0;
    }
    if (n == 0 || memchr(a, '@', n) == NULL || a[0] == '@' || a[n - 1] == '@')
        return 0;
    if ((*out = malloc(n + 1)) == NULL)
        return -1;
    for (i = 0; i < n; i++)
        (*out)[i] = (char) (a[i] >= 'A' && a[i] <= 'Z' ? a[i] + 32 : a[i]);
    (*out)[n] = 0;
    if (cm_idn_fold_heap(out) < 0) {    /* an IDN domain as lookups ask */
        free(*out);
        *out = NULL;
        return -1;
    }
    return 1;
}

static void key_free(cm_rnp_key *k)
{
    size_t i;

    for (i = 0; i < k->naddrs; i++)
        free(k->addrs[i]);
    free(k->addrs);
    free(k->enc_created);
    free(k->enc_till);
}

void cm_rnp_index_free(cm_rnp_ring *r)
{
    size_t i;

    for (i = 0; i < r->nkeys; i++)
        key_free(&r->keys[i]);
    free(r->keys);
    free(r->byaddr);
    free(r->byfpr);
    r->keys = NULL;
    r->byaddr = NULL;
    r->byfpr = NULL;
    r->nkeys = r->naddr = 0;
}

/* Ask librnp a yes/no question about a key. Every answer is checked: a
 * query that fails must fail the load (4xx), never read as "no" (a key
 * not valid, no encryption usage: "no key", plaintext under
 * MissingKeyAction pass). */
#define ASK(fn, h, out) ((fn)((h), (out)) == RNP_SUCCESS ? 0 : -1)

/* An encryption-capable (sub)key h into k. */
static cm_stat add_enc(cm_rnp_key *k, rnp_key_handle_t h)
{
    uint64_t till = 0;
    uint32_t created = 0;
    bool revoked = true;
    void *p;

    if (ASK(rnp_key_is_revoked, h, &revoked) < 0 || rnp_key_valid_till64(h, &till) != RNP_SUCCESS
        || rnp_key_get_creation(h, &created) != RNP_SUCCESS)
        return CM_ERR_ENGINE;
    /* Usable: valid at some time, not revoked; expiry is read at lookup. */
    if (revoked || till == 0)
        return CM_OK;
    if ((p = cm_array_resize(k->enc_created, k->nenc + 1, sizeof(uint32_t))) == NULL)
        return CM_ERR_NOMEM;
    k->enc_created = p;
    if ((p = cm_array_resize(k->enc_till, k->nenc + 1, sizeof(uint64_t))) == NULL)
        return CM_ERR_NOMEM;
    k->enc_till = p;
    k->enc_created[k->nenc] = created;
    k->enc_till[k->nenc] = till;
    k->nenc++;
    return CM_OK;
}

/* h into k if it may encrypt. */
static cm_stat add_if_enc(cm_rnp_key *k, rnp_key_handle_t h)
{
    bool enc = false;

    if (rnp_key_allows_usage(h, "encrypt", &enc) != RNP_SUCCESS)
        return CM_ERR_ENGINE;
    return enc ? add_enc(k, h) : CM_OK;
}

static cm_stat add_uids(cm_rnp_key *k, rnp_key_handle_t h)
{
    size_t n = 0, i;

    if (rnp_key_get_uid_count(h, &n) != RNP_SUCCESS)
        return CM_ERR_ENGINE;
    for (i = 0; i < n; i++) {
        rnp_uid_handle_t u = NULL;
        bool valid = false, revoked = true;
        char *text = NULL, *a;
        void *p;
        int r;

        if (rnp_key_get_uid_handle_at(h, i, &u) != RNP_SUCCESS)
            return CM_ERR_ENGINE;
        r = ASK(rnp_uid_is_valid, u, &valid) < 0 || ASK(rnp_uid_is_revoked, u, &revoked) < 0;
        (void) rnp_uid_handle_destroy(u);
        if (r)
            return CM_ERR_ENGINE;
        if (!valid || revoked)
            continue;
        if (rnp_key_get_uid_at(h, i, &text) != RNP_SUCCESS || text == NULL)
            return CM_ERR_ENGINE;
        r = uid_addr(text, &a);
        rnp_buffer_destroy(text);
        if (r < 0)
            return CM_ERR_NOMEM;
        if (r == 0)
            continue;
        if ((p = cm_array_resize(k->addrs, k->naddrs + 1, sizeof(char *))) == NULL) {
            free(a);
            return CM_ERR_NOMEM;
        }
        k->addrs = p;
        k->addrs[k->naddrs++] = a;
    }
    return CM_OK;
}

/* The primary key h and its subkeys into k. */
static cm_stat read_key(cm_rnp_key *k, rnp_key_handle_t h, const cm_trustdb *t)
{
    size_t nsub = 0, i;
    char *fpr = NULL;
    bool valid = false, revoked = true, expired = false;
    cm_stat st;

    if (rnp_key_get_fprint(h, &fpr) != RNP_SUCCESS || fpr == NULL)
        return CM_ERR_ENGINE;
    snprintf(k->fpr, sizeof(k->fpr), "%s", fpr);
    rnp_buffer_destroy(fpr);
    if (ASK(rnp_key_is_revoked, h, &revoked) < 0 || ASK(rnp_key_is_valid, h, &valid) < 0
        || ASK(rnp_key_is_expired, h, &expired) < 0
        || rnp_key_valid_till64(h, &k->valid_till) != RNP_SUCCESS)
        return CM_ERR_ENGINE;
    k->revoked = revoked;
    k->disabled = cm_trustdb_is_disabled(t, k->fpr);
    /* Not valid and not merely expired: its self-signatures do not hold. */
    k->invalid = !valid && !expired && k->valid_till == 0;
    if ((st = add_if_enc(k, h)) != CM_OK)
        return st;
    if (rnp_key_get_subkey_count(h, &nsub) != RNP_SUCCESS)
        return CM_ERR_ENGINE;
    for (i = 0; i < nsub; i++) {
        rnp_key_handle_t sub = NULL;

        if (rnp_key_get_subkey_at(h, i, &sub) != RNP_SUCCESS)
            return CM_ERR_ENGINE;
        st = add_if_enc(k, sub);
        (void) rnp_key_handle_destroy(sub);
        if (st != CM_OK)
            return st;
    }
    return add_uids(k, h);
}

static int addr_cmp(const void *a, const void *b)
{
    return strcasecmp(((const cm_rnp_addr *) a)->addr, ((const cm_rnp_addr *) b)->addr);
}

static cm_stat sort_views(cm_rnp_ring *r)
{
    size_t i, j, n = 0;

    for (i = 0; i < r->nkeys; i++)
        n += r->keys[i].naddrs;
    if (n > 0 && (r->byaddr = cm_array_resize(NULL, n, sizeof(*r->byaddr))) == NULL)
        return CM_ERR_NOMEM;
    if (r->nkeys > 0 && (r->byfpr = cm_array_resize(NULL, r->nkeys, sizeof(*r->byfpr))) == NULL)
        return CM_ERR_NOMEM;
    for (i = 0; i < r->nkeys; i++) {
        r->byfpr[i].addr = r->keys[i].fpr;
        r->byfpr[i].key = i;
        for (j = 0; j < r->keys[i].naddrs; j++) {
            r->byaddr[r->naddr].addr = r->keys[i].addrs[j];
            r->byaddr[r->naddr].key = i;
            r->naddr++;
        }
    }
    if (r->naddr > 0)
        qsort(r->byaddr, r->naddr, sizeof(*r->byaddr), addr_cmp);
    if (r->nkeys > 0)
        qsort(r->byfpr, r->nkeys, sizeof(*r->byfpr), addr_cmp);
    return CM_OK;
}

cm_stat cm_rnp_index_build(cm_rnp_ring *r, const cm_trustdb *t, const cm_msgctx *mc)
{
    rnp_identifier_iterator_t it = NULL;
    const char *grip;
    size_t cap = 0;
    cm_stat st = CM_OK;

    /* Grips name each key once, primary or subkey. */
    if (rnp_identifier_iterator_create(r->ffi, &it, "grip") != RNP_SUCCESS) {
        cm_log_error("%s: librnp: cannot walk the keyring", CM_QID(mc));
        return CM_ERR_ENGINE;
    }
    while (st == CM_OK) {
        rnp_key_handle_t h = NULL;
        bool primary = false;

        grip = NULL;
        if (rnp_identifier_iterator_next(it, &grip) != RNP_SUCCESS) {
            st = CM_ERR_ENGINE;
            break;
        }
        if (grip == NULL)
            break;
        if (rnp_locate_key(r->ffi, "grip", grip, &h) != RNP_SUCCESS || h == NULL) {
            st = CM_ERR_ENGINE;
            break;
        }
        if (ASK(rnp_key_is_primary, h, &primary) < 0) {
            (void) rnp_key_handle_destroy(h);
            st = CM_ERR_ENGINE;
            break;
        }
        if (primary) {
            if (r->nkeys == cap) {
                size_t ncap = cap ? 2 * cap : 64;
                cm_rnp_key *nk = cm_array_resize(r->keys, ncap, sizeof(*nk));

                if (nk == NULL) {
                    (void) rnp_key_handle_destroy(h);
                    st = CM_ERR_NOMEM;
                    break;
                }
                memset(nk + cap, 0, (ncap - cap) * sizeof(*nk));
                r->keys = nk;
                cap = ncap;
            }
            st = read_key(&r->keys[r->nkeys++], h, t);
        }
        (void) rnp_key_handle_destroy(h);
    }
    (void) rnp_identifier_iterator_destroy(it);
    if (st == CM_ERR_ENGINE)
        cm_log_error("%s: librnp: cannot read a key of KeyringDir %s", CM_QID(mc), r->dir);
    return st == CM_OK ? sort_views(r) : st;
}

/* The newest encryption subkey of k usable at now: its creation, or 0. */
static uint32_t usable_at(const cm_rnp_key *k, uint64_t now)
{
    uint32_t best = 0;
    size_t i;

    if (k->revoked || k->disabled || k->invalid || k->valid_till <= now)
        return 0;
    for (i = 0; i < k->nenc; i++)
        if (k->enc_till[i] > now && k->enc_created[i] > best)
            best = k->enc_created[i];
    return best;
}

const cm_rnp_key *cm_rnp_ring_find(const cm_rnp_ring *r, const char *addr)
{
    size_t lo = 0, hi = r->naddr, i;
    const cm_rnp_key *best = NULL;
    uint32_t best_ts = 0, ts;
    uint64_t now = (uint64_t) time(NULL);

    while (lo < hi) {           /* the first entry >= addr (see cm_gpgme_index_find) */
        size_t mid = lo + (hi - lo) / 2;

        if (strcasecmp(r->byaddr[mid].addr, addr) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (i = lo; i < r->naddr && strcasecmp(r->byaddr[i].addr, addr) == 0; i++)
        if ((ts = usable_at(&r->keys[r->byaddr[i].key], now)) > best_ts) {
            best = &r->keys[r->byaddr[i].key];
            best_ts = ts;
        }
    return best;
}

void cm_rnp_ring_summary(const cm_rnp_ring *r, int64_t now, int64_t window,
                         cm_keyring_summary *out)
{
    uint64_t t = now < 0 ? 0 : (uint64_t) now, later = t + (uint64_t) (window < 0 ? 0 : window);
    const char *last = NULL;
    size_t i;

    memset(out, 0, sizeof(*out));
    out->keys = r->nkeys;
    for (i = 0; i < r->nkeys; i++)
        if (usable_at(&r->keys[i], t) != 0 && usable_at(&r->keys[i], later) == 0)
            out->expiring++;
    /* byaddr is sorted case-insensitively: equal addresses are neighbours. */
    for (i = 0; i < r->naddr; i++)
        if (usable_at(&r->keys[r->byaddr[i].key], t) != 0
            && (last == NULL || strcasecmp(last, r->byaddr[i].addr) != 0)) {
            last = r->byaddr[i].addr;
            out->addrs++;
        }
}

void cm_rnp_ring_key_info(const cm_rnp_key *k, int64_t now, cm_keyinfo *ki)
{
    uint64_t t = now < 0 ? 0 : (uint64_t) now, till;
    size_t j;

    for (till = 0, j = 0; j < k->nenc; j++)
        if (k->enc_till[j] > till)
            till = k->enc_till[j];
    if (k->nenc == 0 || till > k->valid_till)
        till = k->valid_till;
    ki->expires = till == UINT64_MAX || till > INT64_MAX ? 0 : (int64_t) till;
    if (k->revoked)
        ki->state = CM_KEY_REVOKED;
    else if (k->disabled)
        ki->state = CM_KEY_DISABLED;
    else if (k->valid_till <= t)
        ki->state = CM_KEY_EXPIRED;
    else if (k->nenc == 0 || k->invalid)
        ki->state = CM_KEY_NO_ENCRYPTION;
    else
        ki->state = usable_at(k, t) != 0 ? CM_KEY_USABLE : CM_KEY_EXPIRED;
}

void cm_rnp_ring_list(const cm_rnp_ring *r, int64_t now, cm_keyinfo_fn fn, void *arg)
{
    size_t i;

    for (i = 0; i < r->naddr; i++) {
        const cm_rnp_key *k = &r->keys[r->byaddr[i].key];
        cm_keyinfo ki;

        ki.addr = r->byaddr[i].addr;
        ki.id = k->fpr;
        cm_rnp_ring_key_info(k, now, &ki);
        if (fn(arg, &ki) != 0)
            return;
    }
}

const cm_rnp_key *cm_rnp_ring_by_fpr(const cm_rnp_ring *r, const char *fpr)
{
    size_t lo = 0, hi = r->nkeys;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcasecmp(r->byfpr[mid].addr, fpr);

        if (c == 0)
            return &r->keys[r->byfpr[mid].key];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}
