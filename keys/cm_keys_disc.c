/* cm_keys_disc - cryptmilter-keys --discovered (see the header). */
#include "cm_keys_disc.h"
#include "cm_buf.h"
#include "cm_keys_edit.h"
#include "cm_keystore.h"
#include "cm_wkd_cache.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <time.h>

static const char *progname = "cryptmilter-keys";
static char none[] = "none";

int cm_keys_disc_config(const cm_config *cfg, cm_config *out)
{
    struct stat sb;

    errno = 0;
    if (cfg->key_discovery != CM_DISCOVERY_WKD) {
        fprintf(stderr, "%s: --discovered: KeyDiscovery is none: there is no discovered "
                "keyring\n", progname);
        return EX_CONFIG;
    }
    if (stat(cfg->key_discovery_dir, &sb) < 0 || !S_ISDIR(sb.st_mode)) {
        fprintf(stderr, "%s: --discovered: KeyDiscoveryDir %s: %s\n", progname,
                cfg->key_discovery_dir, errno == 0 ? "not a directory" : strerror(errno));
        return EX_CONFIG;
    }
    *out = *cfg;
    out->keyring_dir = cfg->key_discovery_dir;
    out->certificate_dir = none;
    out->encrypt_to_self.n = 0;
    return EX_OK;
}

typedef struct removed {
    cm_buf addrs;           /* the removed keys' addresses, ',' between */
    int nomem;
} removed;

static void note(void *arg, const cm_keychange *c)
{
    removed *r = arg;

    cm_keys_edit_print(stdout, c);
    if (*c->addrs && ((r->addrs.len > 0 && cm_buf_putc(&r->addrs, ',') < 0)
                      || cm_buf_puts(&r->addrs, c->addrs) < 0))
        r->nomem = 1;
}

/* Each address of r a miss at now: 0, or -1 (said on stderr). */
static int forget(const cm_config *dcfg, removed *r)
{
    char err[1024], *addr, *save = NULL;
    int64_t now = (int64_t) time(NULL);
    int failed = 0;

    if (r->nomem) {
        fprintf(stderr, "%s: removed, but out of memory before KeyDiscoveryCache %s was told\n",
                progname, dcfg->key_discovery_cache);
        return -1;
    }
    if (r->addrs.len == 0)
        return 0;
    for (addr = strtok_r((char *) r->addrs.data, ",", &save); addr != NULL;
         addr = strtok_r(NULL, ",", &save))
        if (cm_wkd_cache_put(dcfg->key_discovery_cache, addr, 0, now, err, sizeof(err)) < 0) {
            fprintf(stderr, "%s: %s removed, but not recorded as a miss: %s\n", progname, addr,
                    err);
            failed = 1;
        }
    cm_wkd_cache_close();
    return failed ? -1 : 0;
}

int cm_keys_disc_remove(const cm_config *dcfg, const char *what)
{
    removed r = {CM_BUF_INIT, 0};
    char err[1024];
    cm_stat st;
    int rc;

    st = cm_keystore_remove(dcfg, what, note, &r, err, sizeof(err));
    rc = cm_keys_edit_finish(st, err);
    /* After the removal, not before: a remove that fails leaves the
     * daemon's answer as it was. */
    if (st == CM_OK && forget(dcfg, &r) < 0 && rc == EX_OK)
        rc = EX_TEMPFAIL;
    cm_buf_free(&r.addrs);
    return rc;
}
