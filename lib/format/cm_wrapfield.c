/* cm_wrapfield - the Content-* fields around a signed structure, held to a
 * form with no room for words. */
#include "cm_wrapfield.h"
#include "cm_ctype.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The words mail programs write as a signature part's (or an S/MIME
 * wrapper's) description. */
static const char *const descriptions[] = {
    "OpenPGP digital signature",            /* Thunderbird, Enigmail */
    "Digital signature",                    /* Mutt */
    "PGP signature",
    "OpenPGP signature",
    "S/MIME Cryptographic Signature",       /* Thunderbird, Outlook */
    "S/MIME digital signature",
    "S/MIME Signed Message",
    "This is a digitally signed message part",      /* Evolution, KMail */
    NULL
};

static int listed(const char *s, const char *const *list)
{
    size_t i;

    for (i = 0; list != NULL && list[i] != NULL; i++)
        if (strcasecmp(s, list[i]) == 0)
            return 1;
    return 0;
}

static int made_of(const char *s, const char *set, size_t max)
{
    size_t n = strlen(s);

    return n > 0 && n <= max && strspn(s, set) == n;
}

static int param_ok(const cm_param *p, const cm_wrap_param *rules)
{
    size_t i;

    for (i = 0; rules != NULL && rules[i].name != NULL; i++)
        if (strcmp(p->name, rules[i].name) == 0)
            return rules[i].values != NULL ? listed(p->value, rules[i].values)
                   : made_of(p->value, rules[i].chars, rules[i].max);
    return 0;
}

/* s lower-cased without white space, double quotes, or a final ';'. */
static void squeeze(const char *s, char *out)
{
    char *o = out;

    for (; *s; s++)
        if (*s != ' ' && *s != '\t' && *s != '\r' && *s != '\n' && *s != '"')
            *o++ = (char) (*s >= 'A' && *s <= 'Z' ? *s - 'A' + 'a' : *s);
    if (o > out && o[-1] == ';')
        o--;
    *o = 0;
}

/* Is value (a Content-Type, or with disposition a Content-Disposition)
 * exactly its type and the allowed parameters? Every parameter value was
 * checked to be free of white space and quotes, so comparing the field
 * without them against what was parsed leaves room for nothing else. */
static int typed_ok(const char *value, int disposition, const cm_wrap_rules *r, int *nomem)
{
    size_t n = strlen(value), i, want = n + 3;
    char *raw = malloc(want), *parsed = malloc(want), *src = malloc(want);
    const cm_wrap_param *rules = disposition ? r->disp_params : r->type_params;
    cm_ctype ct;
    int ok = 0, at;

    *nomem = 0;
    if (raw == NULL || parsed == NULL || src == NULL) {
        *nomem = 1;
        goto out;
    }
    /* A disposition reads as a type's subtype, for its parameters. */
    snprintf(src, want, "%s%s", disposition ? "x/" : "", value + strspn(value, " \t"));
    if (cm_ctype_parse(src, &ct) < 0) {
        *nomem = 1;
        goto out;
    }
    if (ct.type != NULL && !ct.rfc2231) {
        char t[160];

        snprintf(t, sizeof(t), "%s/%s", ct.type, ct.subtype);
        ok = disposition ? listed(ct.subtype, r->dispositions)
             : r->types == NULL || listed(t, r->types);
        at = snprintf(parsed, want, "%s", disposition ? ct.subtype : t);
        for (i = 0; ok && i < ct.nparams; i++) {
            ok = param_ok(&ct.params[i], rules) && at >= 0 && (size_t) at < want
                 && strlen(ct.params[i].name) + strlen(ct.params[i].value) + 2 < want - (size_t) at;
            if (ok)
                at += snprintf(parsed + at, want - (size_t) at, ";%s=%s", ct.params[i].name,
                               ct.params[i].value);
        }
        if (ok) {
            squeeze(disposition ? src + 2 : src, raw);
            squeeze(parsed, src);
            ok = strcmp(raw, src) == 0;
        }
    }
    cm_ctype_free(&ct);
out:
    free(raw);
    free(parsed);
    free(src);
    return ok;
}

static cm_stat field_ok(const cm_hdr *f, const cm_wrap_rules *r, int *ok)
{
    const char *name = f->name;
    char *v;
    int nomem = 0;

    *ok = 0;
    if (strcasecmp(name, "Content-Type") == 0) {
        *ok = typed_ok(f->value, 0, r, &nomem);
    } else if (strcasecmp(name, "Content-Disposition") == 0) {
        *ok = r->dispositions != NULL && typed_ok(f->value, 1, r, &nomem);
    } else if (strcasecmp(name, "Content-Transfer-Encoding") == 0
               || strcasecmp(name, "Content-Description") == 0) {
        if ((v = cm_hdr_unfold(f->value)) == NULL)
            return CM_ERR_NOMEM;
        *ok = strcasecmp(name, "Content-Description") == 0 ? r->description && listed(v, descriptions)
              : listed(v, r->encodings);
        free(v);
    } else if (strcasecmp(name, "MIME-Version") == 0) {
        *ok = 1;        /* the message's own is kept; this one does not travel */
    }
    return nomem ? CM_ERR_NOMEM : CM_OK;
}

cm_stat cm_wrapfield_check(const cm_hdrs *h, const cm_wrap_rules *r, int not_content,
                           const char *where, char *why, size_t len)
{
    size_t i;
    int ok;
    cm_stat st;

    if (cm_hdrs_count(h, "Content-Type") != 1) {
        snprintf(why, len, "a Content-Type field more than once %s", where);
        return CM_GATE_UNCOVERED;
    }
    for (i = 0; i < h->n; i++) {
        const char *name = h->v[i].name;

        if (!cm_hdr_is_content(name) && strcasecmp(name, "MIME-Version") != 0) {
            if (!not_content)
                continue;
            snprintf(why, len, "the header field %s %s", name, where);
            return CM_GATE_UNCOVERED;
        }
        if (cm_hdrs_count(h, name) > 1) {
            snprintf(why, len, "the header field %s more than once %s", name, where);
            return CM_GATE_UNCOVERED;
        }
        if ((st = field_ok(&h->v[i], r, &ok)) != CM_OK)
            return st;
        if (!ok) {
            snprintf(why, len, "the header field %s %s", name, where);
            return CM_GATE_UNCOVERED;
        }
    }
    return CM_OK;
}
