/* cm_alias - KeyAliases: an alias encrypts to its members' keys. */
#include "cm_alias.h"
#include "cm_buf.h"
#include "cm_idn.h"
#include "cm_mapfile.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct entry {
    char *v[CM_ALIAS_MAX_MEMBERS + 1];  /* v[0] the alias, then its members */
    size_t n;                           /* members */
    size_t line;
} entry;

struct cm_alias {
    entry *v;
    size_t n;
};

/* local@domain, both parts there, one '@'. */
static int is_address(const char *s)
{
    const char *at = strchr(s, '@');

    return at != NULL && at != s && at[1] != 0 && at[1] != '.' && strchr(at + 1, '@') == NULL;
}

static int same(const char *a, const char *b)
{
    return cm_mapfile_eq(a, strlen(a), b, strlen(b));
}

static void entry_free(entry *e)
{
    size_t i;

    for (i = 0; i <= e->n; i++)
        free(e->v[i]);
}

static int check_words(char **tok, size_t ntok, char *err, size_t errlen)
{
    size_t i;

    if (ntok < 2)
        return snprintf(err, errlen, "alias \"%s\" has no members", tok[0]), -1;
    if (ntok - 1 > CM_ALIAS_MAX_MEMBERS)
        return snprintf(err, errlen, "alias \"%s\" has more than %d members", tok[0],
                        CM_ALIAS_MAX_MEMBERS), -1;
    for (i = 0; i < ntok; i++) {
        if (!is_address(tok[i]))
            return snprintf(err, errlen, "\"%s\" is not an address", tok[i]), -1;
        if (cm_mapfile_trailing_dot(tok[i], err, errlen) < 0)
            return -1;
    }
    return 0;
}

/* Repeats, compared in e's folded form; named as tok spells them. */
static int check_repeats(const cm_alias *a, const entry *e, char **tok, char *err, size_t errlen)
{
    size_t i, j;

    for (i = 1; i <= e->n; i++)
        for (j = 0; j < i; j++)
            if (same(e->v[i], e->v[j]))
                return snprintf(err, errlen, j == 0 ? "alias \"%s\" lists itself"
                                : "\"%s\" is listed twice", tok[i]), -1;
    for (i = 0; i < a->n; i++)
        if (same(a->v[i].v[0], e->v[0]))
            return snprintf(err, errlen, "alias \"%s\" is given twice (first on line %zu)", tok[0],
                            a->v[i].line), -1;
    return 0;
}

/* tok in the form domains are compared in (cm_idn_fold: an IDN domain as
 * its A-label, Unicode case folded), so an alias is found, and its members'
 * keys looked up, whichever form and case the file and the envelope use. */
static char *folded(const char *tok)
{
    char *f;
    int r = cm_idn_fold(tok, &f);

    return r == 1 ? f : r == -1 ? NULL : strdup(tok);
}

static int add_line(void *arg, size_t line, char **tok, size_t ntok, char *err, size_t errlen)
{
    cm_alias *a = arg;
    entry e, *nv;
    size_t i;

    if (check_words(tok, ntok, err, errlen) < 0)
        return -1;
    memset(&e, 0, sizeof(e));
    e.line = line;
    for (i = 0; i < ntok; i++)
        if ((e.v[i] = folded(tok[i])) == NULL)
            break;
    e.n = i > 0 ? i - 1 : 0;
    if (i < ntok) {
        entry_free(&e);
        return snprintf(err, errlen, "out of memory"), -1;
    }
    if (check_repeats(a, &e, tok, err, errlen) < 0) {
        entry_free(&e);
        return -1;
    }
    if ((nv = cm_array_resize(a->v, a->n + 1, sizeof(*nv))) == NULL) {
        entry_free(&e);
        return snprintf(err, errlen, "out of memory"), -1;
    }
    a->v = nv;
    a->v[a->n++] = e;
    return 0;
}

/* A member that is an alias itself is refused, so none loops. */
static int check_nesting(const cm_alias *a, const char *name, char *err, size_t errlen)
{
    size_t i, m, n;

    for (i = 0; i < a->n; i++)
        for (m = 1; m <= a->v[i].n; m++)
            if (cm_alias_find(a, a->v[i].v[m], &n) != NULL)
                return snprintf(err, errlen, "%s:%zu: member \"%s\" is an alias itself "
                                "(aliases do not nest)", name, a->v[i].line, a->v[i].v[m]), -1;
    return 0;
}

static cm_alias *finish(cm_alias *a, int r, const char *name, char *err, size_t errlen)
{
    if (r < 0 || check_nesting(a, name, err, errlen) < 0) {
        cm_alias_free(a);
        return NULL;
    }
    return a;
}

cm_alias *cm_alias_parse(const char *name, const char *text, size_t len, char *err,
                         size_t errlen)
{
    cm_alias *a = calloc(1, sizeof(*a));

    if (a == NULL) {
        snprintf(err, errlen, "%s: out of memory", name);
        return NULL;
    }
    return finish(a, cm_mapfile_parse(name, text, len, add_line, a, err, errlen), name, err,
                  errlen);
}

cm_alias *cm_alias_load(const char *value, char *err, size_t errlen)
{
    cm_alias *a = calloc(1, sizeof(*a));

    if (a == NULL) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    return finish(a, cm_mapfile_load(value, add_line, a, err, errlen), value + 5, err, errlen);
}

void cm_alias_free(cm_alias *a)
{
    size_t i;

    if (a == NULL)
        return;
    for (i = 0; i < a->n; i++)
        entry_free(&a->v[i]);
    free(a->v);
    free(a);
}

size_t cm_alias_count(const cm_alias *a)
{
    return a != NULL ? a->n : 0;
}

const char *const *cm_alias_find(const cm_alias *a, const char *addr, size_t *n)
{
    size_t i;

    *n = 0;
    for (i = 0; a != NULL && i < a->n; i++)
        if (same(a->v[i].v[0], addr)) {
            *n = a->v[i].n;
            return (const char *const *) &a->v[i].v[1];
        }
    return NULL;
}
