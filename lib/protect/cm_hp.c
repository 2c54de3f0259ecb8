/* cm_hp - RFC 9788 header protection when encrypting (see cm_hp.h). */
#include "cm_hp.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cm_ctype.h"

static const char *const protected_names[] = {
    "Subject", "From", "Sender", "To", "Cc", "Date", "Message-ID", "In-Reply-To", "References",
    "Reply-To", "Followup-To", "Mail-Followup-To", "Keywords", "Comments",
};

#define OBSCURED "[...]"

int cm_hp_protected(const char *name)
{
    size_t i;

    for (i = 0; i < sizeof(protected_names) / sizeof(protected_names[0]); i++)
        if (strcasecmp(name, protected_names[i]) == 0)
            return 1;
    return 0;
}

const char *cm_hp_baseline(const char *name, const char *value)
{
    if (strcasecmp(name, "Subject") == 0)
        return " " OBSCURED;
    if (strcasecmp(name, "Keywords") == 0 || strcasecmp(name, "Comments") == 0)
        return NULL;
    return value;
}

int cm_hp_refusal(const cm_hdrs *entity, const char **why)
{
    const cm_hdr *f = cm_hdrs_find(entity, "Content-Type", 0);
    cm_ctype ct;

    *why = NULL;
    if (f == NULL)
        return 0;
    if (cm_hdrs_find(entity, "Content-Type", 1) != NULL) {
        *why = "Content-Type given twice";
        return 1;
    }
    if (cm_ctype_parse(f->value, &ct) < 0)
        return -1;
    if (ct.type == NULL)
        *why = "Content-Type unparsable";
    else if (cm_ctype_param(&ct, "hp*") != NULL || cm_ctype_param(&ct, "hp*0") != NULL
             || cm_ctype_param(&ct, "hp*0*") != NULL
             || (cm_ctype_param(&ct, "hp") != NULL && strcmp(cm_ctype_param(&ct, "hp"), "cipher") != 0))
        *why = "Content-Type has an hp parameter other than \"cipher\"";
    cm_ctype_free(&ct);
    return *why != NULL;
}

int cm_hp_declared(const cm_hdrs *entity)
{
    const cm_hdr *f = cm_hdrs_find(entity, "Content-Type", 0);
    const char *hp;
    cm_ctype ct;
    int r;

    if (f == NULL)
        return 0;
    if (cm_ctype_parse(f->value, &ct) < 0)
        return -1;
    r = ct.type != NULL && (hp = cm_ctype_param(&ct, "hp")) != NULL && strcmp(hp, "cipher") == 0;
    cm_ctype_free(&ct);
    return r;
}

/* The raw field f with params appended to its value: after the value's
 * last non-blank byte, with "; " unless that byte is already ';'. */
static int write_with_params(const cm_hdr *f, const char *params, cm_buf *out)
{
    cm_hdr copy = *f;
    size_t n = strlen(f->raw);
    char *raw;
    int r;

    while (n > 0 && (f->raw[n - 1] == ' ' || f->raw[n - 1] == '\t' || f->raw[n - 1] == '\n'))
        n--;
    if ((raw = malloc(n + strlen(params) + 3)) == NULL)
        return -1;
    memcpy(raw, f->raw, n);
    raw[n] = 0;
    strcat(raw, n > 0 && raw[n - 1] == ';' ? " " : "; ");
    strcat(raw, params);
    copy.raw = raw;
    r = cm_hdr_write(&copy, "\r\n", out);
    free(raw);
    return r;
}

int cm_hp_payload_header(const cm_hdrs *outer, const cm_hdrs *entity, int legacy, cm_buf *out)
{
    /* Written through cm_hdr_write, which turns the fold's "\n" into CRLF. */
    const char *params = legacy ? "hp=\"cipher\";\n\thp-legacy-display=\"1\"" : "hp=\"cipher\"";
    int typed = 0, declared = cm_hp_declared(entity);
    size_t i;

    if (declared < 0)
        return -1;
    for (i = 0; i < entity->n; i++) {
        const cm_hdr *f = &entity->v[i];

        if (strcasecmp(f->name, "Content-Type") == 0) {
            typed = 1;
            if ((declared ? cm_hdr_write(f, "\r\n", out) : write_with_params(f, params, out)) < 0)
                return -1;
        } else if (cm_hdr_is_content(f->name) && cm_hdr_write(f, "\r\n", out) < 0)
            return -1;
    }
    if (!typed && (cm_buf_puts(out, "Content-Type: text/plain; charset=us-ascii; ") < 0
                   || cm_buf_puts(out, legacy ? "hp=\"cipher\";\r\n\thp-legacy-display=\"1\"\r\n"
                                              : "hp=\"cipher\"\r\n") < 0))
        return -1;
    for (i = 0; i < outer->n; i++)
        if (cm_hp_protected(outer->v[i].name) && cm_hdr_write(&outer->v[i], "\r\n", out) < 0)
            return -1;
    for (i = 0; i < outer->n; i++) {
        const cm_hdr *f = &outer->v[i];
        const char *left;
        cm_hdr rec;
        char *raw;
        int r;

        if (!cm_hp_protected(f->name) || (left = cm_hp_baseline(f->name, f->value)) == NULL)
            continue;
        if ((raw = malloc(strlen("HP-Outer: ") + strlen(f->name) + 1 + strlen(left) + 1)) == NULL)
            return -1;
        strcpy(raw, "HP-Outer: ");
        strcat(raw, f->name);
        strcat(raw, ":");
        strcat(raw, left);
        rec = *f;
        rec.raw = raw;
        r = cm_hdr_write(&rec, "\r\n", out);
        free(raw);
        if (r < 0)
            return -1;
    }
    return 0;
}

cm_stat cm_hp_outer_edits(const cm_hdrs *h, cm_edits *e)
{
    size_t i, subject = 0, keywords = 0, comments = 0;
    cm_stat st = CM_OK;

    for (i = 0; i < h->n && st == CM_OK; i++) {
        const char *n = h->v[i].name;

        if (strcasecmp(n, "Subject") == 0)
            st = cm_edits_add(e, CM_EDIT_CHANGE, "Subject", ++subject, " " OBSCURED);
        else if (strcasecmp(n, "Keywords") == 0)
            keywords++;
        else if (strcasecmp(n, "Comments") == 0)
            comments++;
    }
    /* Deleting from the last keeps the earlier indexes valid. */
    while (st == CM_OK && keywords > 0)
        st = cm_edits_add(e, CM_EDIT_DELETE, "Keywords", keywords--, NULL);
    while (st == CM_OK && comments > 0)
        st = cm_edits_add(e, CM_EDIT_DELETE, "Comments", comments--, NULL);
    return st;
}
