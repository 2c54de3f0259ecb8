/* cm_discover - the discovered keyring for outbound opportunistic
 * encryption (KeyDiscovery wkd). */
#include "cm_discover.h"
#include "cm_buf.h"
#include "cm_log.h"
#include "cm_stats.h"
#include "cm_wkd_cache.h"
#include "cm_wkd_fetch.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

/* Less time than this left: the next lookup is not begun. */
#define DISCOVER_MIN_US 100000

void cm_discover_init(cm_discover *d)
{
    memset(d, 0, sizeof(*d));
}

/* Asked of the directory within budget_ms: addr's keys imported into
 * KeyDiscoveryDir? 1 found, 0 not (logged). *cache: the answer may be
 * remembered (not a failure cut short by the message's bound). */
static int fetch(const cm_msg *m, const char *addr, int64_t budget_ms, int *cache)
{
    const cm_config *cfg = m->ctx.cfg;
    uint64_t t0 = cm_stats_clock_us(), left_s;
    cm_buf b = CM_BUF_INIT;
    cm_import_report rep;
    cm_config icfg;
    char err[1024];
    cm_wkd_answer a;
    cm_stat st;

    a = cm_wkd_fetch_within(cfg, addr, budget_ms, &b, err, sizeof(err));
    *cache = a != CM_WKD_FAILED || budget_ms >= (int64_t) cfg->key_discovery_timeout * 1000;
    if (a != CM_WKD_FOUND) {
        cm_log_info("%s: KeyDiscovery: no key for <%s>: %s", CM_QID(&m->ctx), addr, err);
        cm_buf_free(&b);
        return 0;
    }
    /* The import is bounded with the lookups (the watchdog counts whole
     * seconds): gpg may wait for a keyring lock. */
    left_s = (uint64_t) budget_ms * 1000 > cm_stats_clock_us() - t0
             ? ((uint64_t) budget_ms * 1000 - (cm_stats_clock_us() - t0) + 999999) / 1000000 : 1;
    icfg = *cfg;
    if (left_s < icfg.engine_timeout)
        icfg.engine_timeout = left_s;
    memset(&rep, 0, sizeof(rep));
    st = cm_engines_import_addr(&icfg, cfg->key_discovery_dir, b.data, b.len, addr, NULL, NULL,
                                &rep, err, sizeof(err));
    cm_buf_free(&b);
    if (st != CM_OK) {
        cm_log_warn("%s: KeyDiscovery: the key served for <%s> is not imported: %s",
                    CM_QID(&m->ctx), addr, err);
        *cache = st == CM_BAD_INPUT;
        return 0;
    }
    if (rep.added + rep.updated + rep.unchanged == 0) {
        cm_log_info("%s: KeyDiscovery: no key served for <%s> has a user ID of that address",
                    CM_QID(&m->ctx), addr);
        return 0;
    }
    cm_log_info("%s: KeyDiscovery: key for <%s> imported into %s", CM_QID(&m->ctx), addr,
                cfg->key_discovery_dir);
    return 1;
}

/* Is there a key for addr in KeyDiscoveryDir, from the cache or asked
 * now, before the deadline (cm_stats_clock_us)? 1 or 0. */
static int lookup(const cm_msg *m, const char *addr, uint64_t deadline)
{
    const cm_config *cfg = m->ctx.cfg;
    uint64_t now = cm_stats_clock_us();
    cm_wkd_cached c = CM_WKD_CACHED_NONE;
    char err[512];
    int found, cache;

    if (cm_wkd_cache_get(cfg->key_discovery_cache, addr, (int64_t) time(NULL), &c, err,
                         sizeof(err)) < 0)
        cm_log_warn("%s: KeyDiscovery: %s", CM_QID(&m->ctx), err);
    if (c != CM_WKD_CACHED_NONE) {
        cm_log_debug("%s: KeyDiscovery: <%s> cached: %s", CM_QID(&m->ctx), addr,
                     c == CM_WKD_CACHED_FOUND ? "found" : "not found");
        cm_stats_discovery(c == CM_WKD_CACHED_FOUND ? CM_STATS_DISCOVERY_CACHED_FOUND
                           : CM_STATS_DISCOVERY_CACHED_MISS);
        return c == CM_WKD_CACHED_FOUND;
    }
    if (now + DISCOVER_MIN_US >= deadline) {
        cm_log_info("%s: KeyDiscovery: <%s> not asked: the message's lookups took their time",
                    CM_QID(&m->ctx), addr);
        cm_stats_discovery(CM_STATS_DISCOVERY_MISS);
        return 0;
    }
    found = fetch(m, addr, (int64_t) ((deadline - now) / 1000), &cache);
    cm_stats_discovery(found ? CM_STATS_DISCOVERY_FOUND : CM_STATS_DISCOVERY_MISS);
    if (cache && cm_wkd_cache_put(cfg->key_discovery_cache, addr, found, (int64_t) time(NULL), err,
                                  sizeof(err)) < 0)
        cm_log_warn("%s: KeyDiscovery: %s", CM_QID(&m->ctx), err);
    return found;
}

/* Is there a key in KeyDiscoveryDir for every address rcpt is encrypted
 * to, from the cache or asked now, before the deadline? *found 1 or 0;
 * CM_OK, or CM_ERR_NOMEM.
 *
 * An alias of KeyAliases (or its RecipientDelimiter base, in either IDN
 * form: cm_engcall_alias, as the encryption will expand it) is never
 * looked up itself: the message is encrypted to its members' keys
 * (cm_engcall_find_keys), so a key fetched for the alias's own address
 * would be imported and never used, and the members' would not be there.
 * Each member is looked up instead, within the same deadline. */
static cm_stat lookup_rcpt(const cm_msg *m, const char *rcpt, uint64_t deadline, int *found)
{
    const char *const *mem;
    size_t n, j;
    cm_stat st;

    *found = 0;
    if ((st = cm_engcall_alias(&m->eng, rcpt, &mem, &n)) != CM_OK)
        return st;
    if (mem == NULL) {
        *found = lookup(m, rcpt, deadline);
        return CM_OK;
    }
    for (j = 0; j < n; j++)
        if (!lookup(m, mem[j], deadline))
            return CM_OK;
    *found = 1;
    return CM_OK;
}

/* Does any recipient have a key in KeyringDir? Those are not mixed with
 * discovered ones (one session per encryption). *any, CM_OK or a failure. */
static cm_stat any_keyed(cm_msg *m, int *any)
{
    const cm_key *keys[CM_ALIAS_MAX_MEMBERS];
    size_t i, n;
    cm_stat st;
    int e;

    *any = 0;
    for (i = 0; i < m->rcpts.n && !*any; i++) {
        if ((st = cm_engcall_find_keys(&m->eng, m->rcpts.v[i], &e, keys, &n)) != CM_OK)
            return st;
        *any = n > 0;
    }
    return CM_OK;
}

/* Every recipient's keys from the discovered keyring into d's session,
 * all of one engine: *ready, or CM_OK with *ready 0 when one has none. */
static cm_stat load(cm_msg *m, cm_discover *d, int *ready)
{
    const cm_key *keys[CM_ALIAS_MAX_MEMBERS];
    int e, first = -1;
    size_t i, j, n;
    cm_stat st;

    d->cfg = *m->ctx.cfg;
    d->cfg.keyring_dir = m->ctx.cfg->key_discovery_dir;
    d->ctx = m->ctx;
    d->ctx.cfg = &d->cfg;
    cm_engcall_init(&d->eng, m->disc_engines != NULL ? m->disc_engines : m->eng.engines, &d->ctx);
    d->open = 1;
    for (i = 0; i < m->rcpts.n; i++) {
        if ((st = cm_engcall_find_keys(&d->eng, m->rcpts.v[i], &e, keys, &n)) != CM_OK)
            return st;
        if (n == 0 || (first >= 0 && e != first)) {
            cm_log_info("%s: KeyDiscovery: <%s> has no usable discovered key%s", CM_QID(&m->ctx),
                        m->rcpts.v[i], n == 0 ? "" : " of the others' kind");
            return CM_OK;
        }
        first = e;
        for (j = 0; j < n; j++)
            if ((st = cm_engcall_add_recipient(&d->eng, (size_t) e, keys[j])) != CM_OK)
                return st;
        d->nkeyed[e]++;
    }
    *ready = first >= 0;
    return CM_OK;
}

cm_stat cm_discover_prepare(cm_msg *m, cm_discover *d, int *ready)
{
    const cm_config *cfg = m->ctx.cfg;
    uint64_t deadline = cm_stats_clock_us() + 2 * cfg->key_discovery_timeout * 1000000;
    cm_stat st;
    size_t i;
    int any, found;

    *ready = 0;
    if (cfg->key_discovery != CM_DISCOVERY_WKD || !cfg->opportunistic || m->local != 0
        || m->required || m->tally.nkeyless == 0 || m->rcpts.n == 0)
        return CM_OK;
    if (cfg->encrypt_to_self.n > 0) {
        cm_log_info("%s: KeyDiscovery: not asked: EncryptToSelf's keys are in KeyringDir, and one "
                    "encryption takes its keys from one keyring", CM_QID(&m->ctx));
        return CM_OK;
    }
    if ((st = any_keyed(m, &any)) != CM_OK)
        return st;
    if (any) {
        cm_log_info("%s: KeyDiscovery: not asked: a recipient has a key in KeyringDir, and one "
                    "encryption takes its keys from one keyring", CM_QID(&m->ctx));
        return CM_OK;
    }
    /* The cache is, by default, inside it. */
    if (mkdir(cfg->key_discovery_dir, 0700) < 0 && errno != EEXIST)
        cm_log_errno("%s: KeyDiscoveryDir %s", CM_QID(&m->ctx), cfg->key_discovery_dir);
    for (i = 0; i < m->rcpts.n; i++) {
        if ((st = lookup_rcpt(m, m->rcpts.v[i], deadline, &found)) != CM_OK)
            return st;
        if (!found)
            return CM_OK;
    }
    return load(m, d, ready);
}

void cm_discover_done(cm_discover *d)
{
    if (d->open)
        cm_engcall_done(&d->eng);
    d->open = 0;
}
