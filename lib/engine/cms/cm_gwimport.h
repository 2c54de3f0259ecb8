/* cm_gwimport - cryptmilter-keys import --gateway of the gateway's own
 * S/MIME identity: a certificate with its private key (PEM, in either
 * order, or PKCS#12 without a password), checked (the key is the
 * certificate's, the certificate can be encrypted to and has not expired)
 * and written, mode 0600, into one of the GatewayCertificates files, which
 * the daemon reads when it reloads (docs/keys.md, "The gateway's S/MIME
 * certificate"). */
#ifndef CM_GWIMPORT_H
#define CM_GWIMPORT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "cm_config.h"
#include "cm_engine.h"

/* What one listed GatewayCertificates file holds, against the new
 * certificate's public key. */
typedef enum cm_gwfile {
    CM_GWFILE_MISSING,      /* not there yet */
    CM_GWFILE_SAME,         /* that key (its certificate or private key) and no other identity */
    CM_GWFILE_SHARED,       /* that key, and another identity's private key or certificate */
    CM_GWFILE_OTHER         /* there, without that key */
} cm_gwfile;

/* Where it goes (pure: the files in the order listed). */
typedef enum cm_gwpick {
    CM_GWPICK_REPLACE,      /* files[*at]: the first file holding the key (a renewal) */
    CM_GWPICK_CREATE,       /* files[*at]: none holds it; the first not there yet */
    CM_GWPICK_SHARED,       /* the first file holding it holds another identity: refused */
    CM_GWPICK_FULL          /* none holds it and every one is there (or none listed): refused */
} cm_gwpick;
cm_gwpick cm_gwimport_pick(const cm_gwfile *files, size_t n, size_t *at);

/* Import p[0..n) into cfg's GatewayCertificates as cm_gwimport_pick says,
 * the file given to uid:gid unless uid is (uid_t) -1; fn hears of it
 * (class "smime-gateway", change "written PATH"). CM_OK; CM_BAD_INPUT
 * (refused: what was given is at fault), CM_ERR_CONFIG (no
 * GatewayCertificates, or a listed file cannot be read), CM_ERR_GATEWAY_KEY
 * (no file for it: SHARED or FULL), CM_ERR_CERTS (the write failed),
 * CM_ERR_NOMEM; the reason in err. Nothing is written unless CM_OK. */
cm_stat cm_gwimport(const cm_config *cfg, const void *p, size_t n, uid_t uid, gid_t gid,
                    int64_t now, cm_keychange_fn fn, void *arg, char *err, size_t errlen);

#endif
