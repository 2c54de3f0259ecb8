/* cm_engcall - a message's calls to its engines, in the manner of
 * OpenSMTPD's queue_backend.c: the core asks here, never an engine's ops
 * itself. What would otherwise be written in every engine, or in the core
 * beside every call, is done here once:
 * - a session per engine, made on first use, freed with the message;
 * - the order engines are asked for a recipient's key (SPEC §3.2:
 *   OpenPGP first, S/MIME first for PreferSMIME; an OpenPGP engine only
 *   where there is a keyring), and the RecipientDelimiter fallback;
 * - the gateway's own keys (GatewayKeys) are never an outbound recipient
 *   (SPEC §4.5), decided from the fingerprint the engine reports;
 * - the archive keys (EncryptToSelf) join every encryption, the key of
 *   the engine's class, and only a usable one (cm_engcall_add_archive);
 * - an ops slot the engine leaves NULL answers CM_ERR_INTERNAL, never a
 *   crash and never a pass.
 * The engines answer the plain question: a key for exactly this address. */
#ifndef CM_ENGCALL_H
#define CM_ENGCALL_H

#include "cm_engines.h"

typedef struct cm_engcall {
    const cm_engines *engines;
    const cm_msgctx *ctx;                       /* outlives the sessions */
    cm_engine_session *sess[CM_ENGINES_MAX];    /* per engine, from first use */
} cm_engcall;

void cm_engcall_init(cm_engcall *c, const cm_engines *engines, const cm_msgctx *ctx);
/* Free the sessions (the engines stay). */
void cm_engcall_done(cm_engcall *c);

/* Engine e's session, made on first use. */
cm_stat cm_engcall_session(cm_engcall *c, size_t e, cm_engine_session **s);

/* The first engine with a key for addr, in the order above, and that key:
 * *which, or -1 and *key NULL if none has one. With ctx->no_gateway_keys a
 * key of GatewayKeys counts as none (logged at debug, with the queue ID). */
cm_stat cm_engcall_find_key(cm_engcall *c, const char *addr, int *which, const cm_key **key);

/* The members of addr if it is an alias of KeyAliases, or its base
 * address under RecipientDelimiter is (in either IDN form of its domain):
 * *mem (NULL if neither), *n of them.
 * CM_OK, or CM_ERR_NOMEM (never "not an alias" for a failure). */
cm_stat cm_engcall_alias(const cm_engcall *c, const char *addr, const char *const **mem, size_t *n);

/* The keys of addr: an alias of KeyAliases (or its base address under
 * RecipientDelimiter) has its members' keys, all of one engine, the first
 * in the order above with a key for every member; else none (*nkeys 0).
 * Any other address is cm_engcall_find_key's. keys has room for
 * CM_ALIAS_MAX_MEMBERS; *which the engine, -1 if none. */
cm_stat cm_engcall_find_keys(cm_engcall *c, const char *addr, int *which, const cm_key **keys,
                             size_t *nkeys);

/* The class of engine e's keys; CM_KEY_NONE for e < 0. */
cm_key_class cm_engcall_class(const cm_engcall *c, int e);

/* The engine that checks signatures of class cls (its keys are looked up
 * too: an OpenPGP one only with a keyring), or -1 if none here can. */
int cm_engcall_verifier(const cm_engcall *c, cm_key_class cls);

/* The engine that decrypts OpenPGP with a gateway secret key (see
 * cm_engines_pgp_decrypter). */
size_t cm_engcall_pgp_decrypter(const cm_engcall *c);

/* Engine e's ops, for a format to frame what the engine writes
 * (cm_pgpmime, cm_smime, cm_pgpdecrypt, cm_smimedecrypt), with the session
 * cm_engcall_session gives. */
const cm_engine_ops *cm_engcall_ops(const cm_engcall *c, size_t e);

/* Add the archive keys of engine e's class (EncryptToSelf: OpenPGP
 * fingerprints, or S/MIME certificate files) to the recipients of e's
 * next encryption, as they stand at now. One that is missing, expired,
 * revoked, disabled or cannot encrypt: CM_ARCHIVE_KEY, and why (naming
 * it) in why; the message is never encrypted without it. */
cm_stat cm_engcall_add_archive(cm_engcall *c, size_t e, int64_t now, char *why, size_t len);

/* The engine's own calls, as cm_engine_ops describes them, on engine e's
 * session (made if need be). */
cm_stat cm_engcall_add_recipient(cm_engcall *c, size_t e, const cm_key *key);
cm_stat cm_engcall_verify_detached(cm_engcall *c, size_t e, cm_reader *data, const void *sig,
                                   size_t siglen, cm_sigs *sigs);
cm_stat cm_engcall_decrypt_verify(cm_engcall *c, size_t e, cm_reader *in, cm_writer *out,
                                  cm_sigs *sigs);
cm_stat cm_engcall_key_has_addr(cm_engcall *c, size_t e, const char *fpr, const char *addr,
                                int *yes);

#endif
