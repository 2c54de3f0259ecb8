/* cm_keys_wkd - cryptmilter-keys wkd ADDRESS...: each address's keys from
 * its domain's Web Key Directory, imported into KeyringDir with only the
 * user IDs of that address (a directory may serve a key whose other user
 * IDs name anyone: they are never taken). gpg writes the keyring, which
 * the daemon reloads when it changes. */
#include "cm_keys_wkd.h"
#include "cm_buf.h"
#include "cm_engines.h"
#include "cm_wkd_fetch.h"

#include <stdio.h>
#include <sys/stat.h>
#include <sysexits.h>

typedef struct shown {
    const char *addr;
    int failed;             /* a write error */
} shown;

static void show(void *arg, const char *fpr, const char *what)
{
    shown *s = arg;

    if (printf("%s %s %s\n", s->addr, fpr, what) < 0)
        s->failed = 1;
}

/* One address: EX_OK, 1 or EX_TEMPFAIL as the header says. */
static int one(const cm_config *cfg, const char *addr, int *write_failed)
{
    cm_buf b = CM_BUF_INIT;
    cm_import_report rep;
    shown s = {addr, 0};
    char err[1024];
    cm_wkd_answer a;
    cm_stat st;

    a = cm_wkd_fetch(cfg, addr, &b, err, sizeof(err));
    if (a != CM_WKD_FOUND) {
        fprintf(stderr, "cryptmilter-keys: %s: %s\n", addr, err);
        cm_buf_free(&b);
        return a == CM_WKD_NOT_FOUND ? 1 : EX_TEMPFAIL;
    }
    st = cm_engines_import_addr(cfg, cfg->keyring_dir, b.data, b.len, addr, show, &s, &rep, err,
                                sizeof(err));
    cm_buf_free(&b);
    *write_failed |= s.failed;
    if (st == CM_BAD_INPUT) {
        fprintf(stderr, "cryptmilter-keys: %s: the directory's answer is refused: %s\n", addr,
                err);
        return 1;
    }
    if (st != CM_OK) {
        fprintf(stderr, "cryptmilter-keys: %s: %s\n", addr, err);
        return EX_TEMPFAIL;
    }
    if (rep.refused > 0)
        fprintf(stderr, "cryptmilter-keys: %s: %zu key%s without a user ID of this address "
                "refused\n", addr, rep.refused, rep.refused == 1 ? "" : "s");
    return rep.added + rep.updated + rep.unchanged > 0 ? EX_OK : 1;
}

int cm_keys_wkd(const cm_config *cfg, char **addrs, int n)
{
    struct stat sb;
    int i, r, rc = EX_OK, write_failed = 0;

    if (!cm_config_has_keyring(cfg) || stat(cfg->keyring_dir, &sb) < 0 || !S_ISDIR(sb.st_mode)) {
        fprintf(stderr, "cryptmilter-keys: wkd: KeyringDir %s is not a directory\n",
                cfg->keyring_dir);
        return EX_CONFIG;
    }
    if (cm_wkd_fetch_init() < 0) {
        fprintf(stderr, "cryptmilter-keys: wkd: libcurl does not start\n");
        return EX_SOFTWARE;
    }
    for (i = 0; i < n; i++) {
        r = one(cfg, addrs[i], &write_failed);
        if (r == EX_TEMPFAIL || (r == 1 && rc == EX_OK))
            rc = r;
    }
    cm_wkd_fetch_done();
    if (fflush(stdout) == EOF || write_failed) {
        fprintf(stderr, "cryptmilter-keys: writing what was imported failed\n");
        return EX_IOERR;
    }
    return rc;
}
