/* cm_confhold - reference-counted configuration snapshots. */
#include "cm_confhold.h"

#include <pthread.h>
#include <stdlib.h>

typedef struct snap {
    cm_config *cfg;
    size_t refs;
    struct snap *next;
} snap;

struct cm_confhold {
    pthread_mutex_t lock;
    snap *list;                 /* current first, then retired but held */
    unsigned generation;
};

static snap *snap_new(cm_config *cfg)
{
    snap *s = calloc(1, sizeof(*s));

    if (s != NULL)
        s->cfg = cfg;
    return s;
}

cm_confhold *cm_confhold_new(cm_config *cfg)
{
    cm_confhold *h = calloc(1, sizeof(*h));

    if (h == NULL || (h->list = snap_new(cfg)) == NULL
        || pthread_mutex_init(&h->lock, NULL) != 0) {
        if (h != NULL)
            free(h->list);
        free(h);
        cm_config_free(cfg);
        return NULL;
    }
    h->generation = 1;
    return h;
}

void cm_confhold_free(cm_confhold *h)
{
    snap *s, *next;

    if (h == NULL)
        return;
    for (s = h->list; s != NULL; s = next) {
        next = s->next;
        cm_config_free(s->cfg);
        free(s);
    }
    (void) pthread_mutex_destroy(&h->lock);
    free(h);
}

/* The lock only fails on misuse (an uninitialised or freed holder). */
static void lock(cm_confhold *h)
{
    if (pthread_mutex_lock(&h->lock) != 0)
        abort();
}

static void unlock(cm_confhold *h)
{
    if (pthread_mutex_unlock(&h->lock) != 0)
        abort();
}

const cm_config *cm_confhold_get(cm_confhold *h)
{
    const cm_config *cfg;

    lock(h);
    h->list->refs++;
    cfg = h->list->cfg;
    unlock(h);
    return cfg;
}

/* Free the retired snapshots nobody holds. Called locked. */
static void sweep(cm_confhold *h)
{
    snap **pp = &h->list->next, *s;

    while ((s = *pp) != NULL) {
        if (s->refs == 0) {
            *pp = s->next;
            cm_config_free(s->cfg);
            free(s);
        } else {
            pp = &s->next;
        }
    }
}

void cm_confhold_put(cm_confhold *h, const cm_config *cfg)
{
    snap *s;

    if (cfg == NULL)
        return;
    lock(h);
    for (s = h->list; s != NULL && s->cfg != cfg; s = s->next)
        ;
    if (s == NULL || s->refs == 0)
        abort();                /* not held: a bug, not a condition */
    s->refs--;
    sweep(h);
    unlock(h);
}

unsigned cm_confhold_set(cm_confhold *h, cm_config *cfg)
{
    snap *s = snap_new(cfg);
    unsigned gen;

    if (s == NULL) {
        cm_config_free(cfg);
        return 0;
    }
    lock(h);
    s->next = h->list;
    h->list = s;
    gen = ++h->generation;
    sweep(h);
    unlock(h);
    return gen;
}

size_t cm_confhold_count(cm_confhold *h)
{
    size_t n = 0;
    snap *s;

    lock(h);
    for (s = h->list; s != NULL; s = s->next)
        n++;
    unlock(h);
    return n;
}
