/* cm_certcache - CertificateDir loaded once, and again when it changes.
 *
 * An administrator adds a certificate by copying a file in, or replaces
 * one by copying over it; the second leaves the directory's own times
 * alone. So the cache sums up every entry (name, inode, size, times) and
 * compares that: at once when the directory itself changed, otherwise at
 * most once a second, so a busy gateway does not list the directory for
 * every message. */
#include "cm_certs.h"
#include "cm_log.h"

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>

#define RESCAN_NS 1000000000LL

struct cm_certcache {
    pthread_mutex_t mu;
    char *dir;              /* what cur was loaded from */
    uint64_t gen;           /* the serial of the configuration it was loaded for */
    struct stat dst;        /* the directory, when last summed */
    uint64_t sum;
    int64_t scanned;        /* monotonic ns of the last sum */
    cm_certs *cur;
};

cm_certcache *cm_certcache_new(void)
{
    cm_certcache *cc = calloc(1, sizeof(*cc));

    if (cc != NULL && pthread_mutex_init(&cc->mu, NULL) != 0) {
        free(cc);
        return NULL;
    }
    return cc;
}

void cm_certcache_free(cm_certcache *cc)
{
    if (cc == NULL)
        return;
    cm_certs_put(cc->cur);
    free(cc->dir);
    pthread_mutex_destroy(&cc->mu);
    free(cc);
}

static int64_t mono_ns(void)
{
    struct timespec ts;

    (void) clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;

    while (n--)
        h = (h ^ *b++) * 0x100000001b3ULL;
    return h;
}

static uint64_t fnv_stat(uint64_t h, const struct stat *st)
{
    int64_t v[6] = {(int64_t) st->st_ino, (int64_t) st->st_size, st->st_mtim.tv_sec,
                    st->st_mtim.tv_nsec, st->st_ctim.tv_sec, st->st_ctim.tv_nsec};

    return fnv(h, v, sizeof(v));
}

/* Sum up the directory's entries, in whatever order readdir gives (an
 * order change is a change: a reload too many, never one too few). */
static cm_stat sum_dir(const char *dir, uint64_t *sum)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    DIR *d = opendir(dir);
    struct dirent *de;
    struct stat st;
    char path[4096];

    if (d == NULL) {
        cm_log_errno("CertificateDir %s", dir);
        return CM_ERR_CERTS;
    }
    errno = 0;
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        h = fnv(h, de->d_name, strlen(de->d_name) + 1);
        if ((size_t) snprintf(path, sizeof(path), "%s/%s", dir, de->d_name) < sizeof(path)
            && stat(path, &st) == 0)
            h = fnv_stat(h, &st);
        errno = 0;
    }
    if (errno != 0) {
        cm_log_errno("CertificateDir %s: reading the directory", dir);
        closedir(d);
        return CM_ERR_CERTS;
    }
    closedir(d);
    *sum = h;
    return CM_OK;
}

static int same_stat(const struct stat *a, const struct stat *b)
{
    return a->st_dev == b->st_dev && a->st_ino == b->st_ino
           && a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec
           && a->st_ctim.tv_sec == b->st_ctim.tv_sec && a->st_ctim.tv_nsec == b->st_ctim.tv_nsec;
}

static cm_stat refresh(cm_certcache *cc, const char *dir, uint64_t gen)
{
    int same_dir = cc->cur != NULL && strcmp(cc->dir, dir) == 0 && cc->gen == gen;
    int64_t now = mono_ns();
    struct stat dst;
    uint64_t sum;
    cm_certs *c;
    char *copy;
    cm_stat st;

    if (stat(dir, &dst) < 0) {
        cm_log_errno("CertificateDir %s", dir);
        return CM_ERR_CERTS;
    }
    if (same_dir && same_stat(&dst, &cc->dst) && now - cc->scanned < RESCAN_NS)
        return CM_OK;
    if ((st = sum_dir(dir, &sum)) != CM_OK)
        return st;
    if (same_dir && sum == cc->sum) {
        cc->scanned = now;
        cc->dst = dst;
        return CM_OK;
    }
    if ((copy = strdup(dir)) == NULL)
        return CM_ERR_NOMEM;
    if ((st = cm_certs_load(dir, &c)) != CM_OK) {
        free(copy);
        return st;
    }
    cm_log_info("CertificateDir %s: %zu certificates loaded, %zu files skipped", dir,
                cm_certs_count(c), cm_certs_skipped(c));
    cm_certs_put(cc->cur);
    free(cc->dir);
    cc->cur = c;
    cc->dir = copy;
    cc->gen = gen;
    cc->sum = sum;
    /* Only now: after a failed load the next look tries again, and does
     * not take the old snapshot for what the directory holds. */
    cc->scanned = now;
    cc->dst = dst;
    return CM_OK;
}

cm_stat cm_certcache_get(cm_certcache *cc, const char *dir, uint64_t gen, cm_certs **out)
{
    cm_stat st;

    *out = NULL;
    if (pthread_mutex_lock(&cc->mu) != 0)
        return CM_ERR_INTERNAL;
    if ((st = refresh(cc, dir, gen)) == CM_OK)
        *out = cm_certs_ref(cc->cur);
    (void) pthread_mutex_unlock(&cc->mu);
    return st;
}
