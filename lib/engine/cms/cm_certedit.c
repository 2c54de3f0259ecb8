/* cm_certedit - cryptmilter-keys' changes to CertificateDir (see the
 * header). */
#include "cm_certedit.h"
#include "cm_buf.h"
#include "cm_file.h"
#include "cm_x509.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>

#define CERT_MAX_FILE (64L * 1024 * 1024)

static int add_addr(void *arg, const unsigned char *addr, int len)
{
    cm_buf *b = arg;
    int i;

    if (cm_buf_str(b)[0] != 0 && cm_buf_putc(b, ',') < 0)
        return -1;
    for (i = 0; i < len; i++)
        if (cm_buf_putc(b, addr[i] >= 'A' && addr[i] <= 'Z' ? addr[i] + 32 : addr[i]) < 0)
            return -1;
    return 0;
}

int cm_certedit_report(X509 *x, const char *cls, const char *change, cm_keychange_fn fn,
                       void *arg)
{
    char id[1024];
    cm_keychange c = {cls, id, "", change};
    cm_buf b;

    cm_buf_init(&b);
    if (cm_x509_issuer_serial(x, id, sizeof(id)) < 0 || cm_x509_each_email(x, add_addr, &b) < 0) {
        cm_buf_free(&b);
        return -1;
    }
    c.addrs = cm_buf_str(&b);
    fn(arg, &c);
    cm_buf_free(&b);
    return 0;
}

static int fill_cert(FILE *fp, void *x)
{
    return PEM_write_X509(fp, x) == 1 ? 0 : -1;
}

/* x as dir/<fpr>.pem, mode 0644, through a dot file beside it
 * (cm_file_replace): a reader sees no file or all of it. 0 written, 1
 * already there, -1 with errno. */
static int write_cert(const char *dir, X509 *x)
{
    char fpr[CM_FPR_MAX + 1], path[4096];

    if (cm_x509_fpr(x, fpr) < 0)
        return errno = ENOMEM, -1;
    if ((size_t) snprintf(path, sizeof(path), "%s/%s.pem", dir, fpr) >= sizeof(path))
        return errno = ENAMETOOLONG, -1;
    if (access(path, F_OK) == 0)
        return 1;
    return cm_file_replace(path, 0644, (uid_t) -1, (gid_t) -1, fill_cert, x);
}

/* The certificates in p: PEM (any number) or one DER. */
static cm_stat parse(const void *p, size_t n, STACK_OF(X509) **out, char *err, size_t errlen)
{
    STACK_OF(X509) *v = sk_X509_new_null();
    const unsigned char *d = p;
    X509 *x;
    BIO *b;

    *out = NULL;
    if (v == NULL || n > INT_MAX)
        return sk_X509_free(v), snprintf(err, errlen, "out of memory"), CM_ERR_NOMEM;
    if (cm_certedit_pem_begins(p, n, "")) {
        if ((b = BIO_new_mem_buf(p, (int) n)) == NULL)
            return sk_X509_free(v), snprintf(err, errlen, "out of memory"), CM_ERR_NOMEM;
        while ((x = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL)
            if (!sk_X509_push(v, x))
                X509_free(x);
        BIO_free(b);
    } else if ((x = d2i_X509(NULL, &d, (long) n)) != NULL) {
        if (d != (const unsigned char *) p + n || !sk_X509_push(v, x)) {
            X509_free(x);
            sk_X509_pop_free(v, X509_free);
            return snprintf(err, errlen, "not one DER certificate"), CM_BAD_INPUT;
        }
    }
    ERR_clear_error();
    if (sk_X509_num(v) == 0) {
        sk_X509_free(v);
        return snprintf(err, errlen, "no certificate in it"), CM_BAD_INPUT;
    }
    *out = v;
    return CM_OK;
}

int cm_certedit_pem_begins(const void *p, size_t n, const char *label)
{
    static const char begin[] = "-----BEGIN ";
    size_t lb = sizeof(begin) - 1, ll = strlen(label);
    const char *s = p, *end = s + n;

    while (s != NULL && (size_t) (end - s) >= lb + ll) {
        if (memcmp(s, begin, lb) == 0 && memcmp(s + lb, label, ll) == 0)
            return 1;
        if ((s = memchr(s, '\n', (size_t) (end - s))) != NULL)
            s++;
    }
    return 0;
}

int cm_certedit_has_private_key(const void *p, size_t n)
{
    static const char mark[] = "PRIVATE KEY-----";
    const char *s = p;

    for (size_t i = 0; n >= sizeof(mark) - 1 && i <= n - (sizeof(mark) - 1); i++)
        if (s[i] == 'P' && memcmp(s + i, mark, sizeof(mark) - 1) == 0)
            return 1;
    return 0;
}

static int any_email(void *arg, const unsigned char *addr, int len)
{
    (void) arg;
    (void) addr;
    return len > 0;
}

cm_stat cm_certedit_import(const char *dir, const void *p, size_t n, cm_keychange_fn fn,
                           void *arg, char *err, size_t errlen)
{
    STACK_OF(X509) *v;
    cm_stat st;
    int i, r;

    if (cm_certedit_has_private_key(p, n))
        return snprintf(err, errlen, "it holds a private key: a recipient's key does not belong "
                        "on the gateway (give the certificate alone), and the gateway's own "
                        "goes in a GatewayCertificates file, 0600"), CM_BAD_INPUT;
    if ((st = parse(p, n, &v, err, errlen)) != CM_OK)
        return st;
    /* Every one is checked before any is written: all or nothing. */
    for (i = 0; i < sk_X509_num(v); i++)
        if ((r = cm_x509_each_email(sk_X509_value(v, i), any_email, NULL)) != 1) {
            sk_X509_pop_free(v, X509_free);
            if (r < 0)
                return snprintf(err, errlen, "out of memory"), CM_ERR_NOMEM;
            return snprintf(err, errlen, "certificate %d names no email address (the daemon "
                            "finds certificates by them)", i + 1), CM_BAD_INPUT;
        }
    for (i = 0; st == CM_OK && i < sk_X509_num(v); i++) {
        X509 *x = sk_X509_value(v, i);

        if ((r = write_cert(dir, x)) < 0)
            st = (snprintf(err, errlen, "%s: %s", dir, strerror(errno)), CM_ERR_CERTS);
        else if (cm_certedit_report(x, "smime", r == 0 ? "added" : "unchanged", fn, arg) < 0)
            st = (snprintf(err, errlen, "out of memory"), CM_ERR_NOMEM);
    }
    sk_X509_pop_free(v, X509_free);
    return st;
}

/* Does x answer to what: an address it names, or its SHA-256 fingerprint? */
static int matches(X509 *x, const char *what)
{
    char fpr[CM_FPR_MAX + 1];

    if (strchr(what, '@') != NULL)
        return cm_x509_has_email(x, what);
    return cm_x509_fpr(x, fpr) == 0 && strcasecmp(fpr, what) == 0;
}

/* One file of dir: unlinked if every certificate in it answers to what;
 * refused (CM_BAD_INPUT) if only some do. */
static cm_stat remove_file(const char *path, const char *what, cm_keychange_fn fn, void *arg,
                           size_t *removed, char *err, size_t errlen)
{
    STACK_OF(X509) *v = NULL;
    char *data;
    size_t len;
    struct stat sb;
    int i, hit = 0, r;
    cm_stat st;

    if ((r = cm_file_read(path, CERT_MAX_FILE, &data, &len, &sb)) < 0)
        return r == -2 || errno == ENOENT ? CM_OK
               : (snprintf(err, errlen, "%s: %s", path, strerror(errno)), CM_ERR_CERTS);
    st = cm_certedit_pem_begins(data, len, "") ? parse(data, len, &v, err, errlen) : CM_BAD_INPUT;
    free(data);
    if (st == CM_BAD_INPUT)
        return CM_OK;           /* not certificates: the daemon skips it too */
    for (i = 0; st == CM_OK && i < sk_X509_num(v); i++)
        if ((r = matches(sk_X509_value(v, i), what)) < 0)
            st = (snprintf(err, errlen, "out of memory"), CM_ERR_NOMEM);
        else
            hit += r;
    if (st == CM_OK && hit > 0 && hit < sk_X509_num(v))
        st = (snprintf(err, errlen, "%s holds other certificates too: edit it by hand", path),
              CM_BAD_INPUT);
    if (st == CM_OK && hit > 0 && unlink(path) < 0)
        st = (snprintf(err, errlen, "%s: %s", path, strerror(errno)), CM_ERR_CERTS);
    for (i = 0; st == CM_OK && hit > 0 && i < sk_X509_num(v); i++) {
        if (cm_certedit_report(sk_X509_value(v, i), "smime", "removed", fn, arg) < 0)
            st = (snprintf(err, errlen, "out of memory"), CM_ERR_NOMEM);
        (*removed)++;
    }
    sk_X509_pop_free(v, X509_free);
    return st;
}

cm_stat cm_certedit_remove(const char *dir, const char *what, cm_keychange_fn fn, void *arg,
                           size_t *removed, char *err, size_t errlen)
{
    DIR *d;
    struct dirent *de;
    char path[4096];
    cm_stat st = CM_OK;

    *removed = 0;
    if ((d = opendir(dir)) == NULL)
        return snprintf(err, errlen, "CertificateDir %s: %s", dir, strerror(errno)), CM_ERR_CERTS;
    while (st == CM_OK && (errno = 0, de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        if ((size_t) snprintf(path, sizeof(path), "%s/%s", dir, de->d_name) >= sizeof(path))
            st = (snprintf(err, errlen, "%s/%s: path too long", dir, de->d_name), CM_ERR_CERTS);
        else
            st = remove_file(path, what, fn, arg, removed, err, errlen);
    }
    if (st == CM_OK && errno != 0)
        st = (snprintf(err, errlen, "CertificateDir %s: %s", dir, strerror(errno)), CM_ERR_CERTS);
    closedir(d);
    if (st == CM_OK && *removed > 0 && cm_file_sync_dir(dir) < 0)
        st = (snprintf(err, errlen, "CertificateDir %s: %s", dir, strerror(errno)), CM_ERR_CERTS);
    return st;
}
