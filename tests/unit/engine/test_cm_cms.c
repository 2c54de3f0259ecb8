/* The S/MIME engine (lib/engine/cms) through its ops table, on the S/MIME
 * fixture (tests/fixtures/make-certs.sh): the cases the OpenPGP engines
 * answer in test_cm_pgpengine*.c that apply to any engine, each checked
 * against what the reference tool (openssl cms) makes or reads. */
#include "cm_cms.h"
#include "cm_buf.h"
#include "cm_testbuf.h"
#include "cm_testengine.h"
#include "cm_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ENGINE cm_cms_engine

static const char text[] = "Content-Type: text/plain\r\n\r\nS/MIME secret\r\n";

static void open_cms(cm_testsession *f)
{
    cm_testsession_open_cfg(f, &ENGINE, cm_testengine_smime_config());
}

static const struct {
    const char *addr;
    int found;
} lookups[] = {
    {"sam@example.org", 1},
    {"SAM@Example.Org", 1},         /* address match ignores case */
    {"sue@example.org", 1},
    {"pat@example.org", 1},         /* EC: key agreement */
    {"old@example.org", 0},         /* expired */
    {"nobody@example.org", 0},
    {"am@example.org", 0},          /* substring of sam's address */
    {"sam@example.org.evil", 0},
    {"gateway@example.org", 0},     /* the gateway's own: not in CertificateDir */
};

START_TEST(key_lookup)
{
    cm_testsession f;
    const cm_key *key = (const cm_key *) &f;

    open_cms(&f);
    ck_assert_int_eq(ENGINE.lookup(f.s, lookups[_i].addr, &key), CM_OK);
    ck_assert_msg((key != NULL) == lookups[_i].found, "%s: found=%d, want %d", lookups[_i].addr,
                  key != NULL, lookups[_i].found);
    cm_testsession_close(&f);
}
END_TEST

/* A certificate directory that cannot be read is an error, never "no
 * certificate" (which would send the message on in the clear); a site
 * without S/MIME (CertificateDir none) has no certificate for anyone. */
START_TEST(lookup_error_is_not_no_key)
{
    cm_testsession f;
    cm_config *cfg = cm_testengine_smime_config();
    const cm_key *key = (const cm_key *) &f;
    char err[256];

    ck_assert_int_eq(cm_config_set(cfg, "CertificateDir", "/nonexistent/certs", err,
                                   sizeof(err)), 0);
    cm_testsession_open_cfg(&f, &ENGINE, cfg);
    ck_assert_int_ne(ENGINE.lookup(f.s, "sam@example.org", &key), CM_OK);
    cm_testsession_close(&f);
    cfg = cm_testengine_smime_config();
    ck_assert_int_eq(cm_config_set(cfg, "CertificateDir", "none", err, sizeof(err)), 0);
    cm_testsession_open_cfg(&f, &ENGINE, cfg);
    key = (const cm_key *) &f;
    ck_assert_int_eq(ENGINE.lookup(f.s, "sam@example.org", &key), CM_OK);
    ck_assert_ptr_null(key);
    cm_testsession_close(&f);
}
END_TEST

/* Look addr up (it must have a certificate) and make it a recipient. */
static void add(cm_testsession *f, const char *addr)
{
    const cm_key *key = NULL;

    ck_assert_int_eq(ENGINE.lookup(f->s, addr, &key), CM_OK);
    ck_assert_msg(key != NULL, "no certificate for %s", addr);
    ck_assert_int_eq(ENGINE.add_recipient(f->s, key), CM_OK);
}

START_TEST(recipient_added_twice_counts_once)
{
    cm_testsession f;

    open_cms(&f);
    ck_assert_uint_eq(ENGINE.recipients(f.s), 0);
    add(&f, "sam@example.org");
    add(&f, "SAM@example.org");
    ck_assert_uint_eq(ENGINE.recipients(f.s), 1);
    add(&f, "sue@example.org");
    ck_assert_uint_eq(ENGINE.recipients(f.s), 2);
    cm_testsession_close(&f);
}
END_TEST

/* text encrypted by the engine to sam and pat, with SMIMECipher cipher,
 * into the file path (DER). */
static void encrypt_to_file(const char *cipher, const char *path)
{
    cm_testsession f;
    cm_buf in = CM_BUF_INIT, der = CM_BUF_INIT;
    cm_reader rd = {buf_read, NULL, &in};
    cm_writer wr = {buf_write, &der};
    char err[256];

    open_cms(&f);
    ck_assert_int_eq(cm_config_set(f.cfg, "SMIMECipher", cipher, err, sizeof(err)), 0);
    add(&f, "sam@example.org");
    add(&f, "pat@example.org");
    ck_assert_int_eq(cm_buf_puts(&in, text), 0);
    ck_assert_int_eq(ENGINE.encrypt(f.s, &rd, &wr), CM_OK);
    ck_assert_uint_gt(der.len, 0);
    cm_testengine_write_file(path, der.data, der.len);
    cm_buf_free(&in);
    cm_buf_free(&der);
    cm_testsession_close(&f);
}

/* openssl's decryption of the DER file der with who's key, into out: 0,
 * or -1 if it cannot. */
static int openssl_decrypt(const char *der, const char *who, cm_buf *out)
{
    char cert[64], key[64];

    snprintf(cert, sizeof(cert), "certs/%s.pem", who);
    snprintf(key, sizeof(key), "keys/%s.key", who);
    return cm_testengine_openssl(out, "openssl cms -decrypt -binary -inform DER -in '%s' "
                                 "-recip '%s' -inkey '%s'", der, cm_testengine_sm(cert),
                                 cm_testengine_sm(key));
}

static const char *const ciphers[] = {"aes256-cbc", "aes256-gcm"};

/* What the engine encrypts, openssl decrypts with each recipient's key
 * (RSA and EC) to the very bytes given, and not with another's. */
START_TEST(encrypt_is_read_by_openssl)
{
    char der[1024];
    cm_buf out = CM_BUF_INIT;

    cm_testengine_scratch("enc.der", der, sizeof(der));
    encrypt_to_file(ciphers[_i], der);
    ck_assert_int_eq(openssl_decrypt(der, "sam", &out), 0);
    ck_assert_uint_eq(out.len, strlen(text));
    ck_assert_mem_eq(out.data, text, out.len);
    ck_assert_int_eq(openssl_decrypt(der, "pat", &out), 0);
    ck_assert_uint_eq(out.len, strlen(text));
    ck_assert_mem_eq(out.data, text, out.len);
    ck_assert_int_eq(cm_testengine_openssl(&out, "openssl cms -cmsout -print -inform DER "
                                           "-in '%s'", der), 0);
    ck_assert_ptr_nonnull(strstr(cm_buf_str(&out), _i == 0 ? "pkcs7-envelopedData"
                                                           : "id-smime-ct-authEnvelopedData"));
    ck_assert_int_ne(openssl_decrypt(der, "sue", &out), 0);
    unlink(der);
    cm_buf_free(&out);
}
END_TEST

/* No recipient: nothing to encrypt to is our error, never an empty
 * envelope. */
START_TEST(encrypt_without_recipients_fails)
{
    cm_testsession f;
    cm_buf in = CM_BUF_INIT, der = CM_BUF_INIT;
    cm_reader rd = {buf_read, NULL, &in};
    cm_writer wr = {buf_write, &der};

    open_cms(&f);
    ck_assert_int_eq(cm_buf_puts(&in, text), 0);
    ck_assert_int_ne(ENGINE.encrypt(f.s, &rd, &wr), CM_OK);
    ck_assert_uint_eq(der.len, 0);
    cm_buf_free(&in);
    cm_buf_free(&der);
    cm_testsession_close(&f);
}
END_TEST

static const struct {
    const char *cert;
    const char *cipher;
    int ours, authenticated;
} gateway_cases[] = {
    {"gateway-rsa.crt", "-aes256", 1, 0},
    {"gateway-ec.crt", "-aes256", 1, 0},
    {"gateway-rsa.crt", "-aes-256-gcm", 1, 1},
    {"certs/sam.pem", "-aes256", 0, 0},     /* a user's: never decrypted */
};

START_TEST(decrypt_gateway)
{
    cm_testsession f;
    cm_buf der = CM_BUF_INIT, plain = CM_BUF_INIT;
    cm_reader rd = {buf_read, NULL, &der};
    cm_writer wr = {buf_write, &plain};
    int ours = -1, auth = -1;

    cm_testengine_smime_envelope(cm_testengine_sm(gateway_cases[_i].cert),
                                 gateway_cases[_i].cipher, text, strlen(text), &der);
    open_cms(&f);
    ck_assert_int_eq(ENGINE.decrypt_gateway(f.s, &rd, &wr, &ours, &auth), CM_OK);
    ck_assert_int_eq(ours, gateway_cases[_i].ours);
    ck_assert_int_eq(auth, gateway_cases[_i].authenticated);
    if (ours) {
        ck_assert_uint_eq(plain.len, strlen(text));
        ck_assert_mem_eq(plain.data, text, plain.len);
    } else {
        ck_assert_uint_eq(plain.len, 0);
    }
    cm_buf_free(&der);
    cm_buf_free(&plain);
    cm_testsession_close(&f);
}
END_TEST

/* The SHA-256 fingerprint of a fixture certificate, as hex digits. */
static void fingerprint(const char *cert, char *out, size_t len)
{
    cm_buf b = CM_BUF_INIT;
    const char *eq;
    size_t i, n = 0;

    ck_assert_int_eq(cm_testengine_openssl(&b, "openssl x509 -noout -fingerprint -sha256 "
                                           "-in '%s'", cm_testengine_sm(cert)), 0);
    ck_assert_ptr_nonnull(eq = strchr(cm_buf_str(&b), '='));
    for (i = 1; eq[i] != 0 && eq[i] != '\n'; i++)
        if (eq[i] != ':') {
            ck_assert(n + 1 < len);
            out[n++] = eq[i];
        }
    out[n] = 0;
    cm_buf_free(&b);
}

/* who's CMS signature over text by openssl (DER), detached or not. */
static void sign_by_openssl(const char *who, int detached, cm_buf *sig)
{
    char in[1024], cert[256], key[256];

    cm_testengine_scratch("signed.txt", in, sizeof(in));
    cm_testengine_write_file(in, text, strlen(text));
    if (strcmp(who, "outsider") == 0)
        snprintf(cert, sizeof(cert), "%s", cm_testengine_sm("outsider.pem"));
    else
        snprintf(cert, sizeof(cert), "%s/%s.pem", cm_testengine_sm("certs"), who);
    snprintf(key, sizeof(key), "%s/%s.key", cm_testengine_sm("keys"), who);
    ck_assert_int_eq(cm_testengine_openssl(sig, "openssl cms -sign -binary %s -in '%s' "
                                           "-signer '%s' -inkey '%s' -outform DER",
                                           detached ? "" : "-nodetach", in, cert, key), 0);
    unlink(in);
}

START_TEST(verify_detached_good_and_bad)
{
    cm_testsession f;
    cm_buf sig = CM_BUF_INIT;
    char sam[CM_FPR_MAX + 1];

    fingerprint("certs/sam.pem", sam, sizeof(sam));
    sign_by_openssl("sam", 1, &sig);
    open_cms(&f);
    cm_testengine_detached_contract(&f, sig.data, sig.len, text, sam);
    cm_buf_free(&sig);
    cm_testsession_close(&f);
}
END_TEST

/* A signer whose certificate no TrustAnchors CA issued is not good, however
 * sound the signature. */
START_TEST(verify_detached_untrusted_signer)
{
    cm_testsession f;
    cm_buf sig = CM_BUF_INIT, data = CM_BUF_INIT;
    cm_reader rd = {buf_read, NULL, &data};
    cm_sigs sigs;

    sign_by_openssl("outsider", 1, &sig);
    open_cms(&f);
    ck_assert_int_eq(cm_buf_puts(&data, text), 0);
    ck_assert_int_eq(ENGINE.verify_detached(f.s, &rd, sig.data, sig.len, &sigs), CM_OK);
    ck_assert_uint_eq(sigs.n, 1);
    ck_assert_int_eq(sigs.v[0].status, CM_SIG_NOKEY);
    cm_buf_free(&sig);
    cm_buf_free(&data);
    cm_testsession_close(&f);
}
END_TEST

/* Opaque signed data: its content written out, its signature checked; and
 * the signer's certificate then answers for its own address only. */
START_TEST(opaque_signed_and_key_has_addr)
{
    cm_testsession f;
    cm_buf sd = CM_BUF_INIT, plain = CM_BUF_INIT;
    cm_reader rd = {buf_read, NULL, &sd};
    cm_writer wr = {buf_write, &plain};
    char sam[CM_FPR_MAX + 1], sue[CM_FPR_MAX + 1];
    cm_sigs sigs;
    int yes = -1;

    fingerprint("certs/sam.pem", sam, sizeof(sam));
    fingerprint("certs/sue.pem", sue, sizeof(sue));
    sign_by_openssl("sam", 0, &sd);
    open_cms(&f);
    ck_assert_int_eq(ENGINE.decrypt_verify(f.s, &rd, &wr, &sigs), CM_OK);
    ck_assert_uint_eq(plain.len, strlen(text));
    ck_assert_mem_eq(plain.data, text, plain.len);
    ck_assert_uint_eq(sigs.n, 1);
    ck_assert_int_eq(sigs.v[0].status, CM_SIG_GOOD);
    ck_assert_int_eq(ENGINE.key_has_addr(f.s, sigs.v[0].fpr, "sam@example.org", &yes), CM_OK);
    ck_assert_int_eq(yes, 1);
    ck_assert_int_eq(ENGINE.key_has_addr(f.s, sigs.v[0].fpr, "SAM@Example.Org", &yes), CM_OK);
    ck_assert_int_eq(yes, 1);
    ck_assert_int_eq(ENGINE.key_has_addr(f.s, sigs.v[0].fpr, "sue@example.org", &yes), CM_OK);
    ck_assert_int_eq(yes, 0);
    /* sue's certificate verified nothing in this session. */
    ck_assert_int_eq(ENGINE.key_has_addr(f.s, sue, "sue@example.org", &yes), CM_OK);
    ck_assert_int_eq(yes, 0);
    cm_buf_free(&sd);
    cm_buf_free(&plain);
    cm_testsession_close(&f);
}
END_TEST

static void add_cases(Suite *s)
{
    CM_ADD_LOOP(s, key_lookup, NELEM(lookups));
    CM_ADD(s, lookup_error_is_not_no_key);
    CM_ADD(s, recipient_added_twice_counts_once);
    CM_ADD_LOOP(s, encrypt_is_read_by_openssl, NELEM(ciphers));
    CM_ADD(s, encrypt_without_recipients_fails);
    CM_ADD_LOOP(s, decrypt_gateway, NELEM(gateway_cases));
    CM_ADD(s, verify_detached_good_and_bad);
    CM_ADD(s, verify_detached_untrusted_signer);
    CM_ADD(s, opaque_signed_and_key_has_addr);
}

CM_TEST_MAIN("cm_cms", add_cases)
