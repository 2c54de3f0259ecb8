/* GatewayCertificates and TrustAnchors (cm_gwcerts) on the fixture's files
 * (tests/fixtures/make-certs.sh): what loads, what is refused, and the
 * cache's keeping to the configuration serial. */
#include "cm_gwcerts.h"
#include "cm_test.h"

#include <string.h>
#include <fcntl.h>
#include <unistd.h>

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

static void refused(cm_config *cfg, const char *want)
{
    cm_gwcerts *g = (cm_gwcerts *) 1;
    char err[512];

    ck_assert_int_eq(cm_gwcerts_load(cfg, &g, err, sizeof(err)), CM_ERR_GATEWAY_KEY);
    ck_assert_ptr_null(g);
    ck_assert_msg(strstr(err, want) != NULL, "reason %s lacks \"%s\"", err, want);
    cm_config_free(cfg);
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
}

CM_TEST_MAIN("cm_gwcerts", add_cases)
