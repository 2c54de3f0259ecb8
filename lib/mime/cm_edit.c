/* cm_edit - header edits as the milter protocol knows them (change the nth
 * field of a name, delete it, append a field), and applying them to a list. */
#include "cm_edit.h"
#include "cm_buf.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

cm_stat cm_edits_add(cm_edits *e, cm_edit_kind kind, const char *name, size_t idx,
                     const char *value)
{
    cm_edit *nv = cm_array_resize(e->v, e->n + 1, sizeof(*nv)), ed;

    if (nv == NULL)
        return CM_ERR_NOMEM;
    e->v = nv;
    ed.kind = kind;
    ed.idx = idx;
    ed.name = strdup(name);
    ed.value = value ? strdup(value) : NULL;
    if (ed.name == NULL || (value != NULL && ed.value == NULL)) {
        free(ed.name);
        free(ed.value);
        return CM_ERR_NOMEM;
    }
    e->v[e->n++] = ed;
    return CM_OK;
}

void cm_edits_free(cm_edits *e)
{
    size_t i;

    for (i = 0; i < e->n; i++) {
        free(e->v[i].name);
        free(e->v[i].value);
    }
    free(e->v);
    e->v = NULL;
    e->n = 0;
}

/* Position in h of the idx-th (1-based) field called name, or h->n. */
static size_t position(const cm_hdrs *h, const char *name, size_t idx)
{
    size_t i;

    for (i = 0; i < h->n; i++)
        if (strcasecmp(h->v[i].name, name) == 0 && --idx == 0)
            return i;
    return h->n;
}

cm_stat cm_edits_apply(const cm_edits *e, cm_hdrs *h)
{
    size_t i, pos;
    cm_stat st;

    for (i = 0; i < e->n; i++) {
        const cm_edit *ed = &e->v[i];
        cm_hdrs tmp;

        switch (ed->kind) {
        case CM_EDIT_ADD:
            if ((st = cm_hdrs_add(h, ed->name, ed->value, strlen(ed->value))) != CM_OK)
                return st;
            break;
        case CM_EDIT_DELETE:
            if ((pos = position(h, ed->name, ed->idx)) < h->n)
                cm_hdrs_remove(h, pos);
            break;
        case CM_EDIT_CHANGE:
            if ((pos = position(h, ed->name, ed->idx)) == h->n) {
                if ((st = cm_hdrs_add(h, ed->name, ed->value, strlen(ed->value))) != CM_OK)
                    return st;
                break;
            }
            /* Build the new field aside, then swap it in place. */
            cm_hdrs_init(&tmp, 1, h->max_bytes);
            if ((st = cm_hdrs_add(&tmp, h->v[pos].name, ed->value, strlen(ed->value))) != CM_OK) {
                cm_hdrs_free(&tmp);
                return st;
            }
            h->bytes += strlen(tmp.v[0].raw);
            h->bytes -= strlen(h->v[pos].raw);
            free(h->v[pos].name);
            free(h->v[pos].value);
            free(h->v[pos].raw);
            h->v[pos] = tmp.v[0];
            free(tmp.v);
            break;
        }
    }
    return CM_OK;
}
