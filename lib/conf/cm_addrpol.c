/* cm_addrpol - EncryptionPolicy: per-address rules. */
#include "cm_addrpol.h"
#include "cm_buf.h"
#include "cm_idn.h"
#include "cm_mapfile.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef enum { K_SUB, K_DOMAIN, K_LOCAL, K_ADDR } kind;

typedef struct rule {
    char *pat;          /* lower-cased, without its '@' or '.' marker */
    size_t len;
    kind k;
    int action;
    size_t line;
} rule;

struct cm_addrpol {
    rule *v;
    size_t n;
};

static const char *const names[] = {
    "pass", "tempfail", "reject", "split", "never", "require", "require reject"
};

const char *cm_addrpol_action_name(int action)
{
    return action >= 0 && (size_t) action < sizeof(names) / sizeof(names[0]) ? names[action] : "?";
}

/* What kind of pattern p is, and where its text starts; -1 with the
 * reason. A domain part is never empty and never holds an '@'. */
static int pattern(const char *p, kind *k, const char **text, char *err, size_t errlen)
{
    const char *at = strchr(p, '@');

    if (*p == '.' || *p == '@') {
        *k = *p == '.' ? K_SUB : K_DOMAIN;
        *text = p + 1;
        if (**text == 0 || **text == '.' || strchr(*text, '@') != NULL)
            return snprintf(err, errlen, "\"%s\" is not a pattern", p), -1;
        return 0;
    }
    if (at == NULL)
        return snprintf(err, errlen, "\"%s\" is not a pattern (write @%s or .%s)", p, p, p), -1;
    if (strchr(at + 1, '@') != NULL || at[1] == '.')
        return snprintf(err, errlen, "\"%s\" is not an address", p), -1;
    *k = at[1] == 0 ? K_LOCAL : K_ADDR;
    *text = p;
    return 0;
}

/* The pattern text of kind k in the form domains are compared in
 * (cm_idn_fold): *out (heap), or NULL if it needs none. 0, -1, -2. */
static int folded(kind k, const char *text, char **out)
{
    int r;

    *out = NULL;
    if (k == K_LOCAL)
        return 0;       /* "local@": no domain */
    r = k == K_ADDR ? cm_idn_fold(text, out) : cm_idn_alabel(text, strlen(text), out);
    return r == 1 ? 0 : r;
}

static int action(char **tok, size_t ntok, int *out, char *err, size_t errlen)
{
    size_t i;

    if (ntok < 2)
        return snprintf(err, errlen, "\"%s\" has no action", tok[0]), -1;
    if (strcmp(tok[1], "require") == 0) {
        if (ntok > 3 || (ntok == 3 && strcmp(tok[2], "tempfail") != 0
                         && strcmp(tok[2], "reject") != 0))
            return snprintf(err, errlen, "require takes tempfail or reject, nothing else"), -1;
        *out = ntok == 3 && strcmp(tok[2], "reject") == 0 ? CM_ADDRPOL_REQUIRE_REJECT
               : CM_ADDRPOL_REQUIRE;
        return 0;
    }
    for (i = 0; i <= CM_ADDRPOL_NEVER; i++)
        if (strcmp(tok[1], names[i]) == 0) {
            if (ntok > 2)
                return snprintf(err, errlen, "\"%s\" after %s", tok[2], names[i]), -1;
            *out = (int) i;
            return 0;
        }
    return snprintf(err, errlen, "\"%s\" is not one of require, never, pass, tempfail, reject, "
                    "split", tok[1]), -1;
}

static int add_line(void *arg, size_t line, char **tok, size_t ntok, char *err, size_t errlen)
{
    cm_addrpol *p = arg;
    const char *text;
    rule r, *nv;
    size_t i;
    int a;

    if (pattern(tok[0], &r.k, &text, err, errlen) < 0
        || cm_mapfile_trailing_dot(tok[0], err, errlen) < 0
        || action(tok, ntok, &r.action, err, errlen) < 0)
        return -1;
    /* An IDN is kept in its A-label form, Unicode case folded; addresses
     * are matched in it. */
    if ((a = folded(r.k, text, &r.pat)) == -2)
        return snprintf(err, errlen, "\"%s\" is not a domain name IDNA2008 takes (write it in "
                        "its xn-- form)", tok[0]), -1;
    if (a < 0 || (r.pat == NULL && (r.pat = strdup(text)) == NULL))
        return snprintf(err, errlen, "out of memory"), -1;
    r.len = strlen(r.pat);
    r.line = line;
    for (i = 0; i < p->n; i++)
        if (p->v[i].k == r.k && cm_mapfile_eq(p->v[i].pat, p->v[i].len, r.pat, r.len)) {
            free(r.pat);
            return snprintf(err, errlen, "\"%s\" is given twice (first on line %zu)", tok[0],
                            p->v[i].line), -1;
        }
    if ((nv = cm_array_resize(p->v, p->n + 1, sizeof(*nv))) == NULL) {
        free(r.pat);
        return snprintf(err, errlen, "out of memory"), -1;
    }
    p->v = nv;
    p->v[p->n++] = r;
    return 0;
}

cm_addrpol *cm_addrpol_parse(const char *name, const char *text, size_t len, char *err,
                             size_t errlen)
{
    cm_addrpol *p = calloc(1, sizeof(*p));

    if (p == NULL) {
        snprintf(err, errlen, "%s: out of memory", name);
        return NULL;
    }
    if (cm_mapfile_parse(name, text, len, add_line, p, err, errlen) < 0) {
        cm_addrpol_free(p);
        return NULL;
    }
    return p;
}

cm_addrpol *cm_addrpol_load(const char *value, char *err, size_t errlen)
{
    cm_addrpol *p = calloc(1, sizeof(*p));

    if (p == NULL) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    if (cm_mapfile_load(value, add_line, p, err, errlen) < 0) {
        cm_addrpol_free(p);
        return NULL;
    }
    return p;
}

void cm_addrpol_free(cm_addrpol *p)
{
    size_t i;

    if (p == NULL)
        return;
    for (i = 0; i < p->n; i++)
        free(p->v[i].pat);
    free(p->v);
    free(p);
}

size_t cm_addrpol_count(const cm_addrpol *p)
{
    return p != NULL ? p->n : 0;
}

/* A .subdomain rule scores its length (under a line's), every other kind
 * a tier above all of those and above the kinds less specific than it. */
#define TIER ((size_t) CM_MAPFILE_MAX_LINE + 1)

/* How well rule r matches a (base: the address without its extension):
 * 0 not at all, higher more specific. */
static size_t score(const rule *r, const char *a, const char *base)
{
    const char *at = strrchr(a, '@'), *dom;
    size_t alen = strlen(a), dlen;

    if (at == NULL)
        return 0;
    dom = at + 1;
    dlen = strlen(dom);
    switch (r->k) {
    case K_ADDR:
        return cm_mapfile_eq(r->pat, r->len, a, alen) ? 5 * TIER
               : base != NULL && cm_mapfile_eq(r->pat, r->len, base, strlen(base))
               ? 4 * TIER : 0;
    case K_LOCAL:
        /* r->pat is "local@": compare with the local part and its '@'. */
        if (cm_mapfile_eq(r->pat, r->len, a, (size_t) (at - a) + 1))
            return 3 * TIER;
        if (base != NULL && (at = strrchr(base, '@')) != NULL
            && cm_mapfile_eq(r->pat, r->len, base, (size_t) (at - base) + 1))
            return 2 * TIER;
        return 0;
    case K_DOMAIN:
        return cm_mapfile_eq(r->pat, r->len, dom, dlen) ? TIER : 0;
    case K_SUB:
        /* .example.org: a.example.org, b.a.example.org, not example.org. */
        return dlen > r->len && dom[dlen - r->len - 1] == '.'
               && cm_mapfile_eq(r->pat, r->len, dom + dlen - r->len, r->len) ? r->len : 0;
    }
    return 0;
}

/* a in the form the rules hold theirs (cm_idn_fold): *out (heap), NULL if
 * a needs none (or IDNA2008 does not take its domain: then it is matched
 * as its bytes, as such a rule is). 0 or -1 (nomem). */
static int addr_folded(const char *a, char **out)
{
    *out = NULL;
    return a != NULL && cm_idn_fold(a, out) == -1 ? -1 : 0;
}

int cm_addrpol_find(const cm_addrpol *p, const char *addr, const char *base, int *action,
                    size_t *line)
{
    size_t i, s, best = 0, which = 0;
    char *a = NULL, *b = NULL;

    if (p == NULL)
        return 0;
    if (addr_folded(addr, &a) < 0 || addr_folded(base, &b) < 0) {
        free(a);
        return -1;
    }
    for (i = 0; i < p->n; i++)
        if ((s = score(&p->v[i], a != NULL ? a : addr, b != NULL ? b : base)) > best) {
            best = s;
            which = i;
        }
    free(a);
    free(b);
    if (best == 0)
        return 0;
    *action = p->v[which].action;
    if (line != NULL)
        *line = p->v[which].line;
    return 1;
}
