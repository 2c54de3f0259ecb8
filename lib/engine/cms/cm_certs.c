/* cm_certs - the S/MIME recipients' certificates: load and index. */
#include "cm_certs.h"
#include "cm_file.h"
#include "cm_idn.h"
#include "cm_log.h"
#include "cm_x509.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <sys/stat.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

/* The largest certificate file read (a bundle such as ca-certificates.crt
 * is a few hundred KiB). */
#define CERT_MAX_FILE (64L * 1024 * 1024)

typedef struct cert_entry {
    char *addr;             /* lower case */
    X509 *x;                /* a reference of its own */
    int64_t not_before, not_after;
} cert_entry;

struct cm_certs {
    cm_snapshot_obj snap;   /* first: cm_certcache hands out &c->snap */
    cert_entry *v;
    size_t n, cap;
    size_t ncerts, nskipped;
};

void cm_certs_put(cm_certs *c)
{
    size_t i;

    if (c == NULL || !cm_snapshot_obj_drop(&c->snap))
        return;
    for (i = 0; i < c->n; i++) {
        free(c->v[i].addr);
        X509_free(c->v[i].x);
    }
    free(c->v);
    free(c);
}

size_t cm_certs_count(const cm_certs *c)
{
    return c->ncerts;
}

size_t cm_certs_skipped(const cm_certs *c)
{
    return c->nskipped;
}

cm_stat cm_certs_list(const cm_certs *c, int64_t now, cm_keyinfo_fn fn, void *arg)
{
    char id[1024];
    size_t i;

    for (i = 0; i < c->n; i++) {
        const cert_entry *e = &c->v[i];
        cm_keyinfo ki = {e->addr, id, e->not_after, CM_KEY_USABLE};

        if (cm_x509_issuer_serial(e->x, id, sizeof(id)) < 0)
            return CM_ERR_NOMEM;
        if (e->not_after <= now)
            ki.state = CM_KEY_EXPIRED;
        if (fn(arg, &ki) != 0)
            break;
    }
    return CM_OK;
}

const char *cm_certs_unusable(X509 *x)
{
    EVP_PKEY *pk = X509_get0_pubkey(x);
    uint32_t ku = X509_get_key_usage(x), xku = X509_get_extended_key_usage(x);
    int type;

    if (pk == NULL)
        return "public key not readable";
    type = EVP_PKEY_get_base_id(pk);
    if (type != EVP_PKEY_RSA && type != EVP_PKEY_EC)
        return "neither an RSA nor an EC key";
    /* X509_get_key_usage is UINT32_MAX when the extension is absent. */
    if (type == EVP_PKEY_RSA && !(ku & KU_KEY_ENCIPHERMENT))
        return "key usage does not allow key encipherment";
    if (type == EVP_PKEY_EC && !(ku & KU_KEY_AGREEMENT))
        return "key usage does not allow key agreement";
    if (!(xku & (XKU_SMIME | XKU_ANYEKU)))
        return "extended key usage does not include email protection";
    return NULL;
}

static int add_entry(cm_certs *c, const unsigned char *addr, int len, X509 *x, int64_t nb,
                     int64_t na)
{
    cert_entry *e;
    int i;

    if (len <= 0 || memchr(addr, 0, (size_t) len) != NULL)
        return 0;           /* no address, or one with a NUL in it: never matches */
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 16;

        if (cap > SIZE_MAX / sizeof(*c->v) || (e = realloc(c->v, cap * sizeof(*e))) == NULL)
            return -1;
        c->v = e;
        c->cap = cap;
    }
    e = &c->v[c->n];
    if ((e->addr = malloc((size_t) len + 1)) == NULL)
        return -1;
    for (i = 0; i < len; i++)
        e->addr[i] = (char) (addr[i] >= 'A' && addr[i] <= 'Z' ? addr[i] + 32 : addr[i]);
    e->addr[len] = 0;
    if (cm_idn_fold_heap(&e->addr) < 0 || X509_up_ref(x) != 1) {
        free(e->addr);
        return -1;
    }
    e->x = x;
    e->not_before = nb;
    e->not_after = na;
    c->n++;
    return 0;
}

typedef struct index_arg {
    cm_certs *c;
    X509 *x;
    int64_t nb, na;
} index_arg;

static int index_one(void *arg, const unsigned char *addr, int len)
{
    index_arg *a = arg;

    return add_entry(a->c, addr, len, a->x, a->nb, a->na);
}

/* Index x under its email addresses (cm_x509). 1 indexed, 0 skipped (why
 * logged), -1 no memory. */
static int index_cert(cm_certs *c, X509 *x, const char *file)
{
    const char *why = cm_certs_unusable(x);
    index_arg a = {c, x, 0, 0};
    size_t before = c->n;

    if (why == NULL && (cm_x509_time(X509_get0_notBefore(x), &a.nb) < 0
                        || cm_x509_time(X509_get0_notAfter(x), &a.na) < 0))
        why = "validity dates not readable";
    if (why == NULL && cm_x509_each_email(x, index_one, &a) < 0)
        return -1;
    if (why == NULL && c->n == before)
        why = "no email address";
    if (why != NULL) {
        cm_log_info("CertificateDir: %s: a certificate skipped: %s", file, why);
        return 0;
    }
    return 1;
}

/* Every certificate of one PEM file. CM_OK (a file that is not all
 * certificates is logged and skipped), CM_ERR_CERTS if it cannot be read,
 * CM_ERR_NOMEM. */
static cm_stat load_file(cm_certs *c, const char *path)
{
    struct stat sb;
    size_t len;
    char *data;
    BIO *b;
    X509 *x;
    int n = 0, r = cm_file_read(path, CERT_MAX_FILE, &data, &len, &sb);
    unsigned long err;

    /* Read as every file the administrator hands the gateway is (cm_file):
     * never waiting on one that became a FIFO since the listing. */
    if (r == -2) {
        cm_log_warn("CertificateDir: %s: not a regular file, skipped", path);
        c->nskipped++;
        return CM_OK;
    }
    if (r < 0) {
        /* Gone since the listing: the directory changed, and the next
         * look reads it again. Anything else would hide a recipient's
         * certificate, and make its mail look keyless. */
        if (errno == ENOENT)
            return CM_OK;
        cm_log_errno("CertificateDir: %s", path);
        return errno == ENOMEM ? CM_ERR_NOMEM : CM_ERR_CERTS;
    }
    ERR_clear_error();
    if (len > INT_MAX || (b = BIO_new_mem_buf(data, (int) len)) == NULL) {
        free(data);
        ERR_clear_error();
        return CM_ERR_NOMEM;
    }
    while (r >= 0 && (x = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL) {
        n++;
        if ((r = index_cert(c, x, path)) > 0)
            c->ncerts++;
        X509_free(x);
    }
    BIO_free(b);
    free(data);
    err = ERR_peek_last_error();
    ERR_clear_error();
    if (r < 0)
        return CM_ERR_NOMEM;
    /* The loop ends at the file's end (no further PEM start line), or at a
     * certificate that does not parse. */
    if (n == 0 || !(ERR_GET_LIB(err) == ERR_LIB_PEM && ERR_GET_REASON(err) == PEM_R_NO_START_LINE)) {
        cm_log_warn("CertificateDir: %s: %s, skipped%s", path,
                    n == 0 ? "no PEM certificate" : "a certificate cannot be parsed",
                    n > 0 ? " after the ones before it" : "");
        c->nskipped++;
    }
    return CM_OK;
}

cm_stat cm_certs_read_one(const char *path, int64_t now, X509 **out, cm_keyinfo *info)
{
    struct stat sb;
    size_t len;
    char *data;
    BIO *b;
    int64_t nb = 0, na = 0;
    int r = cm_file_read(path, CERT_MAX_FILE, &data, &len, &sb);

    *out = NULL;
    info->state = CM_KEY_MISSING;
    info->expires = 0;
    if (r == -2) {
        cm_log_warn("EncryptToSelf: %s: not a regular file", path);
        return CM_OK;
    }
    if (r < 0) {
        if (errno == ENOMEM)
            return CM_ERR_NOMEM;
        cm_log_errno("EncryptToSelf: %s", path);
        return CM_OK;
    }
    ERR_clear_error();
    if (len > INT_MAX || (b = BIO_new_mem_buf(data, (int) len)) == NULL) {
        free(data);
        return CM_ERR_NOMEM;
    }
    *out = PEM_read_bio_X509(b, NULL, NULL, NULL);
    BIO_free(b);
    free(data);
    ERR_clear_error();
    if (*out == NULL) {
        cm_log_warn("EncryptToSelf: %s: no PEM certificate", path);
        return CM_OK;
    }
    if (cm_x509_time(X509_get0_notBefore(*out), &nb) < 0
        || cm_x509_time(X509_get0_notAfter(*out), &na) < 0 || cm_certs_unusable(*out) != NULL)
        info->state = CM_KEY_NO_ENCRYPTION;
    else
        info->state = nb > now || na <= now ? CM_KEY_EXPIRED : CM_KEY_USABLE;
    info->expires = na;
    return CM_OK;
}

static int by_addr_newest(const void *a, const void *b)
{
    const cert_entry *x = a, *y = b;
    int r = strcmp(x->addr, y->addr);

    if (r != 0)
        return r;
    return x->not_before > y->not_before ? -1 : x->not_before < y->not_before;
}

cm_stat cm_certs_load(const char *dir, cm_certs **out)
{
    cm_certs *c = calloc(1, sizeof(*c));
    DIR *d;
    struct dirent *de;
    struct stat sb;
    char path[4096];
    cm_stat st = CM_OK;

    *out = NULL;
    if (c == NULL)
        return CM_ERR_NOMEM;
    cm_snapshot_obj_init(&c->snap);
    if ((d = opendir(dir)) == NULL) {
        cm_log_errno("CertificateDir %s", dir);
        cm_certs_put(c);
        return CM_ERR_CERTS;
    }
    errno = 0;
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        if ((size_t) snprintf(path, sizeof(path), "%s/%s", dir, de->d_name) >= sizeof(path)) {
            cm_log_error("CertificateDir: %s/%s: path too long", dir, de->d_name);
            st = CM_ERR_CERTS;
        } else if (stat(path, &sb) < 0) {
            /* As for a file that cannot be opened (load_file). */
            if (errno != ENOENT) {
                cm_log_errno("CertificateDir: %s", path);
                st = CM_ERR_CERTS;
            }
        } else if (S_ISREG(sb.st_mode)) {
            /* Regular files, and symbolic links to them (/etc/ssl/certs). */
            st = load_file(c, path);
        }
        if (st != CM_OK) {
            closedir(d);
            cm_certs_put(c);
            return st;
        }
        errno = 0;
    }
    if (errno != 0) {
        cm_log_errno("CertificateDir %s: reading the directory", dir);
        closedir(d);
        cm_certs_put(c);
        return CM_ERR_CERTS;
    }
    closedir(d);
    if (c->n > 0)
        qsort(c->v, c->n, sizeof(*c->v), by_addr_newest);
    *out = c;
    return CM_OK;
}

X509 *cm_certs_find(const cm_certs *c, const char *addr, int64_t now)
{
    size_t lo = 0, hi = c->n, i;

    /* The first entry not below addr (entries are lower case). */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;

        if (strcasecmp(c->v[mid].addr, addr) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (i = lo; i < c->n && strcasecmp(c->v[i].addr, addr) == 0; i++)
        if (c->v[i].not_before <= now && now <= c->v[i].not_after)
            return c->v[i].x;
    return NULL;
}
