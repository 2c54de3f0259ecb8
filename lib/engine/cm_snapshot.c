/* cm_snapshot - the current snapshot of what some files hold. */
#include "cm_snapshot.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The keyring caches' reloads, process-wide (cm_snapshot_keyring). */
static atomic_uint_fast64_t keyring_reloads;
static atomic_int_fast64_t keyring_loaded;

struct cm_snapshot {
    pthread_mutex_t lock;
    const cm_snapshot_ops *ops;
    cm_snapshot_obj *cur;       /* the one loaded last (the cache's reference), or NULL */
    char *name;                 /* what cur was loaded for (NULL: no name) */
    cm_snapshot_stamp stamp;    /* what cur was read from */
};

void cm_snapshot_file_of(const struct stat *st, cm_snapshot_file *f)
{
    memset(f, 0, sizeof(*f));
    f->dev = st->st_dev;
    f->ino = st->st_ino;
    f->size = st->st_size;
    f->mtim = st->st_mtim;
    f->ctim = st->st_ctim;
}

int cm_snapshot_file_stat(const char *path, cm_snapshot_file *f)
{
    struct stat st;

    memset(f, 0, sizeof(*f));
    if (stat(path, &st) == 0) {
        cm_snapshot_file_of(&st, f);
        return 0;
    }
    return errno == ENOENT ? 0 : -1;
}

int cm_snapshot_file_eq(const cm_snapshot_file *a, const cm_snapshot_file *b)
{
    return a->dev == b->dev && a->ino == b->ino && a->size == b->size
        && a->mtim.tv_sec == b->mtim.tv_sec && a->mtim.tv_nsec == b->mtim.tv_nsec
        && a->ctim.tv_sec == b->ctim.tv_sec && a->ctim.tv_nsec == b->ctim.tv_nsec;
}

void cm_snapshot_obj_init(cm_snapshot_obj *o)
{
    atomic_init(&o->refs, 1);
}

void cm_snapshot_obj_hold(cm_snapshot_obj *o)
{
    atomic_fetch_add(&o->refs, 1);
}

int cm_snapshot_obj_drop(cm_snapshot_obj *o)
{
    return atomic_fetch_sub(&o->refs, 1) == 1;
}

static int stamp_eq(const cm_snapshot_stamp *a, const cm_snapshot_stamp *b)
{
    size_t i;

    if (a->gen != b->gen || a->sum != b->sum)
        return 0;
    for (i = 0; i < CM_SNAPSHOT_FILES; i++)
        if (!cm_snapshot_file_eq(&a->file[i], &b->file[i]))
            return 0;
    return 1;
}

static int same_name(const char *a, const char *b)
{
    return a == NULL ? b == NULL : b != NULL && strcmp(a, b) == 0;
}

cm_snapshot *cm_snapshot_new(const cm_snapshot_ops *ops)
{
    cm_snapshot *c = calloc(1, sizeof(*c));

    if (c == NULL)
        return NULL;
    if (pthread_mutex_init(&c->lock, NULL) != 0) {
        free(c);
        return NULL;
    }
    c->ops = ops;
    return c;
}

void cm_snapshot_free(cm_snapshot *c)
{
    if (c == NULL)
        return;
    if (c->cur != NULL)
        c->ops->put(c->cur);
    free(c->name);
    (void) pthread_mutex_destroy(&c->lock);
    free(c);
}

/* Load src anew into the cache (under its lock), now being the stamp just
 * taken; *old gets the snapshot it replaced, for the caller to drop once
 * the lock is released. */
static cm_stat reload(cm_snapshot *c, const char *name, const void *src,
                      const cm_snapshot_stamp *held, const cm_snapshot_stamp *now,
                      cm_snapshot_obj **old)
{
    cm_snapshot_stamp stamp = *now;
    cm_snapshot_obj *o = NULL;
    char *copy = NULL;
    cm_stat st;

    if (name != NULL && (copy = strdup(name)) == NULL)
        return CM_ERR_NOMEM;
    if ((st = c->ops->load(src, held, &o, &stamp)) != CM_OK) {
        free(copy);
        return st;
    }
    *old = c->cur;
    free(c->name);
    c->cur = o;
    c->name = copy;
    c->stamp = stamp;
    if (c->ops->keyring) {
        atomic_store(&keyring_loaded, (int_fast64_t) time(NULL));
        if (*old != NULL)
            atomic_fetch_add(&keyring_reloads, 1);
    }
    return CM_OK;
}

cm_stat cm_snapshot_get(cm_snapshot *c, const char *name, const void *src, cm_snapshot_obj **out)
{
    const cm_snapshot_stamp *held;
    cm_snapshot_stamp now;
    cm_snapshot_obj *old = NULL;
    cm_stat st;

    *out = NULL;
    if (pthread_mutex_lock(&c->lock) != 0)
        return CM_ERR_INTERNAL;
    held = c->cur != NULL && same_name(c->name, name) ? &c->stamp : NULL;
    memset(&now, 0, sizeof(now));
    st = c->ops->stamp(src, held, &now);
    if (st == CM_OK && held != NULL && stamp_eq(held, &now))
        c->stamp = now;         /* the same; what is not compared moves on */
    else if (st == CM_OK)
        st = reload(c, name, src, held, &now, &old);
    if (st == CM_OK) {
        cm_snapshot_obj_hold(c->cur);
        *out = c->cur;
    }
    (void) pthread_mutex_unlock(&c->lock);
    if (old != NULL)
        c->ops->put(old);
    return st;
}

void cm_snapshot_keyring(uint64_t *reloads, int64_t *loaded)
{
    *reloads = atomic_load(&keyring_reloads);
    *loaded = atomic_load(&keyring_loaded);
}
