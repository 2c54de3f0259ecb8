/* cm_wkd_fetch - an address's keys from its domain's Web Key Directory
 * over HTTPS (libcurl; the one folder that includes it): the advanced
 * method first, the direct method only when the advanced method's host
 * does not resolve or refuses the connection (draft-koch-openpgp-webkey-
 * service, 3.1). HTTPS only, redirects followed only on the same host,
 * at most CM_WKD_FETCH_MAX bytes, both methods together within
 * KeyDiscoveryTimeout. What comes back is unchecked key material: the
 * caller keeps only the user IDs with the address it asked for. */
#ifndef CM_WKD_FETCH_H
#define CM_WKD_FETCH_H

#include <stddef.h>
#include <stdint.h>

#include "cm_buf.h"
#include "cm_config.h"

#define CM_WKD_FETCH_MAX (256 * 1024)

typedef enum cm_wkd_answer {
    CM_WKD_FOUND,           /* out holds what the directory served */
    CM_WKD_NOT_FOUND,       /* 404 or 410, or no host of either method resolves */
    CM_WKD_FAILED           /* timeout, TLS, refused, too large, other status: err says */
} cm_wkd_answer;

/* libcurl's process-wide start, once before threads: 0 or -1. */
int cm_wkd_fetch_init(void);
void cm_wkd_fetch_done(void);

/* addr's keys into out (appended), as cfg's KeyDiscovery* keys say
 * (timeout; the CA file and the connections, for tests). The reason for
 * CM_WKD_NOT_FOUND and CM_WKD_FAILED in err, naming the URL. */
cm_wkd_answer cm_wkd_fetch(const cm_config *cfg, const char *addr, cm_buf *out, char *err,
                           size_t errlen);
/* The same within budget_ms milliseconds when that is less than
 * KeyDiscoveryTimeout (the daemon bounds all lookups of one message). */
cm_wkd_answer cm_wkd_fetch_within(const cm_config *cfg, const char *addr, int64_t budget_ms,
                                  cm_buf *out, char *err, size_t errlen);

#endif
