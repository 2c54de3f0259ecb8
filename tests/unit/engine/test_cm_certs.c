/* The S/MIME certificate store on the fixture's CertificateDir
 * (tests/fixtures/make-certs.sh), and its cache under change. */
#include "cm_certs.h"
#include "cm_test.h"

#include <openssl/pem.h>
#include <openssl/x509.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static char certs_dir[4096];

static const char *fixture(void)
{
    const char *k = getenv("CM_TEST_KEYRING");

    ck_assert_ptr_nonnull(k);
    snprintf(certs_dir, sizeof(certs_dir), "%s/smime/certs", k);
    return certs_dir;
}

/* The certificate in the fixture file NAME.pem. */
static X509 *file_cert(const char *name)
{
    char path[4200];
    FILE *fp;
    X509 *x;

    snprintf(path, sizeof(path), "%s/%s.pem", fixture(), name);
    ck_assert_ptr_nonnull(fp = fopen(path, "r"));
    x = PEM_read_X509(fp, NULL, NULL, NULL);
    fclose(fp);
    ck_assert_ptr_nonnull(x);
    return x;
}

static void assert_finds(const cm_certs *c, const char *addr, const char *file)
{
    X509 *want = file_cert(file), *got = cm_certs_find(c, addr, (int64_t) time(NULL));

    ck_assert_msg(got != NULL, "no certificate for %s", addr);
    ck_assert_msg(X509_cmp(got, want) == 0, "%s: not the certificate of %s.pem", addr, file);
    X509_free(want);
}

START_TEST(loads_the_usable_ones)
{
    cm_certs *c;

    ck_assert_int_eq(cm_certs_load(fixture(), &c), CM_OK);
    /* sam (2), sue, pat, alice, subj, old (expiry is judged when asked);
     * signer's is not for encryption, and broken.pem is no certificate. */
    ck_assert_uint_eq(cm_certs_count(c), 7);
    ck_assert_uint_eq(cm_certs_skipped(c), 1);
    assert_finds(c, "sue@example.org", "sue");
    assert_finds(c, "pat@example.org", "pat");
    assert_finds(c, "alice@example.org", "alice");
    cm_certs_put(c);
}
END_TEST

START_TEST(newest_of_several)
{
    cm_certs *c;

    ck_assert_int_eq(cm_certs_load(fixture(), &c), CM_OK);
    assert_finds(c, "sam@example.org", "sam");
    cm_certs_put(c);
}
END_TEST

START_TEST(subject_email_when_no_san)
{
    cm_certs *c;

    ck_assert_int_eq(cm_certs_load(fixture(), &c), CM_OK);
    assert_finds(c, "subj@example.org", "subj");
    cm_certs_put(c);
}
END_TEST

START_TEST(exact_address_any_case)
{
    cm_certs *c;
    int64_t now = (int64_t) time(NULL);

    ck_assert_int_eq(cm_certs_load(fixture(), &c), CM_OK);
    assert_finds(c, "SUE@Example.ORG", "sue");
    ck_assert_ptr_null(cm_certs_find(c, "sue@example.org.evil", now));
    ck_assert_ptr_null(cm_certs_find(c, "xsue@example.org", now));
    ck_assert_ptr_null(cm_certs_find(c, "example.org", now));
    ck_assert_ptr_null(cm_certs_find(c, "", now));
    cm_certs_put(c);
}
END_TEST

START_TEST(expired_and_sign_only_are_not_recipients)
{
    cm_certs *c;
    int64_t now = (int64_t) time(NULL);

    ck_assert_int_eq(cm_certs_load(fixture(), &c), CM_OK);
    ck_assert_ptr_null(cm_certs_find(c, "old@example.org", now));
    ck_assert_ptr_null(cm_certs_find(c, "signer@example.org", now));
    /* Validity is judged at the time asked: sue's is not valid in 2020. */
    ck_assert_ptr_null(cm_certs_find(c, "sue@example.org", 1580000000));
    cm_certs_put(c);
}
END_TEST

START_TEST(unreadable_dir_is_an_error)
{
    cm_certs *c = (cm_certs *) 1;

    ck_assert_int_eq(cm_certs_load("/nonexistent/certs", &c), CM_ERR_CERTS);
    ck_assert_ptr_null(c);
}
END_TEST

static void copy_file(const char *from, const char *to)
{
    char buf[8192];
    FILE *in = fopen(from, "r"), *out = fopen(to, "w");
    size_t n;

    ck_assert_ptr_nonnull(in);
    ck_assert_ptr_nonnull(out);
    while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
        ck_assert_uint_eq(fwrite(buf, 1, n, out), n);
    fclose(in);
    ck_assert_int_eq(fclose(out), 0);
}

/* A scratch CertificateDir for the cache tests. */
static void scratch(char *dir, size_t len)
{
    const char *tmp = getenv("CM_TEST_TMP");

    snprintf(dir, len, "%s/certs-XXXXXX", tmp ? tmp : "/tmp");
    ck_assert_ptr_nonnull(mkdtemp(dir));
}

START_TEST(cache_sees_a_file_added_and_rewritten)
{
    char dir[4096], from[4300], to[4300];
    cm_certcache *cc = cm_certcache_new();
    cm_certs *a, *b, *c;
    const uint64_t gen = 1;

    scratch(dir, sizeof(dir));
    ck_assert_ptr_nonnull(cc);
    ck_assert_int_eq(cm_certcache_get(cc, dir, gen, &a), CM_OK);
    ck_assert_uint_eq(cm_certs_count(a), 0);
    /* Added: the directory changed, seen at once. */
    snprintf(from, sizeof(from), "%s/sue.pem", fixture());
    snprintf(to, sizeof(to), "%s/someone.pem", dir);
    copy_file(from, to);
    ck_assert_int_eq(cm_certcache_get(cc, dir, gen, &b), CM_OK);
    ck_assert_ptr_nonnull(cm_certs_find(b, "sue@example.org", (int64_t) time(NULL)));
    /* The snapshot taken before still has none. */
    ck_assert_ptr_null(cm_certs_find(a, "sue@example.org", (int64_t) time(NULL)));
    /* Rewritten in place (the directory's times stay): seen once the
     * second has passed. */
    snprintf(from, sizeof(from), "%s/pat.pem", fixture());
    copy_file(from, to);
    sleep(2);
    ck_assert_int_eq(cm_certcache_get(cc, dir, gen, &c), CM_OK);
    ck_assert_ptr_null(cm_certs_find(c, "sue@example.org", (int64_t) time(NULL)));
    ck_assert_ptr_nonnull(cm_certs_find(c, "pat@example.org", (int64_t) time(NULL)));
    cm_certs_put(a);
    cm_certs_put(b);
    cm_certs_put(c);
    cm_certcache_free(cc);
    ck_assert_int_eq(unlink(to), 0);
    ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

START_TEST(cache_reloads_for_a_new_generation)
{
    char dir[4096], from[4300], to[4300];
    cm_certcache *cc = cm_certcache_new();
    cm_certs *a, *b;
    const uint64_t gen1 = 1, gen2 = 2;

    scratch(dir, sizeof(dir));
    ck_assert_int_eq(cm_certcache_get(cc, dir, gen1, &a), CM_OK);
    snprintf(from, sizeof(from), "%s/sue.pem", fixture());
    snprintf(to, sizeof(to), "%s/x.pem", dir);
    copy_file(from, to);
    /* Within the second, but a reloaded configuration: read again. */
    ck_assert_int_eq(cm_certcache_get(cc, dir, gen2, &b), CM_OK);
    ck_assert_ptr_nonnull(cm_certs_find(b, "sue@example.org", (int64_t) time(NULL)));
    cm_certs_put(a);
    cm_certs_put(b);
    cm_certcache_free(cc);
    ck_assert_int_eq(unlink(to), 0);
    ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

START_TEST(cache_fails_closed_when_the_dir_goes)
{
    char dir[4096];
    cm_certcache *cc = cm_certcache_new();
    cm_certs *a, *b = (cm_certs *) 1;
    const uint64_t gen = 1;

    scratch(dir, sizeof(dir));
    ck_assert_int_eq(cm_certcache_get(cc, dir, gen, &a), CM_OK);
    ck_assert_int_eq(rmdir(dir), 0);
    ck_assert_int_eq(cm_certcache_get(cc, dir, gen, &b), CM_ERR_CERTS);
    ck_assert_ptr_null(b);
    cm_certs_put(a);
    cm_certcache_free(cc);
}
END_TEST

/* A file that is there but cannot be read (here a symbolic link that loops:
 * stat fails with ELOOP, even for root) hides a certificate; its owner's
 * mail must not look keyless. The load fails, and the cache keeps failing
 * rather than serve the snapshot from before. */
START_TEST(unreadable_file_fails_closed)
{
    char dir[4096], from[4300], to[4300], loop[4300];
    cm_certcache *cc = cm_certcache_new();
    cm_certs *a, *b = (cm_certs *) 1, *c = (cm_certs *) 1;
    const uint64_t gen = 1;

    scratch(dir, sizeof(dir));
    snprintf(from, sizeof(from), "%s/sue.pem", fixture());
    snprintf(to, sizeof(to), "%s/sue.pem", dir);
    copy_file(from, to);
    ck_assert_int_eq(cm_certcache_get(cc, dir, gen, &a), CM_OK);
    ck_assert_ptr_nonnull(cm_certs_find(a, "sue@example.org", (int64_t) time(NULL)));
    snprintf(loop, sizeof(loop), "%s/loop.pem", dir);
    ck_assert_int_eq(symlink("loop.pem", loop), 0);
    ck_assert_int_eq(cm_certs_load(dir, &b), CM_ERR_CERTS);
    ck_assert_ptr_null(b);
    ck_assert_int_eq(cm_certcache_get(cc, dir, gen, &b), CM_ERR_CERTS);
    ck_assert_int_eq(cm_certcache_get(cc, dir, gen, &c), CM_ERR_CERTS);
    ck_assert_ptr_null(c);
    /* Mended: served again. */
    ck_assert_int_eq(unlink(loop), 0);
    ck_assert_int_eq(cm_certcache_get(cc, dir, gen, &c), CM_OK);
    ck_assert_ptr_nonnull(cm_certs_find(c, "sue@example.org", (int64_t) time(NULL)));
    cm_certs_put(a);
    cm_certs_put(c);
    cm_certcache_free(cc);
    ck_assert_int_eq(unlink(to), 0);
    ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

/* EncryptToSelf's certificate files: the first PEM certificate and its
 * state; a file without one, or none at all, is missing. */
START_TEST(read_one_states)
{
    static const struct {
        const char *name;
        cm_key_state st;
        int has;
    } v[] = {
        {"sue.pem", CM_KEY_USABLE, 1},
        {"old.pem", CM_KEY_EXPIRED, 1},
        {"signer.pem", CM_KEY_NO_ENCRYPTION, 1},
        {"broken.pem", CM_KEY_MISSING, 0},
        {"no-such-file.pem", CM_KEY_MISSING, 0},
    };
    char path[4200];
    size_t i;

    for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        cm_keyinfo ki = {"EncryptToSelf", path, -1, CM_KEY_USABLE};
        X509 *x = NULL;

        snprintf(path, sizeof(path), "%s/%s", fixture(), v[i].name);
        ck_assert_int_eq(cm_certs_read_one(path, (int64_t) time(NULL), &x, &ki), CM_OK);
        ck_assert_msg(ki.state == v[i].st, "%s: state %d", v[i].name, (int) ki.state);
        ck_assert_int_eq(x != NULL, v[i].has);
        if (v[i].has)
            ck_assert_int_gt(ki.expires, 0);
        X509_free(x);
    }
}
END_TEST

static void add_cases(Suite *s)
{
    CM_ADD(s, loads_the_usable_ones);
    CM_ADD(s, newest_of_several);
    CM_ADD(s, subject_email_when_no_san);
    CM_ADD(s, exact_address_any_case);
    CM_ADD(s, expired_and_sign_only_are_not_recipients);
    CM_ADD(s, unreadable_dir_is_an_error);
    CM_ADD(s, cache_sees_a_file_added_and_rewritten);
    CM_ADD(s, cache_reloads_for_a_new_generation);
    CM_ADD(s, cache_fails_closed_when_the_dir_goes);
    CM_ADD(s, unreadable_file_fails_closed);
    CM_ADD(s, read_one_states);
}

CM_TEST_MAIN("certs", add_cases)
