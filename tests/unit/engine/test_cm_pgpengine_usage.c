/* Signatures by keys not flagged for signing (issue 22, item 8): an
 * encryption-only subkey with and without a back-signature, an
 * authentication subkey, a subkey without flags, a primary key whose
 * self-signature says encrypt (and certify) only. gpg refuses them
 * (ERRSIG, wrong key usage); every engine must: the gate then answers
 * 550 5.7.7. The same signatures, made while the keys could sign, are
 * good: only the flags differ. Built once per engine (test_cm_gpgme_usage,
 * and with CM_TEST_RNP test_cm_rnp_usage): same cases, same answers. */
#ifdef CM_TEST_RNP
#include "cm_rnp.h"
#define ENGINE cm_rnp_engine
#define SUITE "cm_rnp_usage"
#else
#include "cm_gpgme.h"
#define ENGINE cm_gpgme_engine
#define SUITE "cm_gpgme_usage"
#endif
#include "cm_buf.h"
#include "cm_gate.h"
#include "cm_testbuf.h"
#include "cm_testkeys.h"
#include "cm_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SHAPES 5

static const char *const shape[SHAPES] = {
    "encryption subkey with back-signature", "encryption subkey without back-signature",
    "authentication subkey", "subkey without flags", "primary key for encryption only",
};

static char test_qid[] = "TESTQID";

static void script(const char *dir, const char *phase)
{
    char cmd[2048];

    snprintf(cmd, sizeof(cmd), "'%s/make-usage-keys.sh' '%s' %s", CM_FIXTURES, dir, phase);
    ck_assert_msg(system(cmd) == 0, "%s", cmd);
}

static void slurp(const char *dir, const char *name, cm_buf *out)
{
    char path[1024], buf[4096];
    size_t n;
    FILE *fp;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    ck_assert_msg((fp = fopen(path, "rb")) != NULL, "%s", path);
    cm_buf_reset(out);
    while ((n = fread(buf, 1, sizeof(buf), fp)) > 0)
        ck_assert_int_eq(cm_buf_append(out, buf, n), 0);
    ck_assert_int_eq(ferror(fp), 0);
    fclose(fp);
}

/* Each shape's signature over dir/data, checked by a new session on the
 * keyring as it is now, into v[]. */
static void verify_all(cm_engine *e, const char *dir, cm_sig v[SHAPES])
{
    cm_config *cfg = test_config("pass");
    cm_msgctx mc = {cfg, test_qid, 0};
    cm_engine_session *s;
    cm_buf sig = CM_BUF_INIT, data = CM_BUF_INIT;
    char err[256], name[32];
    cm_sigs sigs;
    size_t i;

    ck_assert_int_eq(cm_config_set(cfg, "KeyringDir", dir, err, sizeof(err)), 0);
    ck_assert_int_eq(ENGINE.session_new(e, &mc, &s), CM_OK);
    for (i = 0; i < SHAPES; i++) {
        cm_reader rd = {buf_read, NULL, &data};

        snprintf(name, sizeof(name), "sig%zu.asc", i + 1);
        slurp(dir, name, &sig);
        slurp(dir, "data", &data);
        ck_assert_int_eq(ENGINE.verify_detached(s, &rd, sig.data, sig.len, &sigs), CM_OK);
        ck_assert_uint_eq(sigs.n, 1);
        v[i] = sigs.v[0];
    }
    ENGINE.session_free(s);
    cm_buf_free(&sig);
    cm_buf_free(&data);
    cm_config_free(cfg);
}

START_TEST(signing_key_must_be_flagged_for_signing)
{
    cm_engine *e;
    cm_sig v[SHAPES];
    cm_sigs one;
    char dir[512], err[256], detail[256], cmd[1200];
    int owns = 1;
    size_t i;

    ck_assert_ptr_nonnull(mkdtemp(cm_test_path(dir, sizeof(dir), "cm-usage-")));
    ck_assert_int_eq(ENGINE.create(&e, err, sizeof(err)), CM_OK);
    script(dir, "sign");
    verify_all(e, dir, v);
    for (i = 0; i < SHAPES; i++)
        if (i != 1)     /* gpg wants a signing subkey's back-signature */
            ck_assert_msg(v[i].status == CM_SIG_GOOD, "%s, while it could sign: %d", shape[i],
                          (int) v[i].status);
    script(dir, "unflag");
    verify_all(e, dir, v);
    for (i = 0; i < SHAPES; i++) {
        cm_gate_in in = {&one, &owns, "usage@example.org", "usage@example.org", 0, 3600};

        ck_assert_msg(v[i].status == CM_SIG_ERROR, "%s: status %d", shape[i], (int) v[i].status);
        memset(&one, 0, sizeof(one));
        one.n = one.seen = 1;
        one.v[0] = v[i];
        in.now = v[i].created > 0 ? v[i].created : 0;
        ck_assert_int_eq(cm_gate_check(&in, detail, sizeof(detail)), CM_GATE_BADSIG);
    }
    ENGINE.destroy(e);
    snprintf(cmd, sizeof(cmd), "GNUPGHOME='%s' gpgconf --kill all; rm -rf '%s'", dir, dir);
    ck_assert_int_eq(system(cmd), 0);
}
END_TEST

static void add(Suite *s)
{
    TCase *tc = tcase_create("usage");

    tcase_set_timeout(tc, 120);     /* two RSA keys made by gpg */
    tcase_add_test(tc, signing_key_must_be_flagged_for_signing);
    suite_add_tcase(s, tc);
}

CM_TEST_MAIN(SUITE, add)
