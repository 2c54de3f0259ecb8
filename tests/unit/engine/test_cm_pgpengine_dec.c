/* An OpenPGP engine's outbound half against the fixture keyring: messages
 * made by gpg from the sending user's home (DIR/sender). */
/* Run against the OpenPGP engine the build names: test_cm_gpgme_dec (GPGME) or,
 * with CM_TEST_RNP, test_cm_rnp_dec (librnp). Signature checks: same cases,
 * same answers. Decryption with the gateway key is gpg-agent's, through
 * GPGME, under either backend: its cases run in the GPGME build, and the
 * librnp build checks that the registry decrypts with GPGME. */
#ifdef CM_TEST_RNP
#define _GNU_SOURCE         /* RTLD_NEXT: librnp calls wrapped to inject faults */
#include <dlfcn.h>
#include <rnp/rnp.h>
#include <rnp/rnp_err.h>
#include "cm_rnp.h"
#define ENGINE cm_rnp_engine
#define SUITE "cm_rnp_dec"
#else
#include "cm_gpgme.h"
#define ENGINE cm_gpgme_engine
#define SUITE "cm_gpgme_dec"
#endif
#include "cm_buf.h"
#include "cm_engines.h"
#include "cm_testbuf.h"
#include "cm_testengine.h"
#include "cm_testkeys.h"
#include "cm_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* The sending user's gpg, armored. */
static void sender_gpg(const char *args, const char *input, cm_buf *out)
{
    cm_testengine_sender_gpg(args, 1, input, out);
}

START_TEST(key_has_addr_reads_user_ids)
{
    cm_testsession f;
    char alice[128], eve[128];
    int yes;

    cm_testsession_open(&f, &ENGINE, NULL, NULL);
    cm_testengine_colons("gnupg", "alice@example.org", "fpr", 9, alice, sizeof(alice));
    cm_testengine_colons("gnupg", "eve@example.org", "fpr", 9, eve, sizeof(eve));
    ck_assert_int_eq(ENGINE.key_has_addr(f.s, alice, "alice@example.org", &yes), CM_OK);
    ck_assert_int_eq(yes, 1);
    ck_assert_int_eq(ENGINE.key_has_addr(f.s, alice, "ALICE@example.org", &yes), CM_OK);
    ck_assert_int_eq(yes, 1);
    ck_assert_int_eq(ENGINE.key_has_addr(f.s, alice, "bob@example.org", &yes), CM_OK);
    ck_assert_int_eq(yes, 0);
    ck_assert_int_eq(ENGINE.key_has_addr(f.s, eve, "eve@example.org", &yes), CM_OK);
    ck_assert_int_eq(yes, 0);       /* revoked */
    ck_assert_int_eq(ENGINE.key_has_addr(f.s, "00", "alice@example.org", &yes), CM_OK);
    ck_assert_int_eq(yes, 0);
    cm_testsession_close(&f);
}
END_TEST

#ifndef CM_TEST_RNP /* decryption: GPGME's whatever the backend */
static uint64_t keyid_of(const char *who, const char *type)
{
    char kid[64];

    cm_testengine_colons("gnupg", who, type, 4, kid, sizeof(kid));
    return strtoull(kid, NULL, 16);
}

START_TEST(gateway_match_by_encryption_subkey)
{
    cm_testsession f;
    uint64_t ids[3];
    int yes;

    cm_testsession_open(&f, &ENGINE, NULL, NULL);
    ids[0] = keyid_of("alice@example.org", "sub");
    ids[1] = keyid_of("gateway@gw.example.net", "sub");
    ck_assert_int_eq(ENGINE.gateway_match(f.s, ids, 1, &yes), CM_OK);
    ck_assert_int_eq(yes, 0);
    ck_assert_int_eq(ENGINE.gateway_match(f.s, ids, 2, &yes), CM_OK);
    ck_assert_int_eq(yes, 1);
    /* The primary key does not encrypt (future-default): not a match. */
    ids[0] = keyid_of("gateway@gw.example.net", "pub");
    ck_assert_int_eq(ENGINE.gateway_match(f.s, ids, 1, &yes), CM_OK);
    ck_assert_int_eq(yes, 0);
    cm_testsession_close(&f);
}
END_TEST

START_TEST(gateway_key_missing_from_keyring)
{
    cm_testsession f;
    uint64_t id = 1;
    int yes;

    cm_testsession_open(&f, &ENGINE, "ABABABABABABABABABABABABABABABABABABABAB", NULL);
    ck_assert_int_eq(ENGINE.gateway_match(f.s, &id, 1, &yes), CM_ERR_GATEWAY_KEY);
    cm_testsession_close(&f);
}
END_TEST

START_TEST(decrypt_verify_reports_signer_and_time)
{
    cm_testsession f;
    cm_buf ct = CM_BUF_INIT, plain = CM_BUF_INIT;
    cm_reader rd = {buf_read, NULL, &ct};
    cm_writer wr = {buf_write, &plain};
    char alice[128], cmdargs[512];
    cm_sigs sigs;
    time_t now = time(NULL);

    cm_testsession_open(&f, &ENGINE, NULL, NULL);
    cm_testengine_colons("gnupg", "alice@example.org", "fpr", 9, alice, sizeof(alice));
    snprintf(cmdargs, sizeof(cmdargs), "--sign -u alice@example.org --encrypt -r %s", f.gw);
    sender_gpg(cmdargs, "Content-Type: text/plain\r\n\r\nsecret\r\n", &ct);
    ck_assert_int_eq(ENGINE.decrypt_verify(f.s, &rd, &wr, &sigs), CM_OK);
    ck_assert(plain.len == 36 && memcmp(plain.data, "Content-Type: text/plain\r\n\r\nsecret\r\n", 36) == 0);
    ck_assert_uint_eq(sigs.seen, 1);
    ck_assert_uint_eq(sigs.n, 1);
    ck_assert_int_eq(sigs.v[0].status, CM_SIG_GOOD);
    ck_assert_str_eq(sigs.v[0].fpr, alice);
    ck_assert(sigs.v[0].created >= now - 60 && sigs.v[0].created <= now + 60);
    cm_buf_free(&ct);
    cm_buf_free(&plain);
    cm_testsession_close(&f);
}
END_TEST

START_TEST(decrypt_unsigned_and_unknown_signer)
{
    cm_testsession f;
    cm_buf ct = CM_BUF_INIT, plain = CM_BUF_INIT;
    cm_reader rd = {buf_read, NULL, &ct};
    cm_writer wr = {buf_write, &plain};
    char cmdargs[512];
    cm_sigs sigs;

    cm_testsession_open(&f, &ENGINE, NULL, NULL);
    snprintf(cmdargs, sizeof(cmdargs), "--encrypt -r %s", f.gw);
    sender_gpg(cmdargs, "x", &ct);
    ck_assert_int_eq(ENGINE.decrypt_verify(f.s, &rd, &wr, &sigs), CM_OK);
    ck_assert_uint_eq(sigs.seen, 0);
    snprintf(cmdargs, sizeof(cmdargs), "--sign -u outsider@example.com --encrypt -r %s", f.gw);
    sender_gpg(cmdargs, "y", &ct);
    cm_buf_reset(&plain);
    ck_assert_int_eq(ENGINE.decrypt_verify(f.s, &rd, &wr, &sigs), CM_OK);
    ck_assert_uint_eq(sigs.n, 1);
    ck_assert_int_eq(sigs.v[0].status, CM_SIG_NOKEY);
    ck_assert(sigs.v[0].keyid[0] != 0);
    cm_buf_free(&ct);
    cm_buf_free(&plain);
    cm_testsession_close(&f);
}
END_TEST

START_TEST(decrypt_of_another_key_fails_as_no_secret_key)
{
    cm_testsession f;
    cm_buf ct = CM_BUF_INIT, plain = CM_BUF_INIT;
    cm_reader rd = {buf_read, NULL, &ct};
    cm_writer wr = {buf_write, &plain};
    cm_sigs sigs;

    cm_testsession_open(&f, &ENGINE, NULL, NULL);
    /* To the outsider, whose secret key the gateway's agent lacks. */
    sender_gpg("--encrypt -r outsider@example.com", "z", &ct);
    ck_assert_int_eq(ENGINE.decrypt_verify(f.s, &rd, &wr, &sigs), CM_ERR_GATEWAY_KEY);
    cm_buf_free(&ct);
    cm_buf_free(&plain);
    cm_testsession_close(&f);
}
END_TEST

#endif

START_TEST(detached_signatures)
{
    cm_testsession f;
    cm_buf sig = CM_BUF_INIT;
    char alice[128];
    const char *text = "Content-Type: text/plain\r\n\r\nsigned\r\n";

    cm_testsession_open(&f, &ENGINE, NULL, NULL);
    cm_testengine_colons("gnupg", "alice@example.org", "fpr", 9, alice, sizeof(alice));
    sender_gpg("--detach-sign -u alice@example.org", text, &sig);
    cm_testengine_detached_contract(&f, sig.data, sig.len, text, alice);
    cm_buf_free(&sig);
    cm_testsession_close(&f);
}
END_TEST

/* gpg killed while it checks a signature says nothing: that is the
 * gateway's failure (4xx), never "your signature does not verify". */
#ifndef CM_TEST_RNP /* the gpg process itself */
START_TEST(gpg_dying_in_a_signature_check_is_ours)
{
    cm_testsession f;
    cm_buf sig = CM_BUF_INIT, data = CM_BUF_INIT;
    cm_reader rd = {buf_read, NULL, &data};
    cm_sigs sigs;
    char wrapper[1024], err[256];
    const char *text = "Content-Type: text/plain\r\n\r\nsigned\r\n";
    FILE *fp;

    snprintf(wrapper, sizeof(wrapper), "%s/gpg-dies-on-verify-%d", cm_test_tmp(), (int) getpid());
    ck_assert_ptr_nonnull(fp = fopen(wrapper, "w"));
    fputs("#!/bin/sh\ncase \" $* \" in *\" --verify \"*) kill -9 $$ ;; esac\nexec gpg \"$@\"\n", fp);
    fclose(fp);
    ck_assert_int_eq(chmod(wrapper, 0755), 0);
    sender_gpg("--detach-sign -u alice@example.org", text, &sig);
    cm_buf_puts(&data, text);
    f.cfg = NULL;
    cm_testsession_open(&f, &ENGINE, NULL, NULL);
    ENGINE.session_free(f.s);
    ck_assert_int_eq(cm_config_set(f.cfg, "GpgProgram", wrapper, err, sizeof(err)), 0);
    ck_assert_int_eq(ENGINE.session_new(cm_testengine(&ENGINE), &f.mc, &f.s), CM_OK);
    ck_assert_int_eq(ENGINE.verify_detached(f.s, &rd, sig.data, sig.len, &sigs),
                     CM_ERR_ENGINE);
    cm_buf_free(&sig);
    cm_buf_free(&data);
    cm_testsession_close(&f);
    unlink(wrapper);
}
END_TEST
#endif

#ifdef CM_TEST_RNP
/* librnp calls that fail or lie on demand: the test binary's definition
 * wins over the library's for the engine linked into it; the real one is
 * found with RTLD_NEXT. What a failing call must never become is a
 * verdict against the sender (5xx) or "unsigned". */
static int fail_sig_count;
static rnp_result_t fake_execute;       /* what rnp_op_verify_execute returns; 0: the real */

rnp_result_t rnp_op_verify_get_signature_count(rnp_op_verify_t op, size_t *count)
{
    rnp_result_t (*real)(rnp_op_verify_t, size_t *) =
        (rnp_result_t (*)(rnp_op_verify_t, size_t *)) dlsym(RTLD_NEXT, __func__);

    if (fail_sig_count)
        return RNP_ERROR_GENERIC;
    return real(op, count);
}

rnp_result_t rnp_op_verify_execute(rnp_op_verify_t op)
{
    rnp_result_t (*real)(rnp_op_verify_t) =
        (rnp_result_t (*)(rnp_op_verify_t)) dlsym(RTLD_NEXT, __func__);

    return fake_execute != RNP_SUCCESS ? fake_execute : real(op);
}

START_TEST(signatures_librnp_cannot_report_are_ours)
{
    cm_testsession f;
    cm_buf sig = CM_BUF_INIT, data = CM_BUF_INIT;
    cm_reader drd = {buf_read, NULL, &data};
    cm_sigs sigs;
    const char *text = "Content-Type: text/plain\r\n\r\nsigned\r\n";

    cm_testsession_open(&f, &ENGINE, NULL, NULL);
    sender_gpg("--detach-sign -u alice@example.org", text, &sig);
    fail_sig_count = 1;
    cm_buf_puts(&data, text);
    ck_assert_int_eq(ENGINE.verify_detached(f.s, &drd, sig.data, sig.len, &sigs), CM_ERR_ENGINE);
    fail_sig_count = 0;
    cm_buf_reset(&data);
    cm_buf_puts(&data, text);
    ck_assert_int_eq(ENGINE.verify_detached(f.s, &drd, sig.data, sig.len, &sigs), CM_OK);
    ck_assert_int_eq(sigs.v[0].status, CM_SIG_GOOD);
    cm_buf_free(&sig);
    cm_buf_free(&data);
    cm_testsession_close(&f);
}
END_TEST

/* librnp stopping a signature check for a reason of its own (not the
 * signature's format) before it read any signature. */
START_TEST(signature_check_librnp_abandons_is_ours)
{
    cm_testsession f;
    cm_buf sig = CM_BUF_INIT, data = CM_BUF_INIT;
    cm_reader rd = {buf_read, NULL, &data};
    cm_sigs sigs;
    const char *text = "Content-Type: text/plain\r\n\r\nsigned\r\n";

    cm_testsession_open(&f, &ENGINE, NULL, NULL);
    sender_gpg("--detach-sign -u alice@example.org", text, &sig);
    cm_buf_puts(&data, text);
    fake_execute = RNP_ERROR_GENERIC;
    ck_assert_int_eq(ENGINE.verify_detached(f.s, &rd, sig.data, sig.len, &sigs), CM_ERR_ENGINE);
    fake_execute = RNP_SUCCESS;
    cm_buf_free(&sig);
    cm_buf_free(&data);
    cm_testsession_close(&f);
}
END_TEST

/* OpenPGPBackend rnp: the registry's decrypting engine is GPGME's (the
 * secret key stays in gpg-agent), and librnp has no decryption at all. */
START_TEST(under_rnp_gpg_agent_decrypts)
{
    cm_testsession f;
    cm_buf ct = CM_BUF_INIT, plain = CM_BUF_INIT;
    cm_reader rd = {buf_read, NULL, &ct};
    cm_writer wr = {buf_write, &plain};
    static char qid[] = "TESTQID";
    const cm_engine_ref *dec;
    cm_engine_session *s;
    cm_engines *e;
    char cmdargs[512], err[256], alice[128];
    cm_sigs sigs;
    cm_stat st;

    ck_assert_ptr_null(ENGINE.decrypt_verify);
    ck_assert_ptr_null(ENGINE.gateway_match);
    ck_assert_ptr_null(ENGINE.gateway_ready);
    f.cfg = test_config("split");
    cm_testengine_keyring_file("export/gateway.fpr", f.gw, sizeof(f.gw));
    ck_assert_int_eq(cm_config_set(f.cfg, "GatewayKeys", f.gw, err, sizeof(err)), 0);
    ck_assert_int_eq(cm_config_set(f.cfg, "OpenPGPBackend", "rnp", err, sizeof(err)), 0);
    f.mc.cfg = f.cfg;
    f.mc.qid = qid;
    f.mc.no_gateway_keys = 0;
    ck_assert_ptr_nonnull(e = cm_engines_create(f.cfg, &st, err, sizeof(err)));
    ck_assert(e->v[0].ops == &ENGINE);       /* lookups and encryption: librnp */
    dec = &e->v[cm_engines_pgp_decrypter(e)];
    ck_assert(dec->ops != &ENGINE);
    ck_assert_int_eq(dec->ops->key_class, CM_KEY_OPENPGP);
    ck_assert_ptr_nonnull(dec->ops->decrypt_verify);
    cm_testengine_colons("gnupg", "alice@example.org", "fpr", 9, alice, sizeof(alice));
    snprintf(cmdargs, sizeof(cmdargs), "--sign -u alice@example.org --encrypt -r %s", f.gw);
    sender_gpg(cmdargs, "Content-Type: text/plain\r\n\r\nsecret\r\n", &ct);
    ck_assert_int_eq(dec->ops->session_new(dec->engine, &f.mc, &s), CM_OK);
    ck_assert_int_eq(dec->ops->decrypt_verify(s, &rd, &wr, &sigs), CM_OK);
    ck_assert(plain.len == 36 && memcmp(plain.data, "Content-Type: text/plain\r\n\r\nsecret\r\n", 36) == 0);
    ck_assert_uint_eq(sigs.n, 1);
    ck_assert_int_eq(sigs.v[0].status, CM_SIG_GOOD);
    ck_assert_str_eq(sigs.v[0].fpr, alice);
    dec->ops->session_free(s);
    cm_engines_destroy(e);
    cm_buf_free(&ct);
    cm_buf_free(&plain);
    cm_config_free(f.cfg);
}
END_TEST
#endif

static void add(Suite *s)
{
    CM_ADD(s, key_has_addr_reads_user_ids);
    CM_ADD(s, detached_signatures);
#ifndef CM_TEST_RNP
    CM_ADD(s, gateway_match_by_encryption_subkey);
    CM_ADD(s, gateway_key_missing_from_keyring);
    CM_ADD(s, decrypt_verify_reports_signer_and_time);
    CM_ADD(s, decrypt_unsigned_and_unknown_signer);
    CM_ADD(s, decrypt_of_another_key_fails_as_no_secret_key);
    CM_ADD(s, gpg_dying_in_a_signature_check_is_ours);
#else
    CM_ADD(s, signatures_librnp_cannot_report_are_ours);
    CM_ADD(s, signature_check_librnp_abandons_is_ours);
    CM_ADD(s, under_rnp_gpg_agent_decrypts);
#endif
}

CM_TEST_MAIN(SUITE, add)
