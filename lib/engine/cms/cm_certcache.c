/* cm_certcache - CertificateDir loaded once, and again when it changes.
 *
 * An administrator adds a certificate by copying a file in, or replaces
 * one by copying over it; the second leaves the directory's own times
 * alone. So the stamp sums up every entry (name, inode, size, times) and
 * compares that: summed at once when the directory itself changed,
 * otherwise at most once a second, so a busy gateway does not list the
 * directory for every message. The cache is a cm_snapshot. */
#include "cm_certs.h"
#include "cm_log.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>

#define RESCAN_NS 1000000000LL

/* What the cache is asked for: a directory under a configuration. */
typedef struct certdir {
    const char *dir;
    uint64_t gen;
} certdir;

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

/* gen and the sum are compared; the directory's own identity (quick) and
 * the time of the sum only say whether the held sum may be used again. */
static cm_stat dir_stamp(const void *src, const cm_snapshot_stamp *held, cm_snapshot_stamp *now)
{
    const certdir *cd = src;
    int64_t t = mono_ns();
    struct stat dst;

    if (stat(cd->dir, &dst) < 0) {
        cm_log_errno("CertificateDir %s", cd->dir);
        return CM_ERR_CERTS;
    }
    now->gen = cd->gen;
    cm_snapshot_file_of(&dst, &now->quick);
    if (held != NULL && held->gen == cd->gen && cm_snapshot_file_eq(&held->quick, &now->quick)
        && t - held->checked < RESCAN_NS) {
        now->sum = held->sum;
        now->checked = held->checked;
        return CM_OK;
    }
    now->checked = t;
    return sum_dir(cd->dir, &now->sum);
}

/* The stamp taken before the load is what it read (or older). */
static cm_stat dir_load(const void *src, const cm_snapshot_stamp *held, cm_snapshot_obj **obj,
                        cm_snapshot_stamp *stamp)
{
    const certdir *cd = src;
    cm_certs *c;
    cm_stat st;

    (void) held;
    (void) stamp;
    *obj = NULL;
    if ((st = cm_certs_load(cd->dir, &c)) != CM_OK)
        return st;
    cm_log_info("CertificateDir %s: %zu certificates loaded, %zu files skipped", cd->dir,
                cm_certs_count(c), cm_certs_skipped(c));
    *obj = (cm_snapshot_obj *) c;
    return CM_OK;
}

static void dir_put(cm_snapshot_obj *obj)
{
    cm_certs_put((cm_certs *) obj);
}

static const cm_snapshot_ops dir_ops = {.stamp = dir_stamp, .load = dir_load, .put = dir_put};

cm_certcache *cm_certcache_new(void)
{
    return cm_snapshot_new(&dir_ops);
}

void cm_certcache_free(cm_certcache *cc)
{
    cm_snapshot_free(cc);
}

cm_stat cm_certcache_get(cm_certcache *cc, const char *dir, uint64_t gen, cm_certs **out)
{
    const certdir cd = {dir, gen};
    cm_snapshot_obj *obj;
    cm_stat st = cm_snapshot_get(cc, dir, &cd, &obj);

    *out = (cm_certs *) obj;
    return st;
}
