/* cm_testengine - the engine fixture the engine tests share. */
#include "cm_testengine.h"
#include "cm_testbuf.h"
#include "cm_testkeys.h"
#include "cm_test.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

static char test_qid[] = "TESTQID";

cm_engine *cm_testengine(const cm_engine_ops *ops)
{
    static struct {
        const cm_engine_ops *ops;
        cm_engine *e;
    } made[4];
    char err[256];
    size_t i;

    for (i = 0; i < NELEM(made) && made[i].ops != NULL; i++)
        if (made[i].ops == ops)
            return made[i].e;
    ck_assert_msg(i < NELEM(made), "too many engines in one test");
    ck_assert_msg(ops->create(&made[i].e, err, sizeof(err)) == CM_OK, "%s: %s", ops->name, err);
    made[i].ops = ops;
    return made[i].e;
}

void cm_testsession_open_cfg(cm_testsession *f, const cm_engine_ops *ops, cm_config *cfg)
{
    f->ops = ops;
    f->cfg = cfg;
    f->mc.cfg = f->cfg;
    f->mc.qid = test_qid;
    f->mc.no_gateway_keys = 0;
    f->s = NULL;
    ck_assert_int_eq(ops->session_new(cm_testengine(ops), &f->mc, &f->s), CM_OK);
}

void cm_testsession_open(cm_testsession *f, const cm_engine_ops *ops, const char *gateway_keys,
                         const char *keyring_dir)
{
    cm_config *cfg = test_config("split");
    char err[256];

    cm_testengine_keyring_file("export/gateway.fpr", f->gw, sizeof(f->gw));
    ck_assert_int_eq(cm_config_set(cfg, "GatewayKeys", gateway_keys ? gateway_keys : f->gw,
                                   err, sizeof(err)), 0);
    if (keyring_dir != NULL)
        ck_assert_int_eq(cm_config_set(cfg, "KeyringDir", keyring_dir, err, sizeof(err)), 0);
    cm_testsession_open_cfg(f, ops, cfg);
}

void cm_testengine_smime_path(const char *name, char *out, size_t len)
{
    int n;

    ck_assert_msg(getenv("CM_TEST_KEYRING") != NULL, "CM_TEST_KEYRING not set: run through ctest");
    n = snprintf(out, len, "%s/smime/%s", getenv("CM_TEST_KEYRING"), name);
    ck_assert(n > 0 && (size_t) n < len);
}

cm_config *cm_testengine_smime_config(void)
{
    cm_config *cfg = test_config("split");
    char path[2048], rsa[1024], ec[1024], err[256];

    cm_testengine_smime_path("certs", path, sizeof(path));
    ck_assert_int_eq(cm_config_set(cfg, "CertificateDir", path, err, sizeof(err)), 0);
    cm_testengine_smime_path("gateway/rsa.pem", rsa, sizeof(rsa));
    cm_testengine_smime_path("gateway/ec.pem", ec, sizeof(ec));
    snprintf(path, sizeof(path), "%s %s", rsa, ec);
    ck_assert_int_eq(cm_config_set(cfg, "GatewayCertificates", path, err, sizeof(err)), 0);
    cm_testengine_smime_path("ca.pem", path, sizeof(path));
    ck_assert_int_eq(cm_config_set(cfg, "TrustAnchors", path, err, sizeof(err)), 0);
    return cfg;
}

void cm_testsession_close(cm_testsession *f)
{
    f->ops->session_free(f->s);
    f->s = NULL;
    cm_config_free(f->cfg);
    f->cfg = NULL;
}

void cm_testengine_keyring_file(const char *name, char *out, size_t len)
{
    char path[1024];
    FILE *fp;

    ck_assert(getenv("CM_TEST_KEYRING") != NULL);
    snprintf(path, sizeof(path), "%s/%s", getenv("CM_TEST_KEYRING"), name);
    ck_assert_msg((fp = fopen(path, "r")) != NULL, "%s", path);
    ck_assert(fgets(out, (int) len, fp) != NULL);
    out[strcspn(out, "\n")] = 0;
    fclose(fp);
}

void cm_testengine_colons(const char *home, const char *who, const char *type, int field,
                          char *out, size_t len)
{
    char cmd[2048], line[4096];
    FILE *p;
    int found = 0;

    snprintf(cmd, sizeof(cmd), "GNUPGHOME='%s/%s' gpg --batch --with-colons --list-keys '%s'",
             getenv("CM_TEST_KEYRING"), home, who);
    ck_assert((p = popen(cmd, "r")) != NULL);
    while (fgets(line, sizeof(line), p) != NULL) {
        char *f = line, *e;
        int i;

        if (found || strncmp(line, type, strlen(type)) != 0 || line[strlen(type)] != ':')
            continue;
        for (i = 0; i < field && f != NULL; i++)
            f = (e = strchr(f, ':')) ? e + 1 : NULL;
        ck_assert(f != NULL);
        snprintf(out, len, "%.*s", (int) strcspn(f, ":"), f);
        found = 1;
    }
    pclose(p);
    ck_assert_msg(found, "no %s line for %s", type, who);
}

/* cmd's standard output into out (reset first); its exit status, 0 for 0. */
static int run_status(const char *cmd, cm_buf *out)
{
    char buf[4096];
    FILE *p;
    size_t n;

    cm_buf_reset(out);
    ck_assert_msg((p = popen(cmd, "r")) != NULL, "%s", cmd);
    while ((n = fread(buf, 1, sizeof(buf), p)) > 0)
        ck_assert_int_eq(cm_buf_append(out, buf, n), 0);
    return pclose(p);
}

void cm_testengine_run(const char *cmd, cm_buf *out)
{
    ck_assert_msg(run_status(cmd, out) == 0, "%s", cmd);
}

int cm_testengine_openssl(cm_buf *out, const char *fmt, ...)
{
    char cmd[8192];
    va_list ap;
    int len;

    va_start(ap, fmt);
    len = vsnprintf(cmd, sizeof(cmd), fmt, ap);
    va_end(ap);
    ck_assert(len > 0 && (size_t) len < sizeof(cmd) - sizeof(" 2>/dev/null"));
    strcat(cmd, " 2>/dev/null");
    return run_status(cmd, out) == 0 ? 0 : -1;
}

void cm_testengine_scratch(const char *name, char *out, size_t len)
{
    int n = snprintf(out, len, "%s/engine-%d-%s", cm_test_tmp(), (int) getpid(), name);

    ck_assert(n > 0 && (size_t) n < len);
}

void cm_testengine_write_file(const char *path, const void *p, size_t n)
{
    FILE *fp = fopen(path, "wb");

    ck_assert_ptr_nonnull(fp);
    ck_assert_uint_eq(fwrite(p, 1, n, fp), n);
    ck_assert_int_eq(fclose(fp), 0);
}

const char *cm_testengine_sm(const char *name)
{
    static char path[4][1024];
    static unsigned next;
    char *p = path[next++ % 4];

    cm_testengine_smime_path(name, p, sizeof(path[0]));
    return p;
}

void cm_testengine_smime_envelope(const char *cert, const char *cipher, const void *text,
                                  size_t len, cm_buf *der)
{
    char in[1024];

    cm_testengine_scratch("envelope.in", in, sizeof(in));
    cm_testengine_write_file(in, text, len);
    ck_assert_int_eq(cm_testengine_openssl(der, "openssl cms -encrypt -binary %s -in '%s' "
                                           "-outform DER '%s'", cipher, in, cert), 0);
    unlink(in);
}

void cm_testengine_sender_gpg(const char *args, int armor, const char *input, cm_buf *out)
{
    char in[1024], cmd[4096];
    FILE *fp;

    snprintf(in, sizeof(in), "%s/sender-in-%d", cm_test_tmp(), (int) getpid());
    ck_assert((fp = fopen(in, "w")) != NULL);
    ck_assert(fputs(input, fp) >= 0);
    ck_assert_int_eq(fclose(fp), 0);
    snprintf(cmd, sizeof(cmd), "GNUPGHOME='%s/sender' gpg --batch --quiet --no-tty --yes "
             "--trust-model always %s %s -o - '%s'", getenv("CM_TEST_KEYRING"),
             armor ? "--armor" : "", args, in);
    cm_testengine_run(cmd, out);
    unlink(in);
}

/* data as an engine's reader, consumed as it is read. */
static cm_stat verify(cm_testsession *f, const char *data, const void *sig, size_t siglen,
                      cm_sigs *sigs)
{
    cm_buf b = CM_BUF_INIT;
    cm_reader rd = {buf_read, NULL, &b};
    cm_stat st;

    ck_assert_int_eq(cm_buf_puts(&b, data), 0);
    st = f->ops->verify_detached(f->s, &rd, sig, siglen, sigs);
    cm_buf_free(&b);
    return st;
}

void cm_testengine_detached_contract(cm_testsession *f, const void *sig, size_t siglen,
                                     const char *text, const char *fpr)
{
    size_t n = strlen(text);
    char *altered;
    cm_sigs sigs;

    ck_assert(n > 3);
    ck_assert_int_eq(verify(f, text, sig, siglen, &sigs), CM_OK);
    ck_assert_uint_eq(sigs.n, 1);
    ck_assert_int_eq(sigs.v[0].status, CM_SIG_GOOD);
    ck_assert_msg(strcasecmp(sigs.v[0].fpr, fpr) == 0, "signer %s, want %s", sigs.v[0].fpr, fpr);
    /* One letter's case changed, before the final line end. */
    ck_assert_ptr_nonnull(altered = strdup(text));
    altered[n - 3] ^= 0x20;
    ck_assert_int_eq(verify(f, altered, sig, siglen, &sigs), CM_OK);
    free(altered);
    ck_assert_uint_eq(sigs.n, 1);
    ck_assert_int_eq(sigs.v[0].status, CM_SIG_BAD);
    ck_assert_int_eq(verify(f, text, "garbage", 7, &sigs), CM_OK);
    ck_assert_uint_eq(sigs.n, 1);
    ck_assert_int_ne(sigs.v[0].status, CM_SIG_GOOD);
}
