/* OpenSSL running out of memory while the S/MIME engine reads a message
 * enveloped to the gateway must never make the engine answer "not for the
 * gateway": the ciphertext would then leave as it is, undecrypted and
 * unexplained. OpenSSL's allocator is replaced before its first
 * allocation, and each allocation of one decryption is made to fail in
 * turn. Where OpenSSL says the failure was memory, the answer is
 * CM_ERR_NOMEM (a 4xx); where it does not (inside CMS_decrypt it
 * sometimes reports only "decrypt error"), it may be CM_DECRYPT_FAILED.
 * A failed key transport can even "succeed": OpenSSL then decrypts with a
 * random key rather than tell (its defence against padding oracles), and
 * the garbage is the signature gate's to refuse, as with damaged CBC
 * (integration_smime_outbound).
 *
 * Likewise a signature check against a CRL: with any allocation failing,
 * a revoked signer is never found good (a CRL that cannot be looked up is
 * CM_ERR_CRL, not "no CRL"). */
#include "cm_buf.h"
#include "cm_cms.h"
#include "cm_config.h"
#include "cm_test.h"

#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

static long fail_at = -1;      /* the allocation to fail, counted from arming */
static long count;

static void *t_malloc(size_t n, const char *file, int line)
{
    (void) file;
    (void) line;
    if (fail_at >= 0 && count++ == fail_at)
        return NULL;
    return malloc(n);
}

static void *t_realloc(void *p, size_t n, const char *file, int line)
{
    (void) file;
    (void) line;
    if (fail_at >= 0 && count++ == fail_at)
        return NULL;
    return realloc(p, n);
}

static void t_free(void *p, const char *file, int line)
{
    (void) file;
    (void) line;
    free(p);
}

static char smime[4096], tmp[4096];
static const char entity[] = "Content-Type: text/plain\r\n\r\noutbound secret\r\n";

static void read_file(const char *path, cm_buf *b)
{
    char buf[4096];
    size_t n;
    FILE *f = fopen(path, "rb");

    ck_assert_ptr_nonnull(f);
    while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
        ck_assert_int_eq(cm_buf_append(b, buf, n), 0);
    fclose(f);
}

/* who's opaque signature over the entity (DER), and that enveloped to the
 * gateway's RSA certificate (DER), made by openssl cms. */
static void inputs_by(const char *cert, const char *key, cm_buf *signed_der, cm_buf *env_der)
{
    char in[4200], sd[4200], ed[4200];
    FILE *f;

    snprintf(smime, sizeof(smime), "%s/smime", getenv("CM_TEST_KEYRING"));
    snprintf(tmp, sizeof(tmp), "%s", cm_test_tmp());
    snprintf(in, sizeof(in), "%s/oom-%d.txt", tmp, (int) getpid());
    snprintf(sd, sizeof(sd), "%s/oom-%d.sig", tmp, (int) getpid());
    snprintf(ed, sizeof(ed), "%s/oom-%d.env", tmp, (int) getpid());
    ck_assert_ptr_nonnull(f = fopen(in, "wb"));
    ck_assert_uint_eq(fwrite(entity, 1, strlen(entity), f), strlen(entity));
    fclose(f);
    {
        char cmd[40000];
        int len;

        len = snprintf(cmd, sizeof(cmd), "openssl cms -sign -binary -nodetach -in '%s' -signer "
                 "'%s/%s' -inkey '%s/%s' -outform DER -out '%s' 2>/dev/null"
                 " && openssl cms -encrypt -binary -aes256 -in '%s' -outform DER -out '%s' "
                 "'%s/gateway-rsa.crt' 2>/dev/null", in, smime, cert, smime, key, sd, sd, ed,
                 smime);
        ck_assert(len > 0 && (size_t) len < sizeof(cmd));
        ck_assert_msg(system(cmd) == 0, "%s", cmd);
    }
    read_file(sd, signed_der);
    read_file(ed, env_der);
    unlink(in);
    unlink(sd);
    unlink(ed);
}

static void inputs(cm_buf *signed_der, cm_buf *env_der)
{
    inputs_by("certs/sam.pem", "keys/sam.key", signed_der, env_der);
}

typedef struct mem_in {
    const cm_buf *b;
    size_t off;
} mem_in;

static ssize_t mem_read(void *arg, void *p, size_t n)
{
    mem_in *m = arg;

    if (n > m->b->len - m->off)
        n = m->b->len - m->off;
    memcpy(p, m->b->data + m->off, n);
    m->off += n;
    return (ssize_t) n;
}

static int mem_write(void *arg, const void *p, size_t n)
{
    return cm_buf_append(arg, p, n);
}

typedef struct fixture {
    cm_config *cfg;
    cm_msgctx mc;
    cm_engine *e;
    cm_engine_session *s;
} fixture;

static void open_engine_crls(fixture *f, const char *crls)
{
    char err[256], files[4200], anchors[4200];

    snprintf(files, sizeof(files), "%s/gateway/rsa.pem", smime);
    snprintf(anchors, sizeof(anchors), "%s/ca.pem", smime);
    ck_assert_ptr_nonnull(f->cfg = cm_config_new());
    ck_assert(cm_config_set(f->cfg, "GatewayCertificates", files, err, sizeof(err)) == 0);
    ck_assert(cm_config_set(f->cfg, "TrustAnchors", anchors, err, sizeof(err)) == 0);
    if (crls != NULL) {
        snprintf(files, sizeof(files), "%s/%s", smime, crls);
        ck_assert(cm_config_set(f->cfg, "TrustCRLs", files, err, sizeof(err)) == 0);
    }
    f->mc.cfg = f->cfg;
    ck_assert_int_eq(cm_cms_engine.create(&f->e, err, sizeof(err)), CM_OK);
    ck_assert_int_eq(cm_cms_engine.session_new(f->e, &f->mc, &f->s), CM_OK);
}

static void open_engine(fixture *f)
{
    open_engine_crls(f, NULL);
}

static void close_engine(fixture *f)
{
    cm_cms_engine.session_free(f->s);
    cm_cms_engine.destroy(f->e);
    cm_config_free(f->cfg);
}

/* One decryption with allocation n failing (-1: none). */
static cm_stat decrypt_once(fixture *f, const cm_buf *env, long n, cm_buf *out, int *ours)
{
    mem_in m = {env, 0};
    cm_reader rd = {mem_read, NULL, &m};
    cm_writer wr = {mem_write, out};
    int auth;
    cm_stat st;

    cm_buf_reset(out);
    count = 0;
    fail_at = n;
    st = cm_cms_engine.decrypt_gateway(f->s, &rd, &wr, ours, &auth);
    fail_at = -1;
    return st;
}

START_TEST(decryption_out_of_memory_is_ours)
{
    cm_buf sd = CM_BUF_INIT, env = CM_BUF_INIT, out = CM_BUF_INIT;
    fixture f = {0};
    long n, failed = 0;
    int ours;
    cm_stat st;

    inputs(&sd, &env);
    open_engine(&f);
    /* Unarmed: decrypted to the signed data (and the gateway's files
     * loaded, before any allocation is made to fail). */
    ck_assert_int_eq(decrypt_once(&f, &env, -1, &out, &ours), CM_OK);
    ck_assert_int_eq(ours, 1);
    ck_assert(out.len == sd.len && memcmp(out.data, sd.data, sd.len) == 0);
    for (n = 0; n < 20000; n++) {
        st = decrypt_once(&f, &env, n, &out, &ours);
        if (count <= n)
            break;              /* every allocation has been failed once */
        ck_assert_msg(st != CM_OK || ours == 1, "allocation %ld failing: passed as not ours", n);
        ck_assert_msg(st == CM_OK || st == CM_ERR_NOMEM || st == CM_DECRYPT_FAILED,
                      "allocation %ld failing gave status %d", n, (int) st);
        failed += st == CM_ERR_NOMEM;
    }
    ck_assert_int_lt(n, 20000);
    ck_assert_int_gt(failed, 0);
    close_engine(&f);
    cm_buf_free(&sd);
    cm_buf_free(&env);
    cm_buf_free(&out);
}
END_TEST

/* One check of the opaque signed data sd with allocation n failing. */
static cm_stat verify_once(fixture *f, const cm_buf *sd, long n, cm_buf *out, cm_sigs *sigs)
{
    mem_in m = {sd, 0};
    cm_reader rd = {mem_read, NULL, &m};
    cm_writer wr = {mem_write, out};
    cm_stat st;

    cm_buf_reset(out);
    count = 0;
    fail_at = n;
    st = cm_cms_engine.decrypt_verify(f->s, &rd, &wr, sigs);
    fail_at = -1;
    return st;
}

START_TEST(revoked_signer_out_of_memory_never_good)
{
    cm_buf sd = CM_BUF_INIT, env = CM_BUF_INIT, out = CM_BUF_INIT;
    fixture f = {0};
    cm_sigs sigs;
    long n, crl = 0;
    size_t i;
    cm_stat st;

    inputs_by("signers/revoked.pem", "keys/revoked.key", &sd, &env);
    open_engine_crls(&f, "crl.pem");
    /* Unarmed: refused as revoked (and the CRL loaded). */
    ck_assert_int_eq(verify_once(&f, &sd, -1, &out, &sigs), CM_OK);
    ck_assert_uint_eq(sigs.n, 1);
    ck_assert_int_eq(sigs.v[0].status, CM_SIG_KEY_REVOKED);
    for (n = 0; n < 20000; n++) {
        st = verify_once(&f, &sd, n, &out, &sigs);
        if (count <= n)
            break;
        ck_assert_msg(st == CM_OK || st == CM_ERR_NOMEM || st == CM_ERR_CRL,
                      "allocation %ld failing gave status %d", n, (int) st);
        for (i = 0; st == CM_OK && i < sigs.n; i++)
            ck_assert_msg(sigs.v[i].status != CM_SIG_GOOD,
                          "allocation %ld failing: the revoked signer is good", n);
        crl += st == CM_ERR_CRL;
    }
    ck_assert_int_lt(n, 20000);
    ck_assert_int_gt(crl, 0);       /* a CRL lookup that failed was seen, and held */
    close_engine(&f);
    cm_buf_free(&sd);
    cm_buf_free(&env);
    cm_buf_free(&out);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("cm_cms_oom");
    SRunner *sr;
    int failed;

    /* Before OpenSSL allocates anything, or it keeps its own allocator. */
    if (!CRYPTO_set_mem_functions(t_malloc, t_realloc, t_free)) {
        fprintf(stderr, "cannot replace OpenSSL's allocator\n");
        return EXIT_FAILURE;
    }
    CM_ADD(s, decryption_out_of_memory_is_ours);
    CM_ADD(s, revoked_signer_out_of_memory_never_good);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
