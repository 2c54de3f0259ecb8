/* cm_certsync - keysync's CertificateDir (see the header). */
#include "cm_certsync.h"
#include "cm_log.h"
#include "cm_x509.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int any_email(void *arg, const unsigned char *addr, int len)
{
    (void) arg;
    (void) addr;
    return len > 0;
}

/* x as dir/<fpr>.pem; a certificate given twice is written once. 0, 1
 * (already there), or -1 with errno. */
static int write_pem(const char *dir, X509 *x)
{
    char fpr[CM_FPR_MAX + 1], path[4096];
    FILE *fp;
    int fd, n, ok;

    if (cm_x509_fpr(x, fpr) < 0) {
        errno = ENOMEM;
        return -1;
    }
    n = snprintf(path, sizeof(path), "%s/%s.pem", dir, fpr);
    if (n < 0 || (size_t) n >= sizeof(path)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644)) < 0)
        return errno == EEXIST ? 1 : -1;
    if ((fp = fdopen(fd, "w")) == NULL) {
        (void) close(fd);
        return -1;
    }
    ok = PEM_write_X509(fp, x) == 1;
    ok = fflush(fp) == 0 && ok && fsync(fd) == 0;
    if (fclose(fp) != 0 || !ok) {
        errno = errno ? errno : EIO;
        return -1;
    }
    return 0;
}

cm_stat cm_certsync_write(const char *dir, const cm_keyblob *v, size_t n, cm_rebuild_report *rep,
                          char *err, size_t errlen)
{
    size_t i;

    memset(rep, 0, sizeof(*rep));
    for (i = 0; i < n; i++) {
        const unsigned char *p = v[i].p;
        X509 *x = d2i_X509(NULL, &p, (long) v[i].n);
        int r;

        if (x == NULL || p != (const unsigned char *) v[i].p + v[i].n
            || cm_x509_each_email(x, any_email, NULL) != 1) {
            cm_log_warn("keysync: %s: not a certificate with an email address", v[i].origin);
            rep->rejected++;
            X509_free(x);
            continue;
        }
        r = write_pem(dir, x);
        X509_free(x);
        if (r < 0) {
            snprintf(err, errlen, "%s: %s", dir, strerror(errno));
            return errno == ENOMEM ? CM_ERR_NOMEM : CM_ERR_CERTS;
        }
        rep->keys += r == 0;
    }
    return CM_OK;
}
