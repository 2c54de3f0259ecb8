/* cm_addr - envelope addresses: "<local@Domain>" to "local@domain". */
#ifndef CM_ADDR_H
#define CM_ADDR_H

/* Bare address: angle brackets, white space and a source route removed,
 * the domain lower-cased. Heap string ("" for the null sender), NULL on
 * out of memory. */
char *cm_addr_bare(const char *envaddr);
/* The domain part of a bare address ("" if none). */
const char *cm_addr_domain(const char *bare);

#endif
