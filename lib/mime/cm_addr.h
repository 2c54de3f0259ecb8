/* cm_addr - envelope addresses: "<local@Domain>" to "local@domain". */
#ifndef CM_ADDR_H
#define CM_ADDR_H

/* Bare address as the MTA delivers to it: angle brackets, white space and
 * a source route removed, needless quotes around the local part removed,
 * the domain lower-cased and without a trailing dot. Heap string ("" for the null sender), NULL on
 * out of memory. */
char *cm_addr_bare(const char *envaddr);
/* The domain part of a bare address ("" if none). */
const char *cm_addr_domain(const char *bare);

/* With RecipientDelimiter: "alice+news@d" -> "alice@d" (the local part up
 * to the first of the delimiter characters) into *out (heap). 1 done, 0 bare
 * has no extension, -1 out of memory: never "no extension" for a failure,
 * which would make a keyed address keyless. */
int cm_addr_base(const char *bare, const char *delimiters, char **out);

#endif
