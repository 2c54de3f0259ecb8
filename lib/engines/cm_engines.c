/* cm_engines - the engine registry. */
#include "cm_engines.h"
#include "cm_archkeys.h"
#include "cm_digest.h"
#include "cm_certs.h"
#include "cm_certsync.h"
#include "cm_cms.h"
#include "cm_gpgme.h"
#include "cm_gwcerts.h"
#include "cm_rnp.h"

#include "cm_keyring.h"
#include "cm_log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>


static const cm_engine_ops *const openpgp[CM_BACKENDS] = {
    [CM_BACKEND_GPGME] = &cm_gpgme_engine,
    [CM_BACKEND_RNP] = &cm_rnp_engine,
};

/* Decryption with a gateway secret key: gpg-agent's, through GPGME, under
 * either backend (cm_engines_pgp_decrypter). */
static const cm_engine_ops *const pgp_decrypter = &cm_gpgme_engine;

static cm_engines *create_backend(int backend, cm_stat *st, char *err, size_t errlen)
{
    cm_engines *e = calloc(1, sizeof(*e));
    size_t want;

    if (e == NULL) {
        *st = CM_ERR_NOMEM;
        return NULL;
    }
    if (backend < 0 || backend >= CM_BACKENDS) {
        free(e);
        *st = CM_ERR_INTERNAL;
        return NULL;
    }
    /* OpenPGP first, then S/MIME: the order keys are looked for in. */
    e->v[0].ops = openpgp[backend];
    e->v[1].ops = &cm_cms_engine;
    e->n = want = 2;
    if (openpgp[backend] != pgp_decrypter) {
        e->pgp_decrypt = want;
        e->v[want++].ops = pgp_decrypter;
    }
    for (e->held = 0; e->held < want; e->held++)
        if ((*st = e->v[e->held].ops->create(&e->v[e->held].engine, err, errlen)) != CM_OK) {
            cm_engines_destroy(e);
            return NULL;
        }
    return e;
}

size_t cm_engines_pgp_decrypter(const cm_engines *e)
{
    return e->pgp_decrypt;
}

cm_engines *cm_engines_create(const cm_config *cfg, cm_stat *st, char *err, size_t errlen)
{
    return create_backend(cfg->openpgp_backend, st, err, errlen);
}

void cm_engines_destroy(cm_engines *e)
{
    size_t i;

    if (e == NULL)
        return;
    for (i = 0; i < e->held; i++)
        e->v[i].ops->destroy(e->v[i].engine);
    free(e);
}

cm_engine_set *cm_engine_set_create(cm_stat *st, char *err, size_t errlen)
{
    cm_engine_set *set = calloc(1, sizeof(*set));
    int b;

    if (set == NULL) {
        *st = CM_ERR_NOMEM;
        return NULL;
    }
    for (b = 0; b < CM_BACKENDS; b++)
        if ((set->by_backend[b] = create_backend(b, st, err, errlen)) == NULL) {
            cm_engine_set_destroy(set);
            return NULL;
        }
    *st = CM_OK;
    return set;
}

const cm_engines *cm_engine_set_pick(const cm_engine_set *set, const cm_config *cfg)
{
    int b = cfg->openpgp_backend;

    return set->by_backend[b >= 0 && b < CM_BACKENDS ? b : CM_BACKEND_GPGME];
}

void cm_engine_set_destroy(cm_engine_set *set)
{
    int b;

    if (set == NULL)
        return;
    for (b = 0; b < CM_BACKENDS; b++)
        cm_engines_destroy(set->by_backend[b]);
    free(set);
}

static cm_stat check_certdir(const cm_config *cfg, char *report, size_t len)
{
    cm_certs *c;
    cm_stat st;

    if (!cm_config_has_certs(cfg)) {
        snprintf(report, len, "CertificateDir none: no S/MIME recipients");
        return CM_OK;
    }
    if ((st = cm_certs_load(cfg->certificate_dir, &c)) != CM_OK) {
        snprintf(report, len, "CertificateDir %s: cannot be read", cfg->certificate_dir);
        return st;
    }
    snprintf(report, len, "CertificateDir %s: %zu certificates loaded, %zu files skipped",
             cfg->certificate_dir, cm_certs_count(c), cm_certs_skipped(c));
    cm_certs_put(c);
    return CM_OK;
}

cm_stat cm_engines_check_gateway(const cm_config *cfg, char *err, size_t errlen)
{
    cm_gwcerts *g;
    cm_stat st = cm_gwcerts_load(cfg, &g, err, errlen);

    cm_gwcerts_put(g);
    return st;
}

/* GatewayKeys: each in the keyring, its secret part usable (the engine's
 * gateway_ready), asked of the engine that decrypts, whatever the backend,
 * as a message would ask it. */
static cm_stat check_gateway_keys(const cm_config *cfg, char *report, size_t len)
{
    const cm_engine_ops *ops = pgp_decrypter;
    cm_msgctx mc = {cfg, NULL, 0};
    cm_engine *e = NULL;
    cm_engine_session *s = NULL;
    char why[512];
    cm_stat st;

    if (cfg->gateway_keys.n == 0) {
        snprintf(report, len, "GatewayKeys none: outbound OpenPGP passes as it is");
        return CM_OK;
    }
    if ((st = ops->create(&e, why, sizeof(why))) != CM_OK) {
        snprintf(report, len, "GatewayKeys: the %s engine cannot start: %s", ops->name, why);
        return st;
    }
    if ((st = ops->session_new(e, &mc, &s)) != CM_OK)
        snprintf(report, len, "GatewayKeys: KeyringDir %s cannot be read (%s engine)",
                 cfg->keyring_dir, ops->name);
    else if ((st = ops->gateway_ready(s, why, sizeof(why))) != CM_OK)
        snprintf(report, len, "%s", why);
    else
        snprintf(report, len, "GatewayKeys: all %zu in KeyringDir, with usable secret parts",
                 cfg->gateway_keys.n);
    if (s != NULL)
        ops->session_free(s);
    ops->destroy(e);
    return st;
}

/* A directory whose public keyring is not there yet, or holds no key:
 * gpg makes the file on the first import. */
static int keyring_empty(const char *dir, cm_keyring_status ks, size_t nkeys)
{
    struct stat st;

    if (ks == CM_KEYRING_OK)
        return nkeys == 0;
    return ks == CM_KEYRING_MISSING && stat(dir, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The EncryptToSelf entries of one class (certs) to fn, each as key_by_id
 * finds it (s NULL: an empty keyring, where every key is missing; S/MIME:
 * the file read now). addr is "EncryptToSelf". */
static cm_stat archive_run(const cm_config *cfg, int certs, const cm_engine_ops *ops,
                           cm_engine_session *s, int64_t now, cm_keyinfo_fn fn, void *arg)
{
    const cm_list *ets = &cfg->encrypt_to_self;
    const cm_key *key = NULL;
    X509 *x = NULL;
    cm_stat st = CM_OK;
    size_t i;

    for (i = 0; i < ets->n && st == CM_OK; i++) {
        cm_keyinfo ki = {"EncryptToSelf", ets->v[i], 0, CM_KEY_MISSING};

        if (cm_archkeys_is_cert(ets->v[i]) != certs)
            continue;
        if (certs) {
            st = cm_certs_read_one(ets->v[i], now, &x, &ki);
            X509_free(x);
        } else if (s != NULL) {
            st = ops->key_by_id(s, ets->v[i], now, &key, &ki);
        }
        if (st == CM_OK && fn(arg, &ki) != 0)
            break;
    }
    return st;
}

/* Runs one keyring hook of the configured OpenPGP engine on a session of
 * KeyringDir: summary (sum), listing (fn), or with archive the OpenPGP
 * archive keys (fn). An empty or absent keyring directory is nothing to
 * report, and holds no archive key. */
static cm_stat keyring_run(const cm_config *cfg, int64_t now, int64_t window,
                           cm_keyring_summary *sum, cm_keyinfo_fn fn, void *arg, int archive,
                           char *err, size_t errlen)
{
    const cm_engine_ops *ops = openpgp[cfg->openpgp_backend == CM_BACKEND_RNP
                                      ? CM_BACKEND_RNP : CM_BACKEND_GPGME];
    cm_msgctx mc = {cfg, NULL, 0};
    cm_snapshot_file id;
    cm_keyring_status ks;
    cm_engine *e = NULL;
    cm_engine_session *s = NULL;
    char why[512];
    size_t nkeys = 0;
    cm_stat st;

    if (!cm_config_has_keyring(cfg))
        return CM_OK;
    ks = cm_keyring_scan(cfg->keyring_dir, &id, &nkeys, why, sizeof(why));
    if (keyring_empty(cfg->keyring_dir, ks, nkeys))
        return archive ? archive_run(cfg, 0, ops, NULL, now, fn, arg) : CM_OK;
    if (ks != CM_KEYRING_OK) {
        snprintf(err, errlen, "%s%s", why, ks == CM_KEYRING_DAMAGED ? " (damaged)" : "");
        return ks == CM_KEYRING_DAMAGED ? CM_ERR_KEYRING_DAMAGED : CM_ERR_KEYRING;
    }
    if ((st = ops->create(&e, why, sizeof(why))) != CM_OK) {
        snprintf(err, errlen, "the %s engine cannot start: %s", ops->name, why);
        return st;
    }
    if ((st = ops->session_new(e, &mc, &s)) != CM_OK)
        snprintf(err, errlen, "KeyringDir %s: the %s engine cannot read it (the reason is "
                 "logged above)", cfg->keyring_dir, ops->name);
    else if (archive)
        st = archive_run(cfg, 0, ops, s, now, fn, arg);
    else if (sum != NULL)
        st = ops->keyring_summary(s, now, window, sum);
    else
        st = ops->keyring_list(s, now, fn, arg);
    if (s != NULL)
        ops->session_free(s);
    ops->destroy(e);
    return st;
}

cm_stat cm_engines_check_keyring(const cm_config *cfg, int64_t now, int64_t window,
                                 cm_keyring_summary *sum, char *err, size_t errlen)
{
    memset(sum, 0, sizeof(*sum));
    return keyring_run(cfg, now, window, sum, NULL, NULL, 0, err, errlen);
}

cm_stat cm_engines_list_keyring(const cm_config *cfg, int64_t now, cm_keyinfo_fn fn, void *arg,
                                char *err, size_t errlen)
{
    return keyring_run(cfg, now, 0, NULL, fn, arg, 0, err, errlen);
}

cm_stat cm_engines_list_certs(const cm_config *cfg, int64_t now, cm_keyinfo_fn fn, void *arg,
                              char *err, size_t errlen)
{
    cm_certs *c;
    cm_stat st;

    if (!cm_config_has_certs(cfg))
        return CM_OK;
    if ((st = cm_certs_load(cfg->certificate_dir, &c)) != CM_OK) {
        snprintf(err, errlen, "CertificateDir %s cannot be read (the reason is logged above)",
                 cfg->certificate_dir);
        return st;
    }
    if ((st = cm_certs_list(c, now, fn, arg)) != CM_OK)
        snprintf(err, errlen, "CertificateDir %s: out of memory", cfg->certificate_dir);
    cm_certs_put(c);
    return st;
}

cm_stat cm_engines_list_archive(const cm_config *cfg, int64_t now, cm_keyinfo_fn fn, void *arg,
                                char *err, size_t errlen)
{
    cm_stat st = CM_OK;

    if (cm_archkeys_count(&cfg->encrypt_to_self, 0) > 0)
        st = keyring_run(cfg, now, 0, NULL, fn, arg, 1, err, errlen);
    if (st == CM_OK && (st = archive_run(cfg, 1, NULL, NULL, now, fn, arg)) != CM_OK)
        snprintf(err, errlen, "EncryptToSelf: out of memory");
    return st;
}

cm_stat cm_engines_check(const cm_config *cfg, char *report, size_t len)
{
    char a[1024], b[1024], c[1024];
    cm_gwcerts *g = NULL;
    cm_stat st = check_certdir(cfg, a, sizeof(a)), gst, kst = check_gateway_keys(cfg, c, sizeof(c));

    if ((gst = cm_gwcerts_load(cfg, &g, b, sizeof(b))) == CM_OK) {
        if (cfg->gateway_certificates.n == 0)
            snprintf(b, sizeof(b), "GatewayCertificates none: outbound S/MIME passes as it is");
        else
            snprintf(b, sizeof(b), "GatewayCertificates: %zu certificates with their keys; "
                     "TrustAnchors: %zu%s", cm_gwcerts_count(g), cm_gwcerts_nanchors(g),
                     cfg->trust_anchors[0] ? " certificates"
                     : " (not set: every S/MIME signer will be refused)");
    }
    cm_gwcerts_put(g);
    snprintf(report, len, "%s\n%s\n%s", a, b, c);
    return st != CM_OK ? st : gst != CM_OK ? gst : kst;
}

cm_stat cm_engines_rebuild_keyring(const cm_config *cfg, const char *staging, const cm_keyblob *v,
                                   size_t n, cm_rebuild_report *rep, char *err, size_t errlen)
{
    /* The engine that owns the keyring's secret side writes its public side. */
    return cm_gpgme_rebuild_keyring(cfg, staging, v, n, rep, err, errlen);
}

cm_stat cm_engines_import_addr(const cm_config *cfg, const char *home, const void *p, size_t n,
                               const char *addr, cm_imported_fn fn, void *arg,
                               cm_import_report *rep, char *err, size_t errlen)
{
    return cm_gpgme_keepuid_import(cfg, home, p, n, addr, fn, arg, rep, err, errlen);
}

cm_stat cm_engines_rebuild_certdir(const char *staging, const cm_keyblob *v, size_t n,
                                   cm_rebuild_report *rep, char *err, size_t errlen)
{
    cm_certs *c;
    cm_stat st = cm_certsync_write(staging, v, n, rep, err, errlen);

    if (st != CM_OK)
        return st;
    if ((st = cm_certs_load(staging, &c)) != CM_OK) {
        snprintf(err, errlen, "the rebuilt certificate directory %s does not load", staging);
        return st;
    }
    if (cm_certs_count(c) < rep->keys)
        cm_log_warn("keysync: %zu of %zu certificates cannot encrypt (the daemon skips them)",
                    rep->keys - cm_certs_count(c), rep->keys);
    cm_certs_put(c);
    return CM_OK;
}

void cm_engines_thread_done(void)
{
    cm_digest_thread_done();
}
