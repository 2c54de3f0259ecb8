/* cm_gpgme_index - every usable encryption key of the keyring, by address.
 *
 * GPGME reports a listing gpg could not finish (keyring damaged or being
 * rewritten, gpg killed) as a clean, shorter listing. So an index is only
 * built from a listing that holds exactly as many keys as our own check of
 * the keyring file counts (cm_keyring), with no ERROR status from gpg, and
 * with the file unchanged from before our check to after the listing.
 * Anything else is a 4xx, never "no key". */
#include "cm_gpgme_int.h"
#include "cm_buf.h"
#include "cm_idn.h"
#include "cm_keyring.h"
#include "cm_log.h"
#include "cm_snapshot.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* A keyring modified less than this long ago may still be being written. */
#define ATTEMPTS 3

typedef struct ix_entry {
    char *addr;             /* lower-cased */
    gpgme_key_t key;
} ix_entry;

struct cm_gpgme_index {
    cm_snapshot_obj snap;   /* first: the cache hands out &ix->snap */
    gpgme_key_t *keys;      /* every key listed */
    size_t nkeys;
    ix_entry *v;            /* sorted by addr */
    size_t n, cap;
    gpgme_key_t *byfpr;     /* keys with a fingerprint, sorted by it */
    size_t nbyfpr;
};


static void ix_free(cm_gpgme_index *ix)
{
    size_t i;

    if (ix == NULL)
        return;
    for (i = 0; i < ix->n; i++)
        free(ix->v[i].addr);
    for (i = 0; i < ix->nkeys; i++)
        gpgme_key_unref(ix->keys[i]);
    free(ix->v);
    free(ix->byfpr);
    free(ix->keys);
    free(ix);
}

void cm_gpgme_index_put(cm_gpgme_index *ix)
{
    if (ix != NULL && cm_snapshot_obj_drop(&ix->snap))
        ix_free(ix);
}

/* Newest creation time of an encryption subkey usable now; 0 if none. */
static long usable_subkey(gpgme_key_t key, time_t now)
{
    gpgme_subkey_t sk;
    long best = 0;

    if (key->revoked || key->expired || key->disabled || key->invalid || !key->can_encrypt
        || key->subkeys == NULL || (key->subkeys->expires > 0 && key->subkeys->expires <= now))
        return 0;
    for (sk = key->subkeys; sk != NULL; sk = sk->next)
        if (sk->can_encrypt && !sk->revoked && !sk->expired && !sk->disabled && !sk->invalid
            && (sk->expires == 0 || sk->expires > now) && sk->timestamp > best)
            best = sk->timestamp;
    return best;
}

/* A lower-cased copy (ASCII: addresses are compared as gpg stores them),
 * an IDN domain in the form lookups ask in (cm_idn_fold). */
static char *lower_dup(const char *s)
{
    char *a = strdup(s);
    size_t i;

    for (i = 0; a != NULL && a[i]; i++)
        if (a[i] >= 'A' && a[i] <= 'Z')
            a[i] = (char) (a[i] + 32);
    if (a != NULL && cm_idn_fold_heap(&a) < 0) {
        free(a);
        return NULL;
    }
    return a;
}

static int entry_cmp(const void *a, const void *b)
{
    return strcmp(((const ix_entry *) a)->addr, ((const ix_entry *) b)->addr);
}

static int fpr_cmp(const void *a, const void *b)
{
    return strcasecmp((*(const gpgme_key_t *) a)->fpr, (*(const gpgme_key_t *) b)->fpr);
}

/* The by-fingerprint view of the keys (signers and gateway keys). */
static cm_stat sort_by_fpr(cm_gpgme_index *ix)
{
    size_t i;

    if (ix->nkeys == 0)
        return CM_OK;
    if ((ix->byfpr = cm_array_resize(NULL, ix->nkeys, sizeof(*ix->byfpr))) == NULL)
        return CM_ERR_NOMEM;
    for (i = 0; i < ix->nkeys; i++)
        if (ix->keys[i]->fpr != NULL)
            ix->byfpr[ix->nbyfpr++] = ix->keys[i];
    qsort(ix->byfpr, ix->nbyfpr, sizeof(*ix->byfpr), fpr_cmp);
    return CM_OK;
}

gpgme_key_t cm_gpgme_index_by_fpr(const cm_gpgme_index *ix, const char *fpr)
{
    size_t lo = 0, hi = ix->nbyfpr;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcasecmp(ix->byfpr[mid]->fpr, fpr);

        if (c == 0)
            return ix->byfpr[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

static cm_stat add_entries(cm_gpgme_index *ix, gpgme_key_t key)
{
    gpgme_user_id_t uid;

    for (uid = key->uids; uid != NULL; uid = uid->next) {
        ix_entry *nv;
        char *a;

        /* gpg marks every user ID of a revoked key revoked: those stay, for
         * cryptmilter-keys to list (lookups refuse the key itself). */
        if ((uid->revoked && !key->revoked) || uid->invalid || uid->email == NULL
            || *uid->email == 0)
            continue;
        if (ix->n == ix->cap) {
            size_t cap = ix->cap ? 2 * ix->cap : 16;

            if ((nv = cm_array_resize(ix->v, cap, sizeof(*nv))) == NULL)
                return CM_ERR_NOMEM;
            ix->v = nv;
            ix->cap = cap;
        }
        if ((a = lower_dup(uid->email)) == NULL)
            return CM_ERR_NOMEM;
        ix->v[ix->n].addr = a;
        ix->v[ix->n].key = key;
        ix->n++;
    }
    return CM_OK;
}

typedef struct list_status {
    int error_seen;
    const cm_msgctx *mc;
} list_status;

static gpgme_error_t list_status_cb(void *opaque, const char *keyword, const char *args)
{
    list_status *ls = opaque;

    if (strcmp(keyword, "ERROR") == 0 || strcmp(keyword, "FAILURE") == 0) {
        ls->error_seen = 1;
        cm_log_warn("%s: gpg key listing: %s %s", CM_QID(ls->mc), keyword, args ? args : "");
    }
    return 0;
}

/* List every key into ix. */
static cm_stat list_all(const cm_msgctx *mc, cm_gpgme_index *ix)
{
    list_status ls = {0, NULL};
    gpgme_ctx_t ctx;
    gpgme_key_t key;
    gpgme_error_t ge;
    cm_watch *w;
    cm_stat st;
    size_t cap = 0;
    int expired;

    if ((st = cm_gpgme_ctx_new(mc, &ctx)) != CM_OK)
        return st;
    ls.mc = mc;
    gpgme_set_status_cb(ctx, list_status_cb, &ls);
    if ((w = cm_gpgme_ctx_watch(mc, ctx)) == NULL) {
        gpgme_release(ctx);
        return CM_ERR_INTERNAL;
    }
    ge = gpgme_op_keylist_start(ctx, NULL, 0);
    while (ge == 0 && (ge = gpgme_op_keylist_next(ctx, &key)) == 0) {
        if (ix->nkeys == cap) {
            gpgme_key_t *nk;

            cap = cap ? 2 * cap : 64;
            if ((nk = cm_array_resize(ix->keys, cap, sizeof(*nk))) == NULL) {
                gpgme_key_unref(key);
                st = CM_ERR_NOMEM;
                continue;       /* read on to the end: GPGME leaks what is left queued */
            }
            ix->keys = nk;
        }
        if (st == CM_OK)
            ix->keys[ix->nkeys++] = key;
        else
            gpgme_key_unref(key);
    }
    (void) gpgme_op_keylist_end(ctx);
    expired = cm_watch_stop(w);
    gpgme_release(ctx);
    if (expired) {
        cm_log_error("%s: key listing: gpg did not finish within EngineTimeout (%llus)",
                     CM_QID(mc), (unsigned long long) mc->cfg->engine_timeout);
        return CM_ERR_TIMEOUT;
    }
    if (st != CM_OK)
        return st;
    if (gpg_err_code(ge) != GPG_ERR_EOF || ls.error_seen) {
        cm_log_error("%s: KeyringDir %s: gpg could not list the keyring: %s", CM_QID(mc),
                     mc->cfg->keyring_dir, ls.error_seen ? "it reported an error"
                     : gpgme_strerror(ge));
        return CM_ERR_KEYRING_DAMAGED;
    }
    return CM_OK;
}

/* The index of mc's KeyringDir; *id gets the identity of the keyring
 * file it was built from (the same before the check and after the
 * listing). */
static cm_stat build(const cm_msgctx *mc, cm_gpgme_index **out, cm_snapshot_file *id)
{
    const cm_config *cfg = mc->cfg;
    char err[1024];
    int attempt;

    *out = NULL;
    for (attempt = 0; attempt < ATTEMPTS; attempt++) {
        cm_gpgme_index *ix = calloc(1, sizeof(*ix));
        cm_snapshot_file before, after;
        cm_keyring_status ks;
        size_t nfile, i;
        cm_stat st;

        if (ix == NULL)
            return CM_ERR_NOMEM;
        if ((ks = cm_keyring_stat(cfg->keyring_dir, &before, err, sizeof(err))) == CM_KEYRING_OK)
            cm_keyring_wait_quiet(&before);
        if (ks == CM_KEYRING_OK)
            ks = cm_keyring_scan(cfg->keyring_dir, &before, &nfile, err, sizeof(err));
        if (ks != CM_KEYRING_OK) {
            ix_free(ix);
            /* Damage seen while the file changes: it is being rewritten. */
            if (ks == CM_KEYRING_DAMAGED && attempt + 1 < ATTEMPTS
                && cm_keyring_stat(cfg->keyring_dir, &after, err, sizeof(err)) == CM_KEYRING_OK
                && !cm_snapshot_file_eq(&before, &after))
                continue;
            return cm_keyring_error(CM_QID(mc), ks, err);
        }
        if (nfile == 0) {
            ix_free(ix);
            cm_log_error("%s: KeyringDir %s: the keyring holds no keys", CM_QID(mc),
                         cfg->keyring_dir);
            return CM_ERR_KEYRING;
        }
        st = list_all(mc, ix);
        ks = cm_keyring_stat(cfg->keyring_dir, &after, err, sizeof(err));
        if (ks == CM_KEYRING_OK && !cm_snapshot_file_eq(&before, &after)) {
            ix_free(ix);
            cm_log_notice("%s: KeyringDir %s changed while it was read; reading it again",
                          CM_QID(mc), cfg->keyring_dir);
            continue;
        }
        if (st == CM_OK && ks != CM_KEYRING_OK)
            st = cm_keyring_error(CM_QID(mc), ks, err);
        if (st == CM_OK && ix->nkeys != nfile) {
            cm_log_error("%s: KeyringDir %s: gpg listed %zu keys of the %zu in the keyring file: "
                         "damaged, or a key gpg cannot read", CM_QID(mc), cfg->keyring_dir,
                         ix->nkeys, nfile);
            st = CM_ERR_KEYRING_DAMAGED;
        }
        for (i = 0; st == CM_OK && i < ix->nkeys; i++)
            st = add_entries(ix, ix->keys[i]);
        if (st == CM_OK)
            st = sort_by_fpr(ix);
        if (st != CM_OK) {
            ix_free(ix);
            return st;
        }
        if (ix->n > 0)
            qsort(ix->v, ix->n, sizeof(ix->v[0]), entry_cmp);
        *id = before;
        cm_snapshot_obj_init(&ix->snap);
        cm_log_info("%s: KeyringDir %s: %zu keys, %zu addresses indexed", CM_QID(mc),
                    cfg->keyring_dir, ix->nkeys, ix->n);
        *out = ix;
        return CM_OK;
    }
    cm_log_error("%s: KeyringDir %s keeps changing while it is read: replace keyrings "
                 "atomically (write aside, then rename)", CM_QID(mc), cfg->keyring_dir);
    return CM_ERR_KEYRING_DAMAGED;
}

/* The cache's callbacks: src is the message's context (cm_msgctx). */
static cm_stat ix_stamp(const void *src, const cm_snapshot_stamp *held, cm_snapshot_stamp *now)
{
    const cm_msgctx *mc = src;
    cm_stat st = cm_keyring_stamp(mc->cfg->keyring_dir, CM_QID(mc), now);

    (void) held;
    /* gpg keeps the disabled flag in the trust database. */
    return st == CM_OK ? cm_keyring_trustdb_stamp(mc->cfg->keyring_dir, CM_QID(mc), &now->file[1])
                       : st;
}

static cm_stat ix_load(const void *src, const cm_snapshot_stamp *held, cm_snapshot_obj **obj,
                       cm_snapshot_stamp *stamp)
{
    cm_gpgme_index *ix;
    const cm_msgctx *mc = src;
    cm_stat st = cm_keyring_trustdb_stamp(mc->cfg->keyring_dir, CM_QID(mc), &stamp->file[1]);

    (void) held;
    if (st == CM_OK)
        st = build(src, &ix, &stamp->file[0]);
    *obj = st == CM_OK ? &ix->snap : NULL;
    return st;
}

static void ix_put(cm_snapshot_obj *obj)
{
    cm_gpgme_index_put((cm_gpgme_index *) obj);
}

static const cm_snapshot_ops ix_ops = {.stamp = ix_stamp, .load = ix_load, .put = ix_put,
                                         .keyring = 1};

cm_snapshot *cm_gpgme_index_cache_new(void)
{
    return cm_snapshot_new(&ix_ops);
}

cm_stat cm_gpgme_index_get(cm_snapshot *c, const cm_msgctx *mc, cm_gpgme_index **out)
{
    cm_snapshot_obj *obj;
    cm_stat st = cm_snapshot_get(c, mc->cfg->keyring_dir, mc, &obj);

    *out = (cm_gpgme_index *) obj;
    return st;
}

void cm_gpgme_index_summary(const cm_gpgme_index *ix, int64_t now, int64_t window,
                            cm_keyring_summary *out)
{
    time_t t = (time_t) now, later = (time_t) (now + (window < 0 ? 0 : window));
    const char *last = NULL;
    size_t i;

    memset(out, 0, sizeof(*out));
    out->keys = ix->nkeys;
    for (i = 0; i < ix->nkeys; i++)
        if (usable_subkey(ix->keys[i], t) != 0 && usable_subkey(ix->keys[i], later) == 0)
            out->expiring++;
    /* v is sorted by its lower-cased addresses: equal ones are neighbours. */
    for (i = 0; i < ix->n; i++)
        if (usable_subkey(ix->v[i].key, t) != 0
            && (last == NULL || strcmp(last, ix->v[i].addr) != 0)) {
            last = ix->v[i].addr;
            out->addrs++;
        }
}

void cm_gpgme_index_key_info(gpgme_key_t key, time_t now, cm_keyinfo *ki)
{
    int64_t pexp = key->subkeys != NULL ? (int64_t) key->subkeys->expires : 0, till = -1;
    gpgme_subkey_t sk;

    for (sk = key->subkeys; sk != NULL; sk = sk->next) {
        if (!sk->can_encrypt || sk->revoked || sk->invalid)
            continue;
        if (sk->expires <= 0)
            till = 0;
        else if (till != 0 && (int64_t) sk->expires > till)
            till = (int64_t) sk->expires;
    }
    if (pexp > 0 && (till <= 0 || till > pexp))
        till = till < 0 ? -1 : pexp;
    ki->expires = till < 0 ? pexp : till;
    if (key->revoked)
        ki->state = CM_KEY_REVOKED;
    else if (key->disabled)
        ki->state = CM_KEY_DISABLED;
    else if (key->expired || (pexp > 0 && pexp <= (int64_t) now))
        ki->state = CM_KEY_EXPIRED;
    else if (till < 0)
        ki->state = CM_KEY_NO_ENCRYPTION;
    else if (till > 0 && till <= (int64_t) now)
        ki->state = CM_KEY_EXPIRED;
    else
        ki->state = CM_KEY_USABLE;
}

void cm_gpgme_index_list(const cm_gpgme_index *ix, int64_t now, cm_keyinfo_fn fn, void *arg)
{
    size_t i;

    for (i = 0; i < ix->n; i++) {
        cm_keyinfo ki;

        ki.addr = ix->v[i].addr;
        ki.id = ix->v[i].key->fpr != NULL ? ix->v[i].key->fpr : "";
        cm_gpgme_index_key_info(ix->v[i].key, (time_t) now, &ki);
        if (fn(arg, &ki) != 0)
            return;
    }
}

gpgme_key_t cm_gpgme_index_find(const cm_gpgme_index *ix, const char *addr)
{
    size_t lo = 0, hi = ix->n, i;
    gpgme_key_t best = NULL;
    long best_ts = 0, ts;
    time_t now = time(NULL);

    /* Entries are lower-cased and sorted by strcmp, which for them is the
     * order strcasecmp gives: addr is compared as it is, no copy made (a
     * failed copy would read as "no key"). */
    while (lo < hi) {           /* the first entry >= addr */
        size_t mid = lo + (hi - lo) / 2;

        if (strcasecmp(ix->v[mid].addr, addr) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (i = lo; i < ix->n && strcasecmp(ix->v[i].addr, addr) == 0; i++)
        if ((ts = usable_subkey(ix->v[i].key, now)) > best_ts) {
            best = ix->v[i].key;
            best_ts = ts;
        }
    return best;
}
