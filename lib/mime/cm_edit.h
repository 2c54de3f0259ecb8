/* cm_edit - header edits as the milter protocol knows them (change the nth
 * field of a name, delete it, append a field), and applying them to a list. */
#ifndef CM_EDIT_H
#define CM_EDIT_H

#include <stddef.h>

#include "cm_header.h"
#include "cm_status.h"

typedef enum cm_edit_kind { CM_EDIT_CHANGE, CM_EDIT_DELETE, CM_EDIT_ADD } cm_edit_kind;

typedef struct cm_edit {
    cm_edit_kind kind;
    char *name;
    size_t idx;     /* CHANGE/DELETE: 1-based among the fields of this name */
    char *value;    /* CHANGE/ADD: raw value after the colon, "\n\t" folds */
} cm_edit;

typedef struct cm_edits {
    cm_edit *v;
    size_t n;
} cm_edits;

cm_stat cm_edits_add(cm_edits *e, cm_edit_kind kind, const char *name, size_t idx,
                     const char *value);
void cm_edits_free(cm_edits *e);
/* Apply the edits in order, as an MTA would. */
cm_stat cm_edits_apply(const cm_edits *e, cm_hdrs *h);

#endif
