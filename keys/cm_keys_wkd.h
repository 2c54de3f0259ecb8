/* cm_keys_wkd - cryptmilter-keys wkd: keys from the Web Key Directory. */
#ifndef CM_KEYS_WKD_H
#define CM_KEYS_WKD_H

#include "cm_config.h"

/* Fetch each address's keys (cm_wkd_fetch), keep only the user IDs of that
 * address and import them into KeyringDir; a line on stdout per key
 * taken, the reasons for the others on stderr. The exit status: 0 every
 * address found, 1 some not found (404, no directory, no key with that
 * address), 75 a lookup failed (network, timeout) or the import did,
 * 78 no KeyringDir. */
int cm_keys_wkd(const cm_config *cfg, char **addrs, int n);

#endif
