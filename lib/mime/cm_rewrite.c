/* cm_rewrite - the header edits that turn a message into its encrypted form
 * (SPEC §3.5, §3.7), whatever backend produced the new body. */
#include "cm_rewrite.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

void cm_envelope_free(cm_envelope *env)
{
    free(env->content_type);
    env->content_type = NULL;
}

/* 1-based index of field i among the fields of its name. */
static size_t index_of(const cm_hdrs *h, size_t i)
{
    size_t j, idx = 0;

    for (j = 0; j <= i; j++)
        if (strcasecmp(h->v[j].name, h->v[i].name) == 0)
            idx++;
    return idx;
}

/* Delete the fields matching pred (last first, so indices stay valid),
 * sparing the first field called keep (may be NULL). */
static cm_stat delete_fields(const cm_hdrs *h, int (*pred)(const char *), const char *keep,
                             cm_edits *e)
{
    size_t i;
    cm_stat st;

    for (i = h->n; i-- > 0;) {
        size_t idx;

        if (!pred(h->v[i].name))
            continue;
        idx = index_of(h, i);
        if (keep != NULL && idx == 1 && strcasecmp(h->v[i].name, keep) == 0)
            continue;
        if ((st = cm_edits_add(e, CM_EDIT_DELETE, h->v[i].name, idx, NULL)) != CM_OK)
            return st;
    }
    return CM_OK;
}

static int is_trace(const char *name)
{
    return strcasecmp(name, CM_TRACE_HEADER) == 0;
}

static int is_mime_version(const char *name)
{
    return strcasecmp(name, "MIME-Version") == 0;
}

cm_stat cm_rewrite_trace(const cm_hdrs *h, const char *trace, cm_edits *e)
{
    char value[128];
    cm_stat st;

    if ((st = delete_fields(h, is_trace, NULL, e)) != CM_OK)
        return st;
    if (strlen(trace) + 2 > sizeof(value))
        return CM_ERR_INTERNAL;
    value[0] = ' ';
    strcpy(value + 1, trace);
    return cm_edits_add(e, CM_EDIT_ADD, CM_TRACE_HEADER, 0, value);
}

cm_stat cm_rewrite_encrypted(const cm_hdrs *h, const cm_envelope *env, cm_edits *e)
{
    const cm_hdr *mv = cm_hdrs_find(h, "MIME-Version", 0);
    cm_stat st;

    if ((st = delete_fields(h, cm_hdr_is_content, "Content-Type", e)) != CM_OK)
        return st;
    st = cm_edits_add(e, cm_hdrs_find(h, "Content-Type", 0) ? CM_EDIT_CHANGE : CM_EDIT_ADD,
                      "Content-Type", 1, env->content_type);
    if (st == CM_OK && env->cte != NULL)
        st = cm_edits_add(e, CM_EDIT_ADD, "Content-Transfer-Encoding", 0, env->cte);
    if (st == CM_OK && env->disposition != NULL)
        st = cm_edits_add(e, CM_EDIT_ADD, "Content-Disposition", 0, env->disposition);
    if (st != CM_OK)
        return st;
    if ((st = delete_fields(h, is_mime_version, "MIME-Version", e)) != CM_OK)
        return st;
    if (mv == NULL)
        st = cm_edits_add(e, CM_EDIT_ADD, "MIME-Version", 0, " 1.0");
    else if (strcmp(mv->value, " 1.0") != 0)
        st = cm_edits_add(e, CM_EDIT_CHANGE, "MIME-Version", 1, " 1.0");
    if (st != CM_OK)
        return st;
    return cm_rewrite_trace(h, env->trace, e);
}
