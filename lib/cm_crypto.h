/* cm_crypto - the encryption backend interface. The rewriting code calls
 * these and never branches on which backend (OpenPGP, S/MIME) it has. */
#ifndef CM_CRYPTO_H
#define CM_CRYPTO_H

#include "cm_config.h"
#include "cm_entity.h"
#include "cm_spool.h"
#include "cm_status.h"

typedef struct cm_crypto_session cm_crypto_session;

/* What the encrypted message looks like from outside. */
typedef struct cm_envelope {
    char *content_type;     /* new Content-Type value, folded with "\n\t" */
    const char *trace;      /* X-Cryptmilter value, e.g. "encrypted pgp-mime" */
} cm_envelope;

typedef struct cm_crypto_ops {
    const char *name;
    /* Once per process, before threads: library and engine checks. */
    cm_stat (*init)(char *err, size_t errlen);
    /* A session serves one message; cfg must outlive it. */
    cm_stat (*session_new)(const cm_config *cfg, cm_crypto_session **out);
    void (*session_free)(cm_crypto_session *s);
    /* Find a usable key for addr (an exact, bare address) and, if found,
     * add it to the session's recipients. *found says whether one was. */
    cm_stat (*add_recipient)(cm_crypto_session *s, const char *addr, int *found);
    /* Encrypt the entity to the recipients added, writing the new MIME body
     * (CRLF, 7-bit) to out and describing it in env (freed by the caller
     * with cm_envelope_free). */
    cm_stat (*encrypt)(cm_crypto_session *s, cm_entity *in, cm_spool *out, cm_envelope *env);
} cm_crypto_ops;

void cm_envelope_free(cm_envelope *env);

/* The OpenPGP backend (GPGME). */
extern const cm_crypto_ops cm_gpgme_ops;

#endif
