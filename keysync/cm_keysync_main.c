/* cryptmilter-keysync - KeyringDir's public keyring rebuilt from an LDAP
 * directory, for several gateways that must agree on the recipients' keys.
 * The keyring is made from scratch in a staging GnuPG home inside
 * KeyringDir (same file system), by gpg through the engine layer, checked
 * as the daemon checks it, and renamed over pubring.kbx (or pubring.gpg):
 * the daemon sees one file change and reloads. Then keysync.stamp is
 * renewed; KeyringMaxAge defers mail while it is old. With CertificateDir
 * set, the S/MIME certificates are written into a directory beside it and
 * the two exchanged in one step. A failure leaves the
 * keyring and the stamp as they were. Secret keys (private-keys-v1.d) are
 * never touched. Exit codes: sysexits.h. */
#include "cm_config.h"
#include "cm_engines.h"
#include "cm_keyring.h"
#include "cm_keysync_ldap.h"
#include "cm_keysync_stage.h"
#include "cm_log.h"
#include "cm_syncstamp.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_CONF "/etc/cryptmilter/cryptmilter.conf"

static const char *progname = "cryptmilter-keysync";

static void usage(FILE *fp)
{
    fprintf(fp,
            "usage: %s [-c CONF] [-n] [-v]\n"
            "       %s -V (print the version)\n"
            "  -c CONF  the configuration (default " DEFAULT_CONF ")\n"
            "  -n       build and check the keyring, but do not install it\n"
            "  -v       log at LogLevel (default: notices, warnings and errors)\n",
            progname, progname);
}

/* The directory's certificates into a staging directory beside
 * CertificateDir, loaded as the daemon loads them. 1, or 0 (logged). */
static int certs_built(const cm_config *cfg, cm_keysync_stage *stage, const cm_keysync_set *set,
                       cm_rebuild_report *rep)
{
    char err[1024];

    if (cm_keysync_stage_certdir(stage, cfg->certificate_dir, err, sizeof(err)) < 0
        || cm_engines_rebuild_certdir(stage->certs, set->certs, set->ncerts, rep, err,
                                      sizeof(err)) != CM_OK) {
        cm_log_error("rebuilding CertificateDir: %s", err);
        return 0;
    }
    return 1;
}

/* The directory's keys into a staging home, checked, renamed into place. */
static int sync_keyring(const cm_config *cfg, int dry_run)
{
    cm_keysync_set set;
    cm_keysync_stage stage;
    cm_rebuild_report rep, crep = {0, 0, 0, 0};
    cm_snapshot_file id;
    size_t nkeys = 0;
    char err[1024];
    cm_keyring_status ks;
    cm_stat st;
    int rc = EX_TEMPFAIL;

    if (cm_keysync_ldap_fetch(cfg, &set, err, sizeof(err)) < 0) {
        cm_log_error("directory %s: %s; keyring left as it is", cfg->keysync_uri, err);
        return EX_TEMPFAIL;
    }
    if (cm_keysync_stage_open(&stage, cfg->keyring_dir, err, sizeof(err)) < 0) {
        int busy = errno == EWOULDBLOCK;

        cm_log_error("%s", err);
        cm_keysync_ldap_free(&set);
        return busy ? EX_TEMPFAIL : EX_CANTCREAT;
    }
    st = cm_engines_rebuild_keyring(cfg, stage.dir, set.v, set.n, &rep, err, sizeof(err));
    if (st != CM_OK) {
        cm_log_error("rebuilding the keyring: %s", err);
        rc = st == CM_ERR_GATEWAY_KEY ? EX_CONFIG : EX_TEMPFAIL;
    } else if ((ks = cm_keyring_scan(stage.dir, &id, &nkeys, err, sizeof(err))) != CM_KEYRING_OK) {
        cm_log_error("the rebuilt keyring does not check: %s", err);
    } else if (nkeys != rep.keys) {
        cm_log_error("the rebuilt keyring holds %zu keys, gpg listed %zu", nkeys, rep.keys);
    } else if (cm_config_has_certs(cfg) && !certs_built(cfg, &stage, &set, &crep)) {
        /* logged */
    } else if (!dry_run && cm_keysync_stage_install(&stage, err, sizeof(err)) < 0) {
        cm_log_error("%s", err);
    } else if (!dry_run && cm_config_has_certs(cfg)
               && cm_keysync_stage_install_certdir(&stage, err, sizeof(err)) < 0) {
        cm_log_error("%s", err);
    } else if (!dry_run && cm_syncstamp_write(cfg->keyring_dir, (int64_t) time(NULL)) < 0) {
        cm_log_errno("%s/%s", cfg->keyring_dir, CM_SYNCSTAMP_NAME);
    } else {
        cm_log_notice("%s: %zu keys (%zu entries read, %zu not imported, %zu revoked left out,"
                      " %zu marked revoked or disabled, %zu gateway keys kept)%s",
                      cfg->keyring_dir, rep.keys, set.n, rep.rejected, rep.revoked, set.skipped,
                      rep.kept, dry_run ? "; -n: not installed" : "");
        if (cm_config_has_certs(cfg))
            cm_log_notice("%s: %zu certificates (%zu read, %zu not usable)%s",
                          cfg->certificate_dir, crep.keys, set.ncerts, crep.rejected,
                          dry_run ? "; -n: not installed" : "");
        rc = EX_OK;
    }
    cm_keysync_stage_close(&stage);
    cm_keysync_ldap_free(&set);
    return rc;
}

int main(int argc, char **argv)
{
    const char *conf = DEFAULT_CONF;
    int c, dry_run = 0, verbose = 0, rc;
    cm_config *cfg;
    char err[1024];

    while ((c = getopt(argc, argv, "c:nvhV")) != -1) {
        switch (c) {
        case 'c': conf = optarg; break;
        case 'n': dry_run = 1; break;
        case 'v': verbose = 1; break;
        case 'h': usage(stdout); return EX_OK;
        case 'V': printf("%s %s\n", progname, CM_VERSION); return EX_OK;
        default: usage(stderr); return EX_USAGE;
        }
    }
    if (optind != argc) {
        usage(stderr);
        return EX_USAGE;
    }
    cm_log_open(progname, 1);
    if ((cfg = cm_config_load(conf, err, sizeof(err))) == NULL) {
        fprintf(stderr, "%s: %s\n", progname, err);
        return EX_CONFIG;
    }
    cm_log_set_level(verbose ? cfg->log_level : LOG_NOTICE);
    if (!cm_config_has_keyring(cfg)) {
        fprintf(stderr, "%s: KeyringDir is none: nothing to synchronise\n", progname);
        rc = EX_CONFIG;
    } else {
        rc = sync_keyring(cfg, dry_run);
    }
    cm_config_free(cfg);
    cm_log_close();
    return rc;
}
