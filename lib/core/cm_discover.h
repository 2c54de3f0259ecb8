/* cm_discover - KeyDiscovery wkd in the outbound pipeline: at the end of
 * an outbound message under OpportunisticEncryption whose external
 * recipients have no key in KeyringDir, each one's key is looked up in the
 * Web Key Directory (cached, bounded in time), imported into
 * KeyDiscoveryDir, and the message encrypted in one session over that
 * keyring. Only here: inbound recipients and LocalDomains recipients never
 * see a discovered key (their lookups are the message's own engcall, over
 * KeyringDir).
 *
 * One session per encryption: the discovered keyring is used only when
 * every recipient's key is in it. A message with a recipient keyed in
 * KeyringDir and one only discovered is not mixed (it goes as
 * OpportunisticEncryption says without a key); nor is one while
 * EncryptToSelf names archive keys, which live in KeyringDir. */
#ifndef CM_DISCOVER_H
#define CM_DISCOVER_H

#include "cm_msg_int.h"

typedef struct cm_discover {
    cm_config cfg;          /* the message's, KeyringDir the discovered keyring */
    cm_msgctx ctx;          /* the message's, with cfg above */
    cm_engcall eng;         /* its sessions over KeyDiscoveryDir */
    size_t nkeyed[CM_ENGINES_MAX];
    int open;               /* eng made: cm_discover_done frees it */
} cm_discover;

/* Before anything else: nothing to free yet. */
void cm_discover_init(cm_discover *d);

/* Would m, left in clear for want of keys, be encrypted to discovered
 * keys? Looks up (cache, then the directory) the recipients KeyringDir has
 * no key for (of a KeyAliases alias, its members' addresses), all lookups
 * within twice KeyDiscoveryTimeout. *ready 1: d holds every recipient's
 * key, for cm_msg_encrypt(m, &d->eng, d->nkeyed, ...). A lookup that fails
 * is "no key" (*ready 0, CM_OK); CM_OK, or an internal failure (the
 * message is refused with it, never passed). */
cm_stat cm_discover_prepare(cm_msg *m, cm_discover *d, int *ready);

void cm_discover_done(cm_discover *d);

#endif
