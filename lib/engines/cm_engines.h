/* cm_engines - the engine registry: the one place that names concrete
 * engines, and picks them from the configuration. */
#ifndef CM_ENGINES_H
#define CM_ENGINES_H

#include "cm_engine.h"

#define CM_ENGINES_MAX 4

/* v[0..n): the engines in the order a recipient's key is looked for: the
 * first that has a key for the address decides its class (OpenPGP before
 * S/MIME, as SPEC §3.2 says). v[n..held): engines kept for one task only,
 * never asked for keys (the GPGME engine that decrypts when OpenPGPBackend
 * is rnp). */
typedef struct cm_engines {
    cm_engine_ref v[CM_ENGINES_MAX];
    size_t n;
    size_t held;
    size_t pgp_decrypt;     /* see cm_engines_pgp_decrypter */
} cm_engines;

/* The engine (an index into v) that decrypts OpenPGP with a gateway
 * secret key: GPGME, always, whatever OpenPGPBackend says. Secret keys
 * stay in gpg-agent (a passphrase preset there, a smartcard) and there is
 * one decryption behaviour; librnp encrypts and checks signatures with
 * public keys only. With OpenPGPBackend gpgme it is the OpenPGP engine. */
size_t cm_engines_pgp_decrypter(const cm_engines *e);

/* Create the engines cfg asks for (its OpenPGPBackend). NULL on failure,
 * with the reason in err and the status in *st. */
cm_engines *cm_engines_create(const cm_config *cfg, cm_stat *st, char *err, size_t errlen);
void cm_engines_destroy(cm_engines *e);

/* For `cryptmilter -n`: load the key stores cfg names (CertificateDir,
 * GatewayCertificates, TrustAnchors; GatewayKeys through the OpenPGP
 * decrypting engine: in the keyring, secret part usable) and say what they
 * hold, a line each in report ('\n' between; 4 KiB holds them). CM_OK, or
 * the first failure (report says why). */
cm_stat cm_engines_check(const cm_config *cfg, char *report, size_t len);

/* For `cryptmilter -n`: KeyringDir read as the engine of cfg's
 * OpenPGPBackend reads it, counted into *sum (cm_engine.h; window: the
 * seconds after now a key that stops encrypting counts as expiring).
 * CM_OK also for a directory with no keys in it yet (sum->keys 0: the
 * caller warns) and for KeyringDir none (sum zero); else
 * CM_ERR_KEYRING_DAMAGED or another failure, the reason in err. */
cm_stat cm_engines_check_keyring(const cm_config *cfg, int64_t now, int64_t window,
                                 cm_keyring_summary *sum, char *err, size_t errlen);
/* cryptmilter-keys: fn for every address and key of KeyringDir, read by the
 * configured OpenPGP engine, in address order, as they stand at now. */
cm_stat cm_engines_list_keyring(const cm_config *cfg, int64_t now, cm_keyinfo_fn fn, void *arg,
                                char *err, size_t errlen);
/* cryptmilter-keys: fn for every address and certificate of CertificateDir
 * (those the cms engine can encrypt to), in address order. */
cm_stat cm_engines_list_certs(const cm_config *cfg, int64_t now, cm_keyinfo_fn fn, void *arg,
                              char *err, size_t errlen);

/* `cryptmilter -n` and cryptmilter-keys: fn for every EncryptToSelf entry
 * as it stands at now (addr "EncryptToSelf", id the entry): an OpenPGP one
 * as the configured engine finds it in KeyringDir (CM_KEY_MISSING if it is
 * not there), a certificate file as read now. CM_OK, or the failure to
 * read KeyringDir with the reason in err. */
cm_stat cm_engines_list_archive(const cm_config *cfg, int64_t now, cm_keyinfo_fn fn, void *arg,
                                char *err, size_t errlen);

/* At start and before a reload is taken: GatewayCertificates and
 * TrustAnchors must load (a private key that others may read is refused
 * here). CM_OK, or CM_ERR_GATEWAY_KEY with the reason in err. */
cm_stat cm_engines_check_gateway(const cm_config *cfg, char *err, size_t errlen);

/* For cryptmilter-keysync: make a public keyring from scratch in staging
 * (an empty GnuPG home on KeyringDir's file system) with the engine that
 * decrypts (GPGME: gpg imports), from the blobs and the GatewayKeys keys
 * KeyringDir holds now; see cm_gpgme_rebuild_keyring. The caller checks
 * the file and renames it into place. */
cm_stat cm_engines_rebuild_keyring(const cm_config *cfg, const char *staging, const cm_keyblob *v,
                                   size_t n, cm_rebuild_report *rep, char *err, size_t errlen);

/* For cryptmilter-keys wkd: the public keys p[0..n) served for addr
 * imported into the GnuPG home home, each with only its user IDs of addr;
 * see cm_gpgme_keepuid_import. gpg imports whatever OpenPGPBackend says
 * (librnp reads the keybox gpg writes), as for the rebuild above. */
cm_stat cm_engines_import_addr(const cm_config *cfg, const char *home, const void *p, size_t n,
                               const char *addr, cm_imported_fn fn, void *arg,
                               cm_import_report *rep, char *err, size_t errlen);

/* For cryptmilter-keysync: write the certificates v (DER) into staging, an
 * empty directory beside CertificateDir, as the S/MIME engine reads them;
 * then load staging as the daemon would (cm_certs_load). rep as
 * cm_certsync_write's. CM_OK, or a failure with the reason in err. */
cm_stat cm_engines_rebuild_certdir(const char *staging, const cm_keyblob *v, size_t n,
                                   cm_rebuild_report *rep, char *err, size_t errlen);

/* After a check in a thread that lives on, or ends after the libraries
 * are torn down (the reload thread): release what OpenSSL keeps per
 * thread (its error queue), which would otherwise be lost at exit. */
void cm_engines_thread_done(void);

/* A long-running process's engines: one list per OpenPGPBackend, all made
 * at start (before threads), so that a reload may switch backends; each
 * message takes the list its configuration snapshot names. */
typedef struct cm_engine_set {
    cm_engines *by_backend[CM_BACKENDS];
} cm_engine_set;

cm_engine_set *cm_engine_set_create(cm_stat *st, char *err, size_t errlen);
const cm_engines *cm_engine_set_pick(const cm_engine_set *set, const cm_config *cfg);
void cm_engine_set_destroy(cm_engine_set *set);

#endif
