/* cm_alias - KeyAliases: "alias@example.org alice@example.org, bob@..."
 * lines. Mail to an alias is encrypted to the keys of its members (the
 * milter sees the address before the MTA expands the alias). */
#ifndef CM_ALIAS_H
#define CM_ALIAS_H

#include <stddef.h>

#define CM_ALIAS_MAX_MEMBERS 32

typedef struct cm_alias cm_alias;

/* Parse text (name for the messages); NULL with "name:line: reason" in
 * err. Refused: an alias or member that is not a full address, an alias
 * given twice, a member listed twice, a member that is itself an alias
 * (aliases are not nested, so there are no loops), more than
 * CM_ALIAS_MAX_MEMBERS members. ASCII letters compare without case; an IDN
 * domain is kept as its A-label, Unicode case folded (cm_idn_fold). */
cm_alias *cm_alias_parse(const char *name, const char *text, size_t len, char *err,
                         size_t errlen);
/* From the "file:/path" value of KeyAliases. */
cm_alias *cm_alias_load(const char *value, char *err, size_t errlen);
void cm_alias_free(cm_alias *a);
size_t cm_alias_count(const cm_alias *a);

/* The members of alias addr (ASCII lower-cased, an IDN domain as its
 * A-label), *n of them; NULL if addr is not an alias (a may be NULL).
 * addr is compared as it is: ask again with cm_idn_other's form. */
const char *const *cm_alias_find(const cm_alias *a, const char *addr, size_t *n);

#endif
