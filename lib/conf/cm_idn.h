/* cm_idn - the two forms of an internationalised domain: the U-label
 * (UTF-8, what an SMTPUTF8 client sends) and the A-label (xn--, what any
 * other sends). The MTA delivers both to one place, so the gateway's
 * lookups (EncryptionPolicy, KeyAliases, LocalDomains, keys) must take one
 * for the other. A non-ASCII domain is mapped as UTS#46 (nontransitional,
 * libidn2) before IDNA2008 takes it: Unicode case is folded, so
 * BÜCHER.example, bücher.example and xn--bcher-kva.example are one domain.
 * The one form domains are compared in is the A-label (cm_idn_fold), with
 * ASCII letters compared without case; a domain IDNA2008 does not take is
 * compared as its bytes, on both sides alike. */
#ifndef CM_IDN_H
#define CM_IDN_H

#include <stddef.h>

#include "cm_list.h"

/* The A-label form of dom[0..dlen) if it has non-ASCII bytes (lower case):
 * *out (heap, free()), or NULL if dom is ASCII already. 0; -1 out of
 * memory; -2 not a domain name IDNA2008 takes. */
int cm_idn_alabel(const char *dom, size_t dlen, char **out);

/* addr ("local@domain") in the form domains are compared in: its domain,
 * if not ASCII, as cm_idn_alabel gives it; the local part as it is. 1 with
 * *out (heap), 0 if addr needs none (no '@', an ASCII domain), -1 out of
 * memory, -2 IDNA2008 does not take the domain (compare addr as it is). */
int cm_idn_fold(const char *addr, char **out);

/* *addr (heap: an index's copy of a key's address, ASCII lower-cased)
 * replaced by its cm_idn_fold form if it has one, so that an index holds
 * each address in the form lookups ask in. 0, or -1 out of memory (*addr
 * kept). */
int cm_idn_fold_heap(char **addr);

/* Do addresses a and b name one mailbox: equal ASCII letters without case,
 * an IDN domain in any form and case? 1, 0, -1 out of memory. */
int cm_idn_addr_eq(const char *a, const char *b);

/* The address addr ("local@domain") with its domain in the other form:
 * U-label (any case) to A-label, or one with an xn-- label to UTF-8 (lower
 * case). 1 with *out (heap), 0 if there is none (an ASCII domain without
 * xn--, or one IDNA2008 does not take), -1 out of memory. */
int cm_idn_other(const char *addr, char **out);

/* Is domain dom in l (LocalDomains), each compared in the form above: an
 * IDN domain matches in either form and any case? 1, 0, -1 out of memory. */
int cm_idn_list_has(const cm_list *l, const char *dom);

#endif
