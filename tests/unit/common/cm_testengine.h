/* cm_testengine - the engine fixture the engine tests share: one engine per
 * test process, a session on the fixture keyring (CM_TEST_KEYRING, made by
 * tests/fixtures/make-keyring.sh), and the gpg of the sending user that
 * makes their inputs. */
#ifndef CM_TESTENGINE_H
#define CM_TESTENGINE_H

#include "cm_buf.h"
#include "cm_config.h"
#include "cm_engine.h"

#include <stddef.h>

typedef struct cm_testsession {
    const cm_engine_ops *ops;
    cm_config *cfg;
    cm_msgctx mc;
    cm_engine_session *s;
    char gw[128];           /* the gateway key's fingerprint (export/gateway.fpr) */
} cm_testsession;

/* The test process's engine of ops, created at the first call (check forks
 * each test: one engine per test). */
cm_engine *cm_testengine(const cm_engine_ops *ops);

/* A configuration on the fixture keyring, MissingKeyAction split, GatewayKeys
 * gateway_keys (NULL: the gateway key), KeyringDir keyring_dir (NULL: the
 * fixture's); then a session of ops on it, which must open. */
void cm_testsession_open(cm_testsession *f, const cm_engine_ops *ops, const char *gateway_keys,
                         const char *keyring_dir);
/* A session of ops on cfg, which the session then owns (freed on close). */
void cm_testsession_open_cfg(cm_testsession *f, const cm_engine_ops *ops, cm_config *cfg);
void cm_testsession_close(cm_testsession *f);

/* The S/MIME fixture (tests/fixtures/make-certs.sh, in CM_TEST_KEYRING/smime):
 * CertificateDir its certs/, GatewayCertificates its RSA and EC gateway,
 * TrustAnchors its CA. */
cm_config *cm_testengine_smime_config(void);
/* The path of name under the S/MIME fixture into out. */
void cm_testengine_smime_path(const char *name, char *out, size_t len);

/* The first line of the file name under CM_TEST_KEYRING. */
void cm_testengine_keyring_file(const char *name, char *out, size_t len);
/* Colon field number field (0-based) of the first line of type that gpg
 * lists for who in the GnuPG home CM_TEST_KEYRING/home. */
void cm_testengine_colons(const char *home, const char *who, const char *type, int field,
                          char *out, size_t len);
/* The output of the sending user's gpg (CM_TEST_KEYRING/sender) run with
 * args over input, armored if armor, into out (reset first). */
void cm_testengine_sender_gpg(const char *args, int armor, const char *input, cm_buf *out);
/* The whole output of the shell command cmd into out (reset first); it must
 * exit 0. */
void cm_testengine_run(const char *cmd, cm_buf *out);
/* An openssl command (printf-like, its errors silenced) run; its standard
 * output into out. 0 if it exited 0, else -1. */
int cm_testengine_openssl(cm_buf *out, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* A scratch file name of this test process for name, into out. */
void cm_testengine_scratch(const char *name, char *out, size_t len);
/* The file path made to hold the n bytes at p. */
void cm_testengine_write_file(const char *path, const void *p, size_t n);
/* The path of name under the S/MIME fixture (one of four static buffers,
 * reused in turn). */
const char *cm_testengine_sm(const char *name);
/* text (len bytes) enveloped by openssl to the certificate file cert, with
 * cipher (an openssl cms option such as -aes256), into der (DER). */
void cm_testengine_smime_envelope(const char *cert, const char *cipher, const void *text,
                                  size_t len, cm_buf *der);

/* The contract of verify_detached, the same for every engine: sig, a
 * detached signature over text by the key or certificate of fingerprint
 * fpr, is good and names fpr; over text with one letter changed it is bad;
 * "garbage" as the signature is not good. */
void cm_testengine_detached_contract(cm_testsession *f, const void *sig, size_t siglen,
                                     const char *text, const char *fpr);

#endif
