/* cm_nullengine - the floor's real engine (cryptmilter-nullmilter -k): the
 * configured OpenPGP engine encrypting a body to its recipients' keys, as
 * cryptmilter's engine seam calls it, with no MIME, policy or headers
 * around it; cryptmilter-enginecost times the same calls in a loop. Not
 * installed. */
#ifndef CM_NULLENGINE_H
#define CM_NULLENGINE_H

#include "cm_engine.h"

#include <stddef.h>

/* The engine OpenPGPBackend names, on KEYRINGDIR's public keys; 0, or -1
 * with a reason on stderr. Once, before any thread encrypts. */
int cm_nullengine_init(const char *keyring, const char *backend);

/* p[0, n) encrypted to each address's key, written to out (binary); 0,
 * or -1 with a reason on stderr (no key, or the engine failed).
 * Thread-safe after init. */
int cm_nullengine_encrypt(const unsigned char *p, size_t n, char *const *rcpts, size_t nrcpt,
                          cm_writer *out);

#endif
