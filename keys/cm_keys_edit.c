/* cm_keys_edit - import, remove, disable, enable (see the header). */
#include "cm_keys_edit.h"
#include "cm_keys_import.h"
#include "cm_keystore.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

/* The most a key file may hold (a keyring export of a large site). */
#define IMPORT_MAX (64UL * 1024 * 1024)

static const char *progname = "cryptmilter-keys";

void cm_keys_edit_print(void *arg, const cm_keychange *c)
{
    fprintf((FILE *) arg, "%s %s %s %s\n", c->cls, c->id, *c->addrs ? c->addrs : "-", c->change);
}

int cm_keys_exit_of(int st)
{
    switch ((cm_stat) st) {
    case CM_OK: return EX_OK;
    case CM_BAD_INPUT: return EX_DATAERR;
    case CM_ERR_CONFIG: return EX_CONFIG;
    case CM_ERR_GATEWAY_KEY: return EX_CANTCREAT;  /* no GatewayCertificates file free */
    default: return EX_TEMPFAIL;
    }
}

int cm_keys_edit_finish(cm_stat st, const char *err)
{
    if (fflush(stdout) == EOF) {
        fprintf(stderr, "%s: writing: %s\n", progname, strerror(errno));
        return st == CM_OK ? EX_IOERR : cm_keys_exit_of(st);
    }
    if (st != CM_OK)
        fprintf(stderr, "%s: %s\n", progname, err);
    return cm_keys_exit_of(st);
}

int cm_keys_import_buf(const cm_config *cfg, const void *p, size_t n, int gateway, uid_t uid,
                      gid_t gid, FILE *out)
{
    char err[1024];
    cm_stat st = cm_keystore_import(cfg, p, n, gateway ? CM_KEYSTORE_GATEWAY : 0, uid, gid,
                                    cm_keys_edit_print, out, err, sizeof(err));

    /* Not signalled from here: the administrator reloads when the
     * configuration names the file (a new one may be listed first). */
    if (st == CM_OK && gateway && cm_keystore_kind_of(p, n) == CM_KEYSTORE_X509)
        fprintf(stderr, "%s: the daemon reads it when it reloads (systemctl reload cryptmilter, "
                "or SIGHUP)\n", progname);
    return cm_keys_edit_finish(st, err);
}

/* All of fp into *buf (heap). 0, or -1 with errno (EFBIG over IMPORT_MAX). */
static int slurp(FILE *fp, char **buf, size_t *len)
{
    size_t cap = 0, n;
    char *b = NULL, *nb;

    *len = 0;
    for (;;) {
        if (*len == cap) {
            if (cap >= IMPORT_MAX || (nb = realloc(b, cap = cap ? 2 * cap : 65536)) == NULL) {
                free(b);
                if (cap >= IMPORT_MAX)
                    errno = EFBIG;
                return -1;
            }
            b = nb;
        }
        n = fread(b + *len, 1, cap - *len, fp);
        *len += n;
        if (n == 0)
            break;
    }
    if (ferror(fp)) {
        free(b);
        return -1;
    }
    *buf = b;
    return 0;
}

int cm_keys_edit_read(const char *file, char **buf, size_t *len)
{
    FILE *fp = strcmp(file, "-") == 0 ? stdin : fopen(file, "rb");
    int e;

    if (fp == NULL || slurp(fp, buf, len) < 0) {
        e = errno;
        fprintf(stderr, "%s: %s: %s\n", progname, file, strerror(e));
        if (fp != NULL && fp != stdin)
            fclose(fp);
        return e == EFBIG || e == ENOENT ? EX_DATAERR : EX_NOINPUT;
    }
    if (fp != stdin)
        fclose(fp);
    return EX_OK;
}

int cm_keys_edit_remove(const cm_config *cfg, const char *what)
{
    char err[1024];
    cm_stat st = cm_keystore_remove(cfg, what, cm_keys_edit_print, stdout, err,
                                    sizeof(err));

    return cm_keys_edit_finish(st, err);
}

int cm_keys_edit_disable(const cm_config *cfg, const char *fpr, int disabled)
{
    char err[1024];
    cm_stat st = cm_keystore_set_disabled(cfg, fpr, disabled, cm_keys_edit_print, stdout, err,
                                          sizeof(err));

    return cm_keys_edit_finish(st, err);
}
