/* cm_list - a list of strings, from "a, b, c" or "file:/path" (one per line). */
#ifndef CM_LIST_H
#define CM_LIST_H

#include <stddef.h>

typedef struct cm_list {
    char **v;
    size_t n;
} cm_list;

void cm_list_free(cm_list *l);
int cm_list_add(cm_list *l, const char *s, size_t len);
/* Parse spec into l. On error returns -1 and writes a reason to err. */
int cm_list_parse(cm_list *l, const char *spec, char *err, size_t errlen);
/* Case-insensitive membership. */
int cm_list_has_ci(const cm_list *l, const char *s);

#endif
