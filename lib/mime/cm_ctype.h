/* cm_ctype - Content-Type parsing: type/subtype and parameters (RFC 2045). */
#ifndef CM_CTYPE_H
#define CM_CTYPE_H

#include <stddef.h>

typedef struct cm_param {
    char *name;     /* lower-cased; RFC 2231 names keep their '*' */
    char *value;    /* unquoted */
} cm_param;

typedef struct cm_ctype {
    char *type;     /* lower-cased, NULL if the field is unparsable */
    char *subtype;
    cm_param *params;
    size_t nparams;
    int rfc2231;    /* some parameter uses RFC 2231 continuations/charsets */
} cm_ctype;

/* 0 on success (ct->type NULL if unparsable), -1 out of memory. */
int cm_ctype_parse(const char *value, cm_ctype *ct);
void cm_ctype_free(cm_ctype *ct);
/* Parameter value by (lower-case) name, or NULL. */
const char *cm_ctype_param(const cm_ctype *ct, const char *name);
/* Does ct have this type and subtype (case-insensitive)? */
int cm_ctype_is(const cm_ctype *ct, const char *type, const char *subtype);

#endif
