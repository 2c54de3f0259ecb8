/* cm_idn - the two forms of an internationalised domain: the U-label
 * (UTF-8, what an SMTPUTF8 client sends) and the A-label (xn--, what any
 * other sends). The MTA delivers both to one place, so the gateway's
 * lookups (EncryptionPolicy, keys) must take one for the other. IDNA2008
 * without TR46 mapping (libidn2): Unicode case is not folded. */
#ifndef CM_IDN_H
#define CM_IDN_H

#include <stddef.h>

/* The A-label form of dom[0..dlen) if it has non-ASCII bytes: *out (heap,
 * free()), or NULL if dom is ASCII already. 0; -1 out of memory; -2 not a
 * domain name IDNA2008 takes. */
int cm_idn_alabel(const char *dom, size_t dlen, char **out);

/* The address addr ("local@domain") with its domain in the other form:
 * U-label to A-label, or one with an xn-- label to UTF-8. 1 with *out
 * (heap), 0 if there is none (an ASCII domain without xn--, or one
 * IDNA2008 does not take), -1 out of memory. */
int cm_idn_other(const char *addr, char **out);

#endif
