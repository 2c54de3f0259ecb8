/* cm_addrpol - EncryptionPolicy: per-address rules, "PATTERN ACTION" lines.
 * PATTERN is an address (alice@example.org), a local part in any domain
 * (postmaster@), a domain (@example.org) or its subdomains (.example.org).
 * ACTION is require [tempfail|reject], never, or a MissingKeyAction value. */
#ifndef CM_ADDRPOL_H
#define CM_ADDRPOL_H

#include <stddef.h>

/* The first four are the cm_missing_action values, in their order. */
typedef enum cm_addrpol_action {
    CM_ADDRPOL_PASS,
    CM_ADDRPOL_TEMPFAIL,
    CM_ADDRPOL_REJECT,
    CM_ADDRPOL_SPLIT,
    CM_ADDRPOL_NEVER,           /* never encrypted */
    CM_ADDRPOL_REQUIRE,         /* no key: tempfail, whatever MissingKeyAction says */
    CM_ADDRPOL_REQUIRE_REJECT   /* no key: reject */
} cm_addrpol_action;

typedef struct cm_addrpol cm_addrpol;

/* Parse text (name for the messages); NULL with "name:line: reason" in
 * err. A pattern given twice (in any case) is refused. */
cm_addrpol *cm_addrpol_parse(const char *name, const char *text, size_t len, char *err,
                             size_t errlen);
/* From the "file:/path" value of EncryptionPolicy. */
cm_addrpol *cm_addrpol_load(const char *value, char *err, size_t errlen);
void cm_addrpol_free(cm_addrpol *p);
size_t cm_addrpol_count(const cm_addrpol *p);

/* The most specific rule for addr: the address itself, then base (addr
 * without its RecipientDelimiter extension, or NULL), then the local part
 * (addr's, then base's) in any domain, then @domain, then the longest
 * .subdomain. ASCII letters match without case; an IDN domain matches in
 * either form, UTF-8 or A-label (xn--), in any case, rule and address both
 * mapped by UTS#46 (cm_idn_fold). 1 with *action and *line (may be NULL) of the rule,
 * 0 if none matches (p may be NULL), -1 out of memory. */
int cm_addrpol_find(const cm_addrpol *p, const char *addr, const char *base, int *action,
                    size_t *line);

/* "require", "never", ... as the file spells it. */
const char *cm_addrpol_action_name(int action);

#endif
