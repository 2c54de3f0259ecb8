/* The S/MIME format (cm_smime: the engine's DER checked and framed as
 * application/pkcs7-mime) and the outbound S/MIME step (cm_smimedecrypt:
 * the ciphertext read from a range of the spool, in its transfer encoding,
 * and decrypted if it is for a gateway certificate), with the S/MIME
 * engine on the S/MIME fixture; what they write is read back by openssl. */
#include "cm_base64.h"
#include "cm_buf.h"
#include "cm_cms.h"
#include "cm_entity.h"
#include "cm_smime.h"
#include "cm_smimedecrypt.h"
#include "cm_testbuf.h"
#include "cm_testengine.h"
#include "cm_test.h"

#include <string.h>
#include <unistd.h>

#define ENGINE cm_cms_engine

static const char text[] = "Content-Type: text/plain\r\n\r\nS/MIME secret\r\n";

static const struct {
    const char *cipher;
    const char *content_type;
} envelopes[] = {
    {"aes256-cbc", " application/pkcs7-mime; smime-type=enveloped-data;\n\tname=\"smime.p7m\""},
    {"aes256-gcm", " application/pkcs7-mime; smime-type=authEnveloped-data;\n\tname=\"smime.p7m\""},
};

/* RFC 8551 §3.3: the smime-type follows the content type SMIMECipher makes. */
START_TEST(envelope_follows_the_cipher)
{
    cm_config *cfg = cm_testengine_smime_config();
    cm_msgctx mc = {cfg, NULL, 0};
    cm_envelope env;
    char err[256];

    ck_assert_int_eq(cm_config_set(cfg, "SMIMECipher", envelopes[_i].cipher, err, sizeof(err)), 0);
    ck_assert_int_eq(cm_smime_envelope(&mc, &env), CM_OK);
    ck_assert_str_eq(env.content_type, envelopes[_i].content_type);
    ck_assert_str_eq(env.cte, " base64");
    ck_assert_str_eq(env.disposition, " attachment; filename=\"smime.p7m\"");
    ck_assert_str_eq(env.trace, "encrypted smime");
    cm_envelope_free(&env);
    cm_config_free(cfg);
}
END_TEST

/* The whole of a spool into out. */
static void spool_text(cm_spool *sp, cm_buf *out)
{
    char buf[4096];
    ssize_t n;

    cm_buf_reset(out);
    ck_assert_int_eq(cm_spool_rewind(sp), 0);
    while ((n = cm_spool_read(sp, buf, sizeof(buf))) > 0)
        ck_assert_int_eq(cm_buf_append(out, buf, (size_t) n), 0);
    ck_assert_int_eq(n, 0);
}

/* Encrypt the entity of a text/plain message to sam through the format:
 * the session's configuration says engine_cipher, the message's
 * format_cipher. The format's status; its output in b64. */
static cm_stat encrypt(const char *engine_cipher, const char *format_cipher,
                       const cm_engine_ops *ops, cm_buf *b64)
{
    cm_testsession f;
    cm_config *fcfg = cm_testengine_smime_config();
    cm_msgctx mc = {fcfg, NULL, 0};
    cm_spool *body = cm_spool_new(1 << 20, cm_test_tmp()), *out = cm_spool_new(1 << 20, NULL);
    const cm_key *key = NULL;
    cm_entity e;
    cm_hdrs h;
    char err[256];
    cm_stat st;

    ck_assert(body != NULL && out != NULL);
    cm_testsession_open_cfg(&f, &ENGINE, cm_testengine_smime_config());
    ck_assert_int_eq(cm_config_set(f.cfg, "SMIMECipher", engine_cipher, err, sizeof(err)), 0);
    ck_assert_int_eq(cm_config_set(fcfg, "SMIMECipher", format_cipher, err, sizeof(err)), 0);
    ck_assert_int_eq(ENGINE.lookup(f.s, "sam@example.org", &key), CM_OK);
    ck_assert_ptr_nonnull(key);
    ck_assert_int_eq(ENGINE.add_recipient(f.s, key), CM_OK);
    cm_hdrs_init(&h, 10, 1000);
    ck_assert_int_eq(cm_hdrs_add(&h, "Content-Type", " text/plain", 11), CM_OK);
    ck_assert_int_eq(cm_spool_write(body, "S/MIME secret\n", 14), 0);
    ck_assert_int_eq(cm_entity_open(&e, &h, body), 0);
    st = cm_smime_encrypt(ops, f.s, &mc, &e, out);
    cm_entity_close(&e);
    spool_text(out, b64);
    cm_spool_free(out);
    cm_spool_free(body);
    cm_hdrs_free(&h);
    cm_config_free(fcfg);
    cm_testsession_close(&f);
    return st;
}

/* base64 in CRLF lines of at most 76 that openssl decrypts to the entity. */
START_TEST(encrypt_frames_what_openssl_reads)
{
    cm_buf b64 = CM_BUF_INIT, der = CM_BUF_INIT, plain = CM_BUF_INIT;
    const char *p, *eol;
    char path[1024];
    cm_b64 d;

    ck_assert_int_eq(encrypt(envelopes[_i].cipher, envelopes[_i].cipher, &ENGINE, &b64), CM_OK);
    ck_assert_uint_gt(b64.len, 0);
    for (p = cm_buf_str(&b64); *p; p = eol + 2) {
        ck_assert_ptr_nonnull(eol = strstr(p, "\r\n"));
        ck_assert_int_le(eol - p, 76);
        ck_assert_uint_eq(strspn(p, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                    "0123456789+/="), (size_t) (eol - p));
    }
    cm_b64_init(&d);
    ck_assert_int_eq(cm_b64_decode(&d, (const char *) b64.data, b64.len, &der, (size_t) -1), 0);
    cm_testengine_scratch("smime.der", path, sizeof(path));
    cm_testengine_write_file(path, der.data, der.len);
    ck_assert_int_eq(cm_testengine_openssl(&plain, "openssl cms -decrypt -binary -inform DER "
                                           "-in '%s' -recip '%s' -inkey '%s'", path,
                                           cm_testengine_sm("certs/sam.pem"),
                                           cm_testengine_sm("keys/sam.key")), 0);
    ck_assert_str_eq(cm_buf_str(&plain), text);
    unlink(path);
    cm_buf_free(&b64);
    cm_buf_free(&der);
    cm_buf_free(&plain);
}
END_TEST

/* The engine made EnvelopedData where the message asks for
 * AuthEnvelopedData (and the reverse): refused, and not a byte out. */
START_TEST(encrypt_refuses_the_other_content_type)
{
    cm_buf b64 = CM_BUF_INIT;

    ck_assert_int_eq(encrypt(envelopes[_i].cipher, envelopes[1 - _i].cipher, &ENGINE, &b64),
                     CM_ERR_ENCRYPT);
    ck_assert_uint_eq(b64.len, 0);
    cm_buf_free(&b64);
}
END_TEST

/* What a broken engine writes: the bytes of the case, as its encrypt. */
static const char *broken_output;
static size_t broken_len;

static cm_stat broken_encrypt(cm_engine_session *s, cm_reader *in, cm_writer *out)
{
    (void) s;
    (void) in;
    return out->write(out->arg, broken_output, broken_len) == 0 ? CM_OK : CM_ERR_ENCRYPT;
}

static const struct {
    const char *bytes;
    size_t len;
} broken[] = {
    {"not DER at all", 14},
    {"\x30\x03\x02\x01\x00", 5},    /* a complete element, not a ContentInfo */
    {"", 0},                        /* nothing */
};

START_TEST(encrypt_refuses_what_is_not_enveloped)
{
    cm_engine_ops ops = ENGINE;
    cm_buf b64 = CM_BUF_INIT;

    ops.encrypt = broken_encrypt;
    broken_output = broken[_i].bytes;
    broken_len = broken[_i].len;
    ck_assert_int_eq(encrypt("aes256-cbc", "aes256-cbc", &ops, &b64), CM_ERR_ENCRYPT);
    ck_assert_uint_eq(b64.len, 0);
    cm_buf_free(&b64);
}
END_TEST

/* A real envelope followed by more bytes: one element only. */
START_TEST(encrypt_refuses_bytes_after_the_element)
{
    cm_engine_ops ops = ENGINE;
    cm_buf der = CM_BUF_INIT, b64 = CM_BUF_INIT;

    cm_testengine_smime_envelope(cm_testengine_sm("certs/sam.pem"), "-aes256", text,
                                 strlen(text), &der);
    ck_assert_int_eq(cm_buf_puts(&der, "trailing"), 0);
    ops.encrypt = broken_encrypt;
    broken_output = (const char *) der.data;
    broken_len = der.len;
    ck_assert_int_eq(encrypt("aes256-cbc", "aes256-cbc", &ops, &b64), CM_ERR_ENCRYPT);
    broken_len = der.len - strlen("trailing");
    ck_assert_int_eq(encrypt("aes256-cbc", "aes256-cbc", &ops, &b64), CM_OK);
    ck_assert_uint_gt(b64.len, 0);
    cm_buf_free(&der);
    cm_buf_free(&b64);
}
END_TEST

static const struct {
    const char *cert;
    cm_cte cte;
    const char *max;        /* MaxDecryptedSize */
    cm_stat st;
    int ours;
} decrypts[] = {
    {"gateway-rsa.crt", CM_CTE_BASE64, "0", CM_OK, 1},
    {"gateway-rsa.crt", CM_CTE_IDENTITY, "0", CM_OK, 1},
    {"gateway-ec.crt", CM_CTE_BASE64, "0", CM_OK, 1},
    {"certs/sam.pem", CM_CTE_BASE64, "0", CM_OK, 0},        /* not ours: untouched */
    {"gateway-rsa.crt", CM_CTE_BASE64, "16", CM_DECRYPT_TOOBIG, 1},
};

/* The ciphertext sits in the middle of the body, in its transfer
 * encoding; only its range is read. The plaintext has CRLF line ends. */
START_TEST(decrypt_reads_the_range_in_its_encoding)
{
    cm_testsession f;
    cm_spool *body = cm_spool_new(1 << 20, cm_test_tmp()), *plain = cm_spool_new(1 << 20, NULL);
    cm_buf der = CM_BUF_INIT, enc = CM_BUF_INIT, got = CM_BUF_INIT;
    static const char before[] = "--b\r\nContent-Type: application/pkcs7-mime\r\n\r\n";
    static const char lf_text[] = "Content-Type: text/plain\n\nS/MIME secret\n";
    cm_detect_where w;
    char err[256];
    int ours = -1, auth = -1;
    cm_stat st;

    ck_assert(body != NULL && plain != NULL);
    cm_testengine_smime_envelope(cm_testengine_sm(decrypts[_i].cert), "-aes256", lf_text,
                                 strlen(lf_text), &der);
    if (decrypts[_i].cte == CM_CTE_BASE64) {
        cm_b64enc b;

        cm_b64enc_init(&b);
        ck_assert_int_eq(cm_b64enc_push(&b, der.data, der.len, &enc), 0);
        ck_assert_int_eq(cm_b64enc_finish(&b, &enc), 0);
    } else {
        ck_assert_int_eq(cm_buf_append(&enc, der.data, der.len), 0);
    }
    memset(&w, 0, sizeof(w));
    w.off = strlen(before);
    w.len = enc.len;
    w.cte = decrypts[_i].cte;
    ck_assert_int_eq(cm_spool_write(body, before, strlen(before)), 0);
    ck_assert_int_eq(cm_spool_write(body, enc.data, enc.len), 0);
    ck_assert_int_eq(cm_spool_write(body, "\r\n--b--\r\n", 9), 0);
    cm_testsession_open_cfg(&f, &ENGINE, cm_testengine_smime_config());
    ck_assert_int_eq(cm_config_set(f.cfg, "MaxDecryptedSize", decrypts[_i].max, err,
                                   sizeof(err)), 0);
    st = cm_smime_decrypt(&ENGINE, f.s, &f.mc, body, &w, plain, &ours, &auth);
    ck_assert_int_eq(st, decrypts[_i].st);
    ck_assert_int_eq(ours, decrypts[_i].ours);
    ck_assert_int_eq(auth, 0);
    spool_text(plain, &got);
    if (st == CM_OK && ours)
        ck_assert_str_eq(cm_buf_str(&got), text);
    else if (st == CM_OK)
        ck_assert_uint_eq(got.len, 0);
    cm_testsession_close(&f);
    cm_spool_free(body);
    cm_spool_free(plain);
    cm_buf_free(&der);
    cm_buf_free(&enc);
    cm_buf_free(&got);
}
END_TEST

/* The DER reader decodes base64 across its line breaks, and reads no byte
 * outside its range; what is not base64 ends it. */
START_TEST(der_reader_decodes_its_range)
{
    cm_spool *sp = cm_spool_new(1024, NULL);
    static const char body[] = "**AAEC\r\nAwQF\r\n**";   /* 00 01 02 03 04 05 */
    unsigned char buf[16];
    cm_der_reader d;
    ssize_t n;
    size_t got = 0;

    ck_assert_ptr_nonnull(sp);
    ck_assert_int_eq(cm_spool_write(sp, body, strlen(body)), 0);
    cm_der_reader_init(&d, sp, 2, strlen(body) - 4, CM_CTE_BASE64);
    while ((n = cm_der_reader_read(&d, buf + got, 1)) > 0)
        got += (size_t) n;
    ck_assert_int_eq(n, 0);
    ck_assert_uint_eq(got, 6);
    ck_assert_mem_eq(buf, "\x00\x01\x02\x03\x04\x05", 6);
    ck_assert_int_eq(d.err, 0);
    ck_assert_int_eq(d.bad, 0);
    cm_der_reader_free(&d);
    cm_der_reader_init(&d, sp, 0, strlen(body), CM_CTE_BASE64);     /* "**" around it:  */
    while ((n = cm_der_reader_read(&d, buf, sizeof(buf))) > 0)      /* not base64 */
        ;
    ck_assert_int_eq(n, 0);
    ck_assert_int_eq(d.bad, 1);
    cm_der_reader_free(&d);
    cm_spool_free(sp);
}
END_TEST

static void add(Suite *s)
{
    CM_ADD_LOOP(s, envelope_follows_the_cipher, NELEM(envelopes));
    CM_ADD_LOOP(s, encrypt_frames_what_openssl_reads, NELEM(envelopes));
    CM_ADD_LOOP(s, encrypt_refuses_the_other_content_type, NELEM(envelopes));
    CM_ADD_LOOP(s, encrypt_refuses_what_is_not_enveloped, NELEM(broken));
    CM_ADD(s, encrypt_refuses_bytes_after_the_element);
    CM_ADD_LOOP(s, decrypt_reads_the_range_in_its_encoding, NELEM(decrypts));
    CM_ADD(s, der_reader_decodes_its_range);
}

CM_TEST_MAIN("cm_smime", add)
