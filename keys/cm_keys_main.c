/* cryptmilter-keys: what KeyringDir holds, as the daemon's configured
 * OpenPGPBackend reads it, and CertificateDir, as the cms engine reads it
 * (list, expiring, check), and changes them (import, remove, disable,
 * enable: cm_keys_edit; wkd: cm_keys_wkd); with --discovered, list,
 * remove, disable and enable over KeyDiscoveryDir (cm_keys_disc). */
#include "cm_config.h"
#include "cm_engines.h"
#include "cm_idn.h"
#include "cm_keys_disc.h"
#include "cm_keys_edit.h"
#include "cm_keys_import.h"
#include "cm_keys_out.h"
#include "cm_keys_wkd.h"
#include "cm_keystore.h"
#include "cm_log.h"
#include "cm_preflight.h"
#include "cm_privdrop.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_CONF "/etc/cryptmilter/cryptmilter.conf"

static const char *progname = "cryptmilter-keys";

typedef struct listing {
    char **addrs;           /* only these (case-insensitive); none: all */
    int naddrs;
    int json;
    const char *cls;        /* of the keys being listed: pgp, smime */
    int64_t until;          /* expiring: what cannot encrypt after this; 0: list */
    size_t shown;
    int failed;             /* a write error */
} listing;

static void usage(void)
{
    fprintf(stderr,
            "usage: %s [-c CONF] list [--json] [ADDRESS...]\n"
            "       %s [-c CONF] expiring [--days N] [--json] [ADDRESS...]\n"
            "       %s [-c CONF] check\n"
            "       %s [-c CONF] import [--gateway] FILE|-\n"
            "       %s [-c CONF] remove ADDRESS|FINGERPRINT\n"
            "       %s [-c CONF] disable|enable FINGERPRINT\n"
            "       %s [-c CONF] wkd ADDRESS...\n"
            "       %s [-c CONF] --discovered list|remove|disable|enable ...\n"
            "exit: 0 done (expiring: nothing listed), 1 expiring keys listed\n"
            "      (wkd: some address not found), 65 bad input (refused),\n"
            "      73 import --gateway: no GatewayCertificates file free for it,\n"
            "      78 bad configuration, 75 the keyring cannot be read or written\n"
            "      (wkd: a lookup failed)\n",
            progname, progname, progname, progname, progname, progname, progname, progname);
}

static int wanted(const listing *l, const char *addr)
{
    int i;

    if (l->naddrs == 0)
        return 1;
    /* the engines list an IDN domain as its A-label (cm_idn_fold); the
     * administrator may write it in any form: out of memory lists it */
    for (i = 0; i < l->naddrs; i++)
        if (cm_idn_addr_eq(l->addrs[i], addr) != 0)
            return 1;
    return 0;
}

static int show(void *arg, const cm_keyinfo *k)
{
    listing *l = arg;

    if (!wanted(l, k->addr))
        return 0;
    if (l->until != 0 && k->state != CM_KEY_EXPIRED
        && (k->state != CM_KEY_USABLE || k->expires == 0 || k->expires > l->until))
        return 0;
    if (cm_keys_out_write(stdout, l->cls, k, l->json, l->shown == 0) < 0) {
        l->failed = 1;
        return 1;
    }
    l->shown++;
    return 0;
}

static void print_check(int level, const char *line, void *arg)
{
    fprintf((FILE *) arg, "# %s%s\n", level == LOG_ERR ? "error: " : "", line);
}

static int check(const cm_config *cfg)
{
    char report[4096];
    cm_preflight pf = {cfg, "the daemon's user", print_check, stdout, 0};
    cm_stat st;

    cm_preflight_keyring(&pf, (int64_t) time(NULL));
    cm_preflight_archive(&pf, (int64_t) time(NULL));
    st = cm_engines_check(cfg, report, sizeof(report));
    for (char *line = strtok(report, "\n"); line != NULL; line = strtok(NULL, "\n"))
        printf("# %s\n", line);
    return st == CM_OK && pf.errors == 0 ? EX_OK : EX_CONFIG;
}

static int parse_days(const char *s, long *out)
{
    char *end;

    errno = 0;
    *out = strtol(s, &end, 10);
    return errno == 0 && end != s && *end == 0 && *out >= 0 && *out <= 36500 ? 0 : -1;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"json", no_argument, NULL, 'j'},
        {"days", required_argument, NULL, 'd'},
        {"gateway", no_argument, NULL, 'g'},
        {"discovered", no_argument, NULL, 'D'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}
    };
    const char *conf = DEFAULT_CONF, *cmd;
    listing l = {0};
    long days = 30;
    char err[1024];
    cm_config *cfg, dcfg;
    const cm_config *kcfg;      /* the keyring acted on: cfg, or dcfg (--discovered) */
    cm_stat st;
    int c, rc, days_set = 0, gateway = 0, edit, smime_gw, disc = 0;
    uid_t owner = (uid_t) -1;
    gid_t group = (gid_t) -1;
    char *input = NULL;
    size_t inlen = 0;

    while ((c = getopt_long(argc, argv, "c:Dh", opts, NULL)) != -1) {
        switch (c) {
        case 'c': conf = optarg; break;
        case 'h': usage(); return EX_OK;
        case 'j': l.json = 1; break;
        case 'g': gateway = 1; break;
        case 'D': disc = 1; break;
        case 'd':
            if (parse_days(optarg, &days) < 0) {
                fprintf(stderr, "%s: --days %s: not a number of days (0-36500)\n", progname,
                        optarg);
                return EX_USAGE;
            }
            days_set = 1;
            break;
        default: usage(); return EX_USAGE;
        }
    }
    if (optind >= argc) {
        usage();
        return EX_USAGE;
    }
    cmd = argv[optind++];
    l.addrs = argv + optind;
    l.naddrs = argc - optind;
    edit = strcmp(cmd, "import") == 0 || strcmp(cmd, "remove") == 0
           || strcmp(cmd, "disable") == 0 || strcmp(cmd, "enable") == 0;
    if (!edit && strcmp(cmd, "list") != 0 && strcmp(cmd, "expiring") != 0
        && strcmp(cmd, "check") != 0 && strcmp(cmd, "wkd") != 0) {
        fprintf(stderr, "%s: %s: unknown command\n", progname, cmd);
        usage();
        return EX_USAGE;
    }
    if ((strcmp(cmd, "check") == 0 && (l.naddrs != 0 || l.json))
        || (strcmp(cmd, "wkd") == 0 && (l.naddrs == 0 || l.json))
        || (days_set && strcmp(cmd, "expiring") != 0)
        || (edit && (l.naddrs != 1 || l.json)) || (gateway && strcmp(cmd, "import") != 0)
        || (disc && (strcmp(cmd, "import") == 0 || !(edit || strcmp(cmd, "list") == 0)))) {
        usage();
        return EX_USAGE;
    }
    /* The engines' reasons for a failure go to stderr; what they load does
     * not (cron mails whatever is written). */
    cm_log_open(progname, 1);
    cm_log_set_level(LOG_WARNING);
    if ((cfg = cm_config_load(conf, err, sizeof(err))) == NULL) {
        fprintf(stderr, "%s: %s\n", progname, err);
        return EX_CONFIG;
    }
    kcfg = cfg;
    if (disc) {
        if ((rc = cm_keys_disc_config(cfg, &dcfg)) != EX_OK) {
            cm_config_free(cfg);
            return rc;
        }
        kcfg = &dcfg;
    }
    if (strcmp(cmd, "import") == 0
        && (rc = cm_keys_edit_read(l.addrs[0], &input, &inlen)) != EX_OK) {
        cm_config_free(cfg);
        return rc;
    }
    /* As the daemon's user: the files gpg and the certificate writer make
     * must stay the daemon's, and are read as it reads them. But the
     * gateway's S/MIME certificate and key go where GatewayCertificates
     * says (/etc/cryptmilter, root's): written as root and given to that
     * user. */
    smime_gw = gateway && cm_keystore_kind_of(input, inlen) == CM_KEYSTORE_X509;
    if (*cfg->user_id && getuid() == 0) {
        char *user = NULL;
        uid_t uid = (uid_t) -1;
        gid_t gid = (gid_t) -1;

        rc = cm_privdrop_lookup(cfg->user_id, &uid, &gid, &user) < 0 ? EX_CONFIG
             : smime_gw ? EX_OK : cm_privdrop_drop(user, uid, gid) < 0 ? EX_NOPERM : EX_OK;
        free(user);
        owner = uid;
        group = gid;
        if (rc != EX_OK) {
            free(input);
            cm_config_free(cfg);
            return rc;
        }
    }
    if (edit) {
        if (strcmp(cmd, "import") == 0)
            rc = cm_keys_import_buf(cfg, input, inlen, gateway, smime_gw ? owner : (uid_t) -1,
                                    group, stdout);
        else if (strcmp(cmd, "remove") == 0)
            rc = disc ? cm_keys_disc_remove(kcfg, l.addrs[0])
                 : cm_keys_edit_remove(kcfg, l.addrs[0]);
        else
            rc = cm_keys_edit_disable(kcfg, l.addrs[0], strcmp(cmd, "disable") == 0);
        free(input);
        cm_config_free(cfg);
        return rc;
    }
    if (strcmp(cmd, "check") == 0 || strcmp(cmd, "wkd") == 0) {
        rc = strcmp(cmd, "check") == 0 ? check(cfg) : cm_keys_wkd(cfg, l.addrs, l.naddrs);
        cm_config_free(cfg);
        return rc;
    }
    if (strcmp(cmd, "expiring") == 0)
        l.until = (int64_t) time(NULL) + (int64_t) days * 86400;
    if (l.json && fputs("[", stdout) == EOF)
        l.failed = 1;
    l.cls = "pgp";
    st = cm_engines_list_keyring(kcfg, (int64_t) time(NULL), show, &l, err, sizeof(err));
    l.cls = "smime";
    if (st == CM_OK && !l.failed)
        st = cm_engines_list_certs(kcfg, (int64_t) time(NULL), show, &l, err, sizeof(err));
    /* The archive keys (EncryptToSelf), under the address "EncryptToSelf":
     * one that expires defers every message the gateway would encrypt. */
    l.cls = "archive";
    if (st == CM_OK && !l.failed)
        st = cm_engines_list_archive(kcfg, (int64_t) time(NULL), show, &l, err, sizeof(err));
    cm_config_free(cfg);
    if (l.json && fputs(l.shown ? "\n]\n" : "]\n", stdout) == EOF)
        l.failed = 1;
    if (fflush(stdout) == EOF || l.failed) {
        fprintf(stderr, "%s: writing the listing: %s\n", progname, strerror(errno));
        return EX_IOERR;
    }
    if (st != CM_OK) {
        fprintf(stderr, "%s: %s\n", progname, err);
        return EX_TEMPFAIL;
    }
    return l.until != 0 && l.shown > 0 ? 1 : EX_OK;
}
