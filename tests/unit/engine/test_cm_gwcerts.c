/* GatewayCertificates, TrustAnchors and TrustCRLs (cm_gwcerts) on the
 * fixture's files (tests/fixtures/make-certs.sh): what loads, what is
 * refused, and the cache's keeping to the configuration serial and to the
 * files it read. */
#include "cm_gwcerts.h"
#include "cm_test.h"

#include <string.h>
#include <time.h>
#include <fcntl.h>
#include <unistd.h>

#include <openssl/pem.h>

static char smime[4096];

static const char *fx(const char *rel)
{
    static char path[8][4200];
    static int i;
    const char *k = getenv("CM_TEST_KEYRING");

    ck_assert_ptr_nonnull(k);
    snprintf(smime, sizeof(smime), "%s/smime", k);
    i = (i + 1) % 8;
    snprintf(path[i], sizeof(path[i]), "%s/%s", smime, rel);
    return path[i];
}

static cm_config *cfg_with(const char *files, const char *anchors)
{
    cm_config *cfg = cm_config_new();
    char err[256];

    ck_assert_ptr_nonnull(cfg);
    ck_assert_msg(cm_config_set(cfg, "GatewayCertificates", files, err, sizeof(err)) == 0, "%s", err);
    ck_assert_msg(cm_config_set(cfg, "TrustAnchors", anchors, err, sizeof(err)) == 0, "%s", err);
    return cfg;
}

/* A scratch copy of the files (concatenated) with mode. */
static const char *scratch(const char *name, mode_t mode, const char *a, const char *b)
{
    static char path[4200];
    const char *src[2] = {a, b};
    char buf[8192];
    size_t n;
    int fd, i;
    FILE *out, *in;

    snprintf(path, sizeof(path), "%s/gw-%s-%d.pem", cm_test_tmp(), name, (int) getpid());
    (void) unlink(path);
    ck_assert_int_ge(fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600), 0);
    ck_assert_ptr_nonnull(out = fdopen(fd, "w"));
    for (i = 0; i < 2 && src[i] != NULL; i++) {
        ck_assert_ptr_nonnull(in = fopen(src[i], "r"));
        while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
            ck_assert_uint_eq(fwrite(buf, 1, n, out), n);
        fclose(in);
    }
    ck_assert_int_eq(fclose(out), 0);
    ck_assert_int_eq(chmod(path, mode), 0);
    return path;
}

static void refused_with(cm_config *cfg, cm_stat st, const char *want)
{
    cm_gwcerts *g = (cm_gwcerts *) 1;
    char err[512];

    ck_assert_int_eq(cm_gwcerts_load(cfg, &g, err, sizeof(err)), st);
    ck_assert_ptr_null(g);
    ck_assert_msg(strstr(err, want) != NULL, "reason %s lacks \"%s\"", err, want);
    cm_config_free(cfg);
}

static void refused(cm_config *cfg, const char *want)
{
    refused_with(cfg, CM_ERR_GATEWAY_KEY, want);
}

static cm_config *with_crls(cm_config *cfg, const char *crls)
{
    char err[256];

    ck_assert_msg(cm_config_set(cfg, "TrustCRLs", crls, err, sizeof(err)) == 0, "%s", err);
    return cfg;
}

/* Load cfg (which must load), and say how many CRLs it has. */
static size_t ncrls(cm_config *cfg)
{
    cm_gwcerts *g;
    char err[512];
    size_t n;

    ck_assert_msg(cm_gwcerts_load(cfg, &g, err, sizeof(err)) == CM_OK, "%s", err);
    n = cm_gwcerts_ncrls(g);
    cm_gwcerts_put(g);
    cm_config_free(cfg);
    return n;
}

START_TEST(loads_rsa_and_ec_with_their_keys)
{
    char files[9000], err[512];
    cm_config *cfg;
    cm_gwcerts *g;
    size_t i;

    snprintf(files, sizeof(files), "%s %s", fx("gateway/rsa.pem"), fx("gateway/ec.pem"));
    cfg = cfg_with(files, fx("ca.pem"));
    ck_assert_msg(cm_gwcerts_load(cfg, &g, err, sizeof(err)) == CM_OK, "%s", err);
    ck_assert_uint_eq(cm_gwcerts_count(g), 2);
    for (i = 0; i < 2; i++)
        ck_assert_int_eq(X509_check_private_key(cm_gwcerts_cert(g, i), cm_gwcerts_key(g, i)), 1);
    ck_assert_ptr_nonnull(cm_gwcerts_anchors(g));
    ck_assert_uint_eq(cm_gwcerts_nanchors(g), 1);
    cm_gwcerts_put(g);
    cm_config_free(cfg);
}
END_TEST

START_TEST(certificate_and_key_in_separate_files)
{
    char files[9000], err[512];
    cm_config *cfg;
    cm_gwcerts *g;

    snprintf(files, sizeof(files), "%s %s", fx("gateway-rsa.crt"),
             scratch("key", 0640, fx("keys/gateway-rsa.key"), NULL));
    cfg = cfg_with(files, "");
    ck_assert_msg(cm_gwcerts_load(cfg, &g, err, sizeof(err)) == CM_OK, "%s", err);
    ck_assert_uint_eq(cm_gwcerts_count(g), 1);
    ck_assert_ptr_null(cm_gwcerts_anchors(g));      /* TrustAnchors not set */
    cm_gwcerts_put(g);
    cm_config_free(cfg);
}
END_TEST

START_TEST(key_others_may_read_is_refused)
{
    refused(cfg_with(scratch("open", 0644, fx("gateway/rsa.pem"), NULL), ""),
            "others may access it (mode 0644)");
}
END_TEST

START_TEST(encrypted_key_is_refused)
{
    const char *enc = scratch("enc", 0600, fx("gateway-rsa.crt"), NULL);
    char cmd[9000];
    FILE *fp;

    /* Append the key, encrypted with a passphrase. */
    snprintf(cmd, sizeof(cmd), "openssl pkey -in '%s' -aes256 -passout pass:secret >> '%s'",
             fx("keys/gateway-rsa.key"), enc);
    ck_assert_int_eq(system(cmd), 0);
    ck_assert_ptr_nonnull(fp = fopen(enc, "r"));
    fclose(fp);
    refused(cfg_with(enc, ""), "encrypted private key is not supported");
}
END_TEST

START_TEST(key_without_its_certificate_is_refused)
{
    char files[9000];

    snprintf(files, sizeof(files), "%s %s", fx("gateway-rsa.crt"),
             scratch("alien", 0600, fx("keys/alice.key"), NULL));
    refused(cfg_with(files, ""), "has no certificate in the files listed");
}
END_TEST

START_TEST(certificates_without_a_key_are_refused)
{
    refused(cfg_with(fx("gateway-rsa.crt"), ""), "no private key");
}
END_TEST

START_TEST(missing_file_is_refused)
{
    refused(cfg_with(fx("gateway/none.pem"), ""), "No such file");
}
END_TEST

START_TEST(anchors_without_a_certificate_are_refused)
{
    refused(cfg_with(fx("gateway/rsa.pem"), scratch("noca", 0644, fx("keys/alice.key"), NULL)),
            "TrustAnchors");
}
END_TEST

START_TEST(cache_keeps_to_the_configuration_serial)
{
    cm_config *a = cfg_with(fx("gateway/rsa.pem"), fx("ca.pem"));
    cm_config *b = cfg_with(fx("gateway/ec.pem"), fx("ca.pem"));
    cm_config *bad = cfg_with(fx("gateway/none.pem"), "");
    cm_gwcache *c = cm_gwcache_new();
    cm_gwcerts *g1, *g2, *g3, *g4;

    ck_assert_ptr_nonnull(c);
    ck_assert_int_eq(cm_gwcache_get(c, a, &g1), CM_OK);
    ck_assert_int_eq(cm_gwcache_get(c, a, &g2), CM_OK);
    ck_assert_ptr_eq(g1, g2);                       /* loaded once per configuration */
    ck_assert_int_eq(cm_gwcache_get(c, b, &g3), CM_OK);
    ck_assert_ptr_ne(g3, g1);                       /* a new one (SIGHUP) reads again */
    ck_assert_int_eq(EVP_PKEY_get_base_id(cm_gwcerts_key(g3, 0)), EVP_PKEY_EC);
    ck_assert_int_eq(cm_gwcache_get(c, bad, &g4), CM_ERR_GATEWAY_KEY);
    ck_assert_ptr_null(g4);
    /* A failed load is not kept: the good configuration still loads. */
    ck_assert_int_eq(cm_gwcache_get(c, b, &g4), CM_OK);
    ck_assert_uint_eq(cm_gwcerts_count(g4), 1);
    /* Snapshots outlive the cache's moving on. */
    ck_assert_int_eq(EVP_PKEY_get_base_id(cm_gwcerts_key(g1, 0)), EVP_PKEY_RSA);
    cm_gwcerts_put(g1);
    cm_gwcerts_put(g2);
    cm_gwcerts_put(g3);
    cm_gwcerts_put(g4);
    cm_gwcache_free(c);
    cm_config_free(a);
    cm_config_free(b);
    cm_config_free(bad);
}
END_TEST

START_TEST(crls_are_read_from_the_bundle_and_trustcrls)
{
    ck_assert_uint_eq(ncrls(cfg_with(fx("gateway/rsa.pem"), fx("ca.pem"))), 0);
    ck_assert_uint_eq(ncrls(cfg_with(fx("gateway/rsa.pem"), fx("ca-crl.pem"))), 1);
    ck_assert_uint_eq(ncrls(with_crls(cfg_with(fx("gateway/rsa.pem"), fx("ca.pem")),
                                      fx("crl.pem"))), 1);
    /* Both: nothing given is passed over. */
    ck_assert_uint_eq(ncrls(with_crls(cfg_with(fx("gateway/rsa.pem"), fx("ca-crl.pem")),
                                      fx("other-ca-crl.pem"))), 2);
    /* Out of date: read (a warning), its signers get 4xx when checked. */
    ck_assert_uint_eq(ncrls(with_crls(cfg_with(fx("gateway/rsa.pem"), fx("ca.pem")),
                                      fx("crl-expired.pem"))), 1);
}
END_TEST

START_TEST(trustcrls_that_cannot_be_used_are_refused)
{
    const char *gw = fx("gateway/rsa.pem");

    refused_with(with_crls(cfg_with(gw, fx("ca.pem")), fx("none.pem")), CM_ERR_CRL,
                 "TrustCRLs");
    refused_with(with_crls(cfg_with(gw, fx("ca.pem")), fx("ca.pem")), CM_ERR_CRL, "no PEM CRL");
    refused_with(with_crls(cfg_with(gw, ""), fx("crl.pem")), CM_ERR_CRL, "without TrustAnchors");
}
END_TEST

/* A PEM file with one CRL block whose DER is damaged. */
static const char *damaged_crl(void)
{
    static char path[4200];
    FILE *f;

    snprintf(path, sizeof(path), "%s/gw-badcrl-%d.pem", cm_test_tmp(), (int) getpid());
    ck_assert_ptr_nonnull(f = fopen(path, "w"));
    fputs("-----BEGIN X509 CRL-----\nMIIBAAAAAAAAAAAA\n-----END X509 CRL-----\n", f);
    ck_assert_int_eq(fclose(f), 0);
    return path;
}

START_TEST(damaged_crl_is_a_crl_failure)
{
    const char *bad = damaged_crl();

    refused_with(with_crls(cfg_with(fx("gateway/rsa.pem"), fx("ca.pem")), bad), CM_ERR_CRL,
                 "a CRL cannot be parsed");
    /* In the bundle: still the CRL's fault (CM_ERR_CRL, not the gateway key's). */
    refused_with(cfg_with(fx("gateway/rsa.pem"), scratch("bundle-bad", 0644, fx("ca.pem"), bad)),
                 CM_ERR_CRL, "a CRL cannot be parsed");
}
END_TEST

/* The test CA's CRL, signed, with no nextUpdate (openssl ca cannot make
 * one). */
static const char *crl_without_next_update(void)
{
    static char path[4200];
    X509 *ca;
    EVP_PKEY *key;
    X509_CRL *crl;
    ASN1_TIME *now;
    FILE *f;

    ck_assert_ptr_nonnull(f = fopen(fx("ca.pem"), "r"));
    ck_assert_ptr_nonnull(ca = PEM_read_X509(f, NULL, NULL, NULL));
    fclose(f);
    ck_assert_ptr_nonnull(f = fopen(fx("ca.key"), "r"));
    ck_assert_ptr_nonnull(key = PEM_read_PrivateKey(f, NULL, NULL, NULL));
    fclose(f);
    ck_assert_ptr_nonnull(crl = X509_CRL_new());
    ck_assert_ptr_nonnull(now = ASN1_TIME_set(NULL, time(NULL)));
    ck_assert_int_eq(X509_CRL_set_version(crl, 1), 1);
    ck_assert_int_eq(X509_CRL_set_issuer_name(crl, X509_get_subject_name(ca)), 1);
    ck_assert_int_eq(X509_CRL_set1_lastUpdate(crl, now), 1);
    ck_assert_int_gt(X509_CRL_sign(crl, key, EVP_sha256()), 0);
    snprintf(path, sizeof(path), "%s/gw-nonext-%d.pem", cm_test_tmp(), (int) getpid());
    ck_assert_ptr_nonnull(f = fopen(path, "w"));
    ck_assert_int_eq(PEM_write_X509_CRL(f, crl), 1);
    ck_assert_int_eq(fclose(f), 0);
    ASN1_TIME_free(now);
    X509_CRL_free(crl);
    EVP_PKEY_free(key);
    X509_free(ca);
    return path;
}

START_TEST(crl_without_next_update_is_refused)
{
    refused_with(with_crls(cfg_with(fx("gateway/rsa.pem"), fx("ca.pem")),
                           crl_without_next_update()), CM_ERR_CRL, "has no nextUpdate");
}
END_TEST

/* Put the contents of a (and b) at path, through a new file renamed over
 * it (as a CRL fetcher would), or written in place. */
static void put(const char *path, const char *a, const char *b, int rename_over)
{
    char tmp[4300];
    const char *src;

    if (!rename_over) {
        src = scratch("put", 0644, a, b);
        snprintf(tmp, sizeof(tmp), "cat '%s' > '%s'", src, path);
        ck_assert_int_eq(system(tmp), 0);
        return;
    }
    src = scratch("put", 0644, a, b);
    ck_assert_int_eq(rename(src, path), 0);
}

START_TEST(cache_reads_a_changed_crl_file_again)
{
    char path[4200];
    cm_config *cfg;
    cm_gwcache *c = cm_gwcache_new();
    cm_gwcerts *g1, *g2, *g3, *g4;

    snprintf(path, sizeof(path), "%s/gw-watched-%d.pem", cm_test_tmp(), (int) getpid());
    put(path, fx("crl.pem"), NULL, 1);
    cfg = with_crls(cfg_with(fx("gateway/rsa.pem"), fx("ca.pem")), path);
    ck_assert_ptr_nonnull(c);
    ck_assert_int_eq(cm_gwcache_get(c, cfg, &g1), CM_OK);
    ck_assert_uint_eq(cm_gwcerts_ncrls(g1), 1);
    ck_assert_int_eq(cm_gwcache_get(c, cfg, &g2), CM_OK);
    ck_assert_ptr_eq(g1, g2);                       /* unchanged: kept */
    cm_gwcerts_put(g2);
    /* A new CRL renamed over the file: read without a new configuration. */
    put(path, fx("crl.pem"), fx("other-ca-crl.pem"), 1);
    ck_assert_int_eq(cm_gwcache_get(c, cfg, &g2), CM_OK);
    ck_assert_ptr_ne(g2, g1);
    ck_assert_uint_eq(cm_gwcerts_ncrls(g2), 2);
    /* Written over in place with something that is not a CRL: the set
     * read before is not used any more. */
    put(path, fx("ca.pem"), NULL, 0);
    ck_assert_int_eq(cm_gwcache_get(c, cfg, &g3), CM_ERR_CRL);
    ck_assert_ptr_null(g3);
    ck_assert_int_eq(cm_gwcache_get(c, cfg, &g3), CM_ERR_CRL);     /* nor the next time */
    /* Gone: the same. */
    ck_assert_int_eq(unlink(path), 0);
    ck_assert_int_eq(cm_gwcache_get(c, cfg, &g3), CM_ERR_CRL);
    /* Repaired: read. */
    put(path, fx("crl.pem"), NULL, 1);
    ck_assert_int_eq(cm_gwcache_get(c, cfg, &g3), CM_OK);
    ck_assert_uint_eq(cm_gwcerts_ncrls(g3), 1);
    /* The bundle is watched as well (it may hold CRLs). */
    ck_assert_int_eq(cm_gwcache_get(c, cfg, &g4), CM_OK);
    ck_assert_ptr_eq(g4, g3);
    cm_gwcerts_put(g4);
    cm_config_free(cfg);
    snprintf(path + strlen(path) - 4, 5, ".ca");
    put(path, fx("ca.pem"), NULL, 1);
    cfg = cfg_with(fx("gateway/rsa.pem"), path);
    ck_assert_int_eq(cm_gwcache_get(c, cfg, &g4), CM_OK);
    ck_assert_uint_eq(cm_gwcerts_ncrls(g4), 0);
    cm_gwcerts_put(g4);
    put(path, fx("ca-crl.pem"), NULL, 1);
    ck_assert_int_eq(cm_gwcache_get(c, cfg, &g4), CM_OK);
    ck_assert_uint_eq(cm_gwcerts_ncrls(g4), 1);
    cm_gwcerts_put(g4);
    (void) unlink(path);
    cm_gwcerts_put(g1);
    cm_gwcerts_put(g2);
    cm_gwcerts_put(g3);
    cm_gwcache_free(c);
    cm_config_free(cfg);
}
END_TEST

static void add_cases(Suite *s)
{
    CM_ADD(s, loads_rsa_and_ec_with_their_keys);
    CM_ADD(s, certificate_and_key_in_separate_files);
    CM_ADD(s, key_others_may_read_is_refused);
    CM_ADD(s, encrypted_key_is_refused);
    CM_ADD(s, key_without_its_certificate_is_refused);
    CM_ADD(s, certificates_without_a_key_are_refused);
    CM_ADD(s, missing_file_is_refused);
    CM_ADD(s, anchors_without_a_certificate_are_refused);
    CM_ADD(s, cache_keeps_to_the_configuration_serial);
    CM_ADD(s, crls_are_read_from_the_bundle_and_trustcrls);
    CM_ADD(s, trustcrls_that_cannot_be_used_are_refused);
    CM_ADD(s, damaged_crl_is_a_crl_failure);
    CM_ADD(s, crl_without_next_update_is_refused);
    CM_ADD(s, cache_reads_a_changed_crl_file_again);
}

CM_TEST_MAIN("cm_gwcerts", add_cases)
