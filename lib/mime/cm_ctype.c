/* cm_ctype - Content-Type parsing: type/subtype and parameters (RFC 2045). */
#include "cm_ctype.h"
#include "cm_buf.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int is_tspecial(int c)
{
    return c != 0 && strchr("()<>@,;:\\\"/[]?=", c) != NULL;
}

static int is_token(int c)
{
    return c > 32 && c < 127 && !is_tspecial(c);
}

/* Skip white space and (nested) comments. */
static const char *skip_cfws(const char *p)
{
    for (;;) {
        while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
            p++;
        if (*p != '(')
            return p;
        {
            int depth = 0;

            do {
                if (*p == '\\' && p[1])
                    p++;
                else if (*p == '(')
                    depth++;
                else if (*p == ')')
                    depth--;
                p++;
            } while (*p && depth > 0);
        }
    }
}

static char *lower_dup(const char *s, size_t n)
{
    char *d = strndup(s, n);
    size_t i;

    if (d != NULL)
        for (i = 0; i < n; i++)
            d[i] = (char) tolower((unsigned char) d[i]);
    return d;
}

/* Read a token; returns its end or NULL if empty. */
static const char *token_end(const char *p)
{
    const char *s = p;

    while (is_token((unsigned char) *p))
        p++;
    return p > s ? p : NULL;
}

/* Parse a quoted-string at p (p[0] == '"') into out; returns the end or NULL. */
static const char *quoted(const char *p, cm_buf *out)
{
    for (p++; *p && *p != '"'; p++) {
        if (*p == '\\' && p[1])
            p++;
        if (*p == '\r' || *p == '\n')
            continue;
        if (cm_buf_putc(out, *p) < 0)
            return NULL;
    }
    return *p == '"' ? p + 1 : NULL;
}

static int add_param(cm_ctype *ct, char *name, char *value)
{
    cm_param *np = cm_array_resize(ct->params, ct->nparams + 1, sizeof(*np));

    if (np == NULL)
        return -1;
    ct->params = np;
    ct->params[ct->nparams].name = name;
    ct->params[ct->nparams].value = value;
    ct->nparams++;
    return 0;
}

int cm_ctype_parse(const char *value, cm_ctype *ct)
{
    const char *p = skip_cfws(value), *e;

    memset(ct, 0, sizeof(*ct));
    if ((e = token_end(p)) == NULL)
        return 0;
    if ((ct->type = lower_dup(p, (size_t) (e - p))) == NULL)
        return -1;
    p = skip_cfws(e);
    if (*p != '/' || (e = token_end(p = skip_cfws(p + 1))) == NULL) {
        cm_ctype_free(ct);
        return 0;
    }
    if ((ct->subtype = lower_dup(p, (size_t) (e - p))) == NULL) {
        cm_ctype_free(ct);
        return -1;
    }
    p = skip_cfws(e);
    /* Parameters: stop quietly at the first syntax error, keeping what came before. */
    while (*p == ';') {
        char *name, *val;
        cm_buf v = CM_BUF_INIT;

        p = skip_cfws(p + 1);
        if ((e = token_end(p)) == NULL)
            break;
        if ((name = lower_dup(p, (size_t) (e - p))) == NULL)
            goto nomem;
        p = skip_cfws(e);
        if (*p != '=') {
            free(name);
            break;
        }
        p = skip_cfws(p + 1);
        if (*p == '"') {
            if ((e = quoted(p, &v)) == NULL) {
                free(name);
                cm_buf_free(&v);
                break;
            }
        } else if ((e = token_end(p)) == NULL || cm_buf_append(&v, p, (size_t) (e - p)) < 0) {
            free(name);
            cm_buf_free(&v);
            break;
        }
        if ((val = cm_buf_detach(&v, NULL)) == NULL) {
            free(name);
            goto nomem;
        }
        if (strchr(name, '*') != NULL)
            ct->rfc2231 = 1;
        if (add_param(ct, name, val) < 0) {
            free(name);
            free(val);
            goto nomem;
        }
        p = skip_cfws(e);
    }
    return 0;

nomem:
    cm_ctype_free(ct);
    return -1;
}

void cm_ctype_free(cm_ctype *ct)
{
    size_t i;

    free(ct->type);
    free(ct->subtype);
    for (i = 0; i < ct->nparams; i++) {
        free(ct->params[i].name);
        free(ct->params[i].value);
    }
    free(ct->params);
    memset(ct, 0, sizeof(*ct));
}

const char *cm_ctype_param(const cm_ctype *ct, const char *name)
{
    size_t i;

    for (i = 0; i < ct->nparams; i++)
        if (strcmp(ct->params[i].name, name) == 0)
            return ct->params[i].value;
    return NULL;
}

int cm_ctype_is(const cm_ctype *ct, const char *type, const char *subtype)
{
    return ct->type != NULL && strcasecmp(ct->type, type) == 0
        && strcasecmp(ct->subtype, subtype) == 0;
}
