#include "cm_certsync.h"
#include "cm_certs.h"
#include "cm_test.h"

#include <dirent.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A fixture certificate (keyring_setup's smime/certs) as DER, on the heap. */
static unsigned char *der_of(const char *name, size_t *n)
{
    const char *k = getenv("CM_TEST_KEYRING");
    unsigned char *der = NULL;
    char path[4096];
    X509 *x;
    FILE *fp;
    int len;

    ck_assert_ptr_nonnull(k);
    snprintf(path, sizeof(path), "%s/smime/certs/%s.pem", k, name);
    ck_assert_ptr_nonnull(fp = fopen(path, "r"));
    ck_assert_ptr_nonnull(x = PEM_read_X509(fp, NULL, NULL, NULL));
    fclose(fp);
    ck_assert_int_gt(len = i2d_X509(x, &der), 0);
    X509_free(x);
    *n = (size_t) len;
    return der;
}

static size_t files_in(const char *dir)
{
    struct dirent *de;
    size_t n = 0;
    DIR *d = opendir(dir);

    ck_assert_ptr_nonnull(d);
    while ((de = readdir(d)) != NULL)
        n += de->d_name[0] != '.';
    closedir(d);
    return n;
}

/* Two certificates (one given twice) become two PEM files the daemon's
 * loader indexes by address; what is not a certificate, or has bytes after
 * it, is counted as rejected and written nowhere. */
START_TEST(writes_what_the_daemon_loads)
{
    size_t npat, nalice;
    unsigned char *pat = der_of("pat", &npat), *alice = der_of("alice", &nalice);
    unsigned char *trailing = malloc(npat + 1);
    static const char junk[] = "not a certificate";
    cm_keyblob v[5];
    cm_rebuild_report rep;
    cm_certs *c;
    char dir[4096], err[256];

    ck_assert_ptr_nonnull(trailing);
    memcpy(trailing, pat, npat);
    trailing[npat] = 0;
    v[0] = (cm_keyblob){pat, npat, "uid=pat"};
    v[1] = (cm_keyblob){alice, nalice, "uid=alice"};
    v[2] = (cm_keyblob){pat, npat, "uid=pat2"};
    v[3] = (cm_keyblob){junk, sizeof(junk), "uid=junk"};
    v[4] = (cm_keyblob){trailing, npat + 1, "uid=trailing"};
    cm_test_path(dir, sizeof(dir), "certsync");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    ck_assert_int_eq(cm_certsync_write(dir, v, 5, &rep, err, sizeof(err)), CM_OK);
    ck_assert_uint_eq(rep.keys, 2);
    ck_assert_uint_eq(rep.rejected, 2);
    ck_assert_uint_eq(files_in(dir), 2);
    ck_assert_int_eq(cm_certs_load(dir, &c), CM_OK);
    ck_assert_uint_eq(cm_certs_skipped(c), 0);
    cm_certs_put(c);
    OPENSSL_free(pat);
    OPENSSL_free(alice);
    free(trailing);
}
END_TEST

/* A directory that cannot be written is an error, not an empty result. */
START_TEST(unwritable_is_an_error)
{
    size_t n;
    unsigned char *pat = der_of("pat", &n);
    cm_keyblob v = {pat, n, "uid=pat"};
    cm_rebuild_report rep;
    char err[256] = "";

    ck_assert_int_eq(cm_certsync_write("/nonexistent/dir", &v, 1, &rep, err, sizeof(err)),
                     CM_ERR_CERTS);
    ck_assert_ptr_nonnull(strstr(err, "/nonexistent/dir"));
    OPENSSL_free(pat);
}
END_TEST

static void add(Suite *s)
{
    CM_ADD(s, writes_what_the_daemon_loads);
    CM_ADD(s, unwritable_is_an_error);
}

CM_TEST_MAIN("cm_certsync", add)
