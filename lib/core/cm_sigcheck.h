/* cm_sigcheck - the signatures a decrypted outbound message carries,
 * gathered for the gate (SPEC §4.2): those made with the encryption, an
 * inner detached signature (multipart/signed) checked by the engine of its
 * kind, and S/MIME opaque signed data; each kept with the digest of what
 * it signed (the replay cache's identity) and the engine that checked it
 * (which answers whose key it is). */
#ifndef CM_SIGCHECK_H
#define CM_SIGCHECK_H

#include "cm_digest.h"
#include "cm_engine.h"
#include "cm_msg_int.h"
#include "cm_spool.h"
#include "cm_strip.h"

typedef struct cm_sigset {
    cm_sigs sigs;
    unsigned char digests[CM_SIGS_MAX][CM_DIGEST_LEN];  /* of what each one signed */
    size_t engine[CM_SIGS_MAX];                         /* the engine that checked it */
} cm_sigset;

/* Keep add's verdicts, checked by engine e over content digested to dg,
 * after those set has. */
void cm_sigset_keep(cm_sigset *set, const cm_sigs *add, size_t e, const unsigned char *dg);
/* Check the signed structure of x (read from plain), if it has one, and
 * keep its verdicts. e_dec: the engine that decrypted (named for a
 * signature no engine here can check). Opaque signed data's content header
 * is read into x on the way (cm_strip_content_header). CM_OK, or ours:
 * CM_ERR_*, or the content header's refusal. */
cm_stat cm_sigcheck_structure(cm_msg *m, cm_stripped *x, cm_spool *plain, size_t e_dec,
                              cm_sigset *set);

#endif
