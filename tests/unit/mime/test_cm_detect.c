#include "cm_detect.h"
#include "cm_pgpfake.h"
#include "cm_test.h"

#include <string.h>

/* Parse "headers\n\nbody" and run detection over the whole body. */
static cm_enc_kind detect_msg(const cm_buf *msg)
{
    cm_hdrs h;
    size_t off;
    cm_stat st;
    cm_enc_kind kind;

    cm_hdrs_init(&h, 100, 100000);
    ck_assert_int_eq(cm_hdrs_parse(&h, msg->data, msg->len, 1, &off, &st), CM_HPARSE_DONE);
    ck_assert_int_eq(cm_detect(&h, msg->data + off, msg->len - off, &kind), 0);
    cm_hdrs_free(&h);
    return kind;
}

static void pgp_mime(cm_buf *m, const char *proto, const char *part1_type, int real, int close)
{
    cm_buf_printf(m, "From: a@x\nContent-Type: multipart/encrypted;\n protocol=\"%s\";\n"
                  " boundary=\"b1\"\n\nPreamble\n--b1\nContent-Type: %s\n\nVersion: 1\n\n--b1\n"
                  "Content-Type: application/octet-stream\n\n", proto, part1_type);
    if (real)
        fake_encrypted(m, 1, 200);
    else
        cm_buf_puts(m, "-----BEGIN PGP MESSAGE-----\n\nSGVsbG8gcGxhaW50ZXh0\n-----END PGP MESSAGE-----\n");
    if (close)
        cm_buf_puts(m, "\n--b1--\n");
}

START_TEST(pgp_mime_real)
{
    cm_buf m = CM_BUF_INIT;

    pgp_mime(&m, "application/pgp-encrypted", "application/pgp-encrypted", 1, 1);
    ck_assert_int_eq(detect_msg(&m), CM_ENC_PGP_MIME);
    cm_buf_free(&m);
}
END_TEST

START_TEST(pgp_mime_lookalikes_are_plain)
{
    cm_buf m = CM_BUF_INIT;

    pgp_mime(&m, "application/pgp-encrypted", "application/pgp-encrypted", 0, 1);
    ck_assert_int_eq(detect_msg(&m), CM_ENC_NONE);      /* plaintext in the armor */
    cm_buf_reset(&m);
    pgp_mime(&m, "application/x-other", "application/pgp-encrypted", 1, 1);
    ck_assert_int_eq(detect_msg(&m), CM_ENC_NONE);      /* wrong protocol */
    cm_buf_reset(&m);
    pgp_mime(&m, "application/pgp-encrypted", "text/plain", 1, 1);
    ck_assert_int_eq(detect_msg(&m), CM_ENC_NONE);      /* wrong version part */
    cm_buf_reset(&m);
    pgp_mime(&m, "application/pgp-encrypted", "application/pgp-encrypted", 1, 0);
    ck_assert_int_eq(detect_msg(&m), CM_ENC_NONE);      /* never closed */
    cm_buf_free(&m);
}
END_TEST

START_TEST(inline_pgp)
{
    cm_buf m = CM_BUF_INIT;

    cm_buf_puts(&m, "From: a@x\nContent-Type: text/plain\n\n");
    fake_encrypted(&m, 1, 100);
    ck_assert_int_eq(detect_msg(&m), CM_ENC_PGP_INLINE);
    cm_buf_reset(&m);
    cm_buf_puts(&m, "From: a@x\n\nHello, plaintext first!\n");
    fake_encrypted(&m, 1, 100);
    ck_assert_int_eq(detect_msg(&m), CM_ENC_NONE);      /* mixed content */
    cm_buf_reset(&m);
    cm_buf_puts(&m, "From: a@x\nContent-Transfer-Encoding: quoted-printable\n\n");
    fake_encrypted(&m, 1, 100);
    ck_assert_int_eq(detect_msg(&m), CM_ENC_NONE);
    cm_buf_free(&m);
}
END_TEST

static void smime(cm_buf *m, const char *ctype, const unsigned char *der, size_t n)
{
    cm_buf_printf(m, "From: a@x\nContent-Type: %s\nContent-Transfer-Encoding: base64\n\n", ctype);
    fake_b64(der, n, m);
}

START_TEST(smime_enveloped)
{
    /* Complete ContentInfos: BER with indefinite lengths (as openssl
     * writes S/MIME), and DER. */
    static const unsigned char env[] = {0x30, 0x80, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7,
                                        0x0d, 0x01, 0x07, 0x03, 0xa0, 0x80, 0x30, 0x03, 0x02,
                                        0x01, 0x00, 0x00, 0x00, 0x00, 0x00};
    static const unsigned char auth[] = {0x30, 0x14, 0x06, 0x0b, 0x2a, 0x86, 0x48, 0x86, 0xf7,
                                         0x0d, 0x01, 0x09, 0x10, 0x01, 0x17, 0xa0, 0x05, 0x30,
                                         0x03, 0x02, 0x01, 0x00};
    static const unsigned char signed_data[] = {0x30, 0x80, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86,
                                                0xf7, 0x0d, 0x01, 0x07, 0x02, 0xa0, 0x80, 0x30,
                                                0x03, 0x02, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00};
    static const unsigned char text[] = "Just some text, not DER at all";
    unsigned char trailing[sizeof(auth) + 30];
    cm_buf m = CM_BUF_INIT;

    smime(&m, "application/pkcs7-mime; smime-type=enveloped-data; name=smime.p7m", env, sizeof(env));
    ck_assert_int_eq(detect_msg(&m), CM_ENC_SMIME);
    cm_buf_reset(&m);
    smime(&m, "application/x-pkcs7-mime", env, sizeof(env));
    ck_assert_int_eq(detect_msg(&m), CM_ENC_SMIME);
    cm_buf_reset(&m);
    smime(&m, "application/pkcs7-mime; smime-type=authEnveloped-data", auth, sizeof(auth));
    ck_assert_int_eq(detect_msg(&m), CM_ENC_SMIME);
    cm_buf_reset(&m);
    smime(&m, "application/pkcs7-mime; smime-type=signed-data", signed_data, sizeof(signed_data));
    ck_assert_int_eq(detect_msg(&m), CM_ENC_NONE);      /* signed, readable */
    cm_buf_reset(&m);
    smime(&m, "application/pkcs7-mime; smime-type=enveloped-data", text, sizeof(text));
    ck_assert_int_eq(detect_msg(&m), CM_ENC_NONE);      /* look-alike */
    cm_buf_reset(&m);
    /* A real EnvelopedData header with plaintext after the element. */
    memcpy(trailing, auth, sizeof(auth));
    memcpy(trailing + sizeof(auth), "canary plaintext after the DER", 30);
    smime(&m, "application/pkcs7-mime; smime-type=enveloped-data", trailing, sizeof(trailing));
    ck_assert_int_eq(detect_msg(&m), CM_ENC_NONE);
    cm_buf_reset(&m);
    /* Only the first 15 bytes of the header, then plaintext. */
    smime(&m, "application/pkcs7-mime; smime-type=enveloped-data", env, 15);
    cm_buf_puts(&m, "canary plaintext in the clear\n");
    ck_assert_int_eq(detect_msg(&m), CM_ENC_NONE);
    cm_buf_reset(&m);
    /* Base64 of a real element, then text after the base64. */
    smime(&m, "application/pkcs7-mime; smime-type=enveloped-data", env, sizeof(env));
    cm_buf_puts(&m, "\ncanary plaintext\n");
    ck_assert_int_eq(detect_msg(&m), CM_ENC_NONE);
    cm_buf_free(&m);
}
END_TEST

/* Genuine PGP/MIME ciphertext, with plaintext hidden around it: each is
 * encrypted again, since a reader could show the plaintext. */
START_TEST(pgp_mime_plaintext_around_ciphertext)
{
    static const struct {
        const char *preamble, *extra_part, *after_armor, *epilogue, *ctype2;
    } cases[] = {
        {"canary 1 canary 1 canary 1 canary 1 canary 1 canary 1 canary 1 canary 1 canary 1 "
         "canary 1 canary 1 canary 1 canary 1 canary 1 canary 1 canary 1 canary 1 canary 1 "
         "canary 1 canary 1 canary 1 canary 1 canary 1 canary 1 canary 1 canary 1 canary 1\n"
         "canary 1 canary 1 canary 1 canary 1 canary 1 canary 1 canary 1 canary 1 canary 1\n",
         "", "", "", NULL},
        {"", "--b1\nContent-Type: text/plain\n\ncanary third part\n", "", "", NULL},
        {"", "", "canary after END\n", "", NULL},
        {"", "", "", "canary 2 canary 2 canary 2 canary 2 canary 2 canary 2 canary 2 canary 2 "
         "canary 2 canary 2 canary 2 canary 2 canary 2 canary 2 canary 2 canary 2 canary 2 "
         "canary 2 canary 2 canary 2 canary 2 canary 2 canary 2 canary 2 canary 2 canary 2\n"
         "canary 2 canary 2 canary 2 canary 2 canary 2 canary 2 canary 2 canary 2 canary 2\n", NULL},
        {"", "", "", "", "Content-Type: multipart/mixed; boundary=b1\n"},
        {"This is an OpenPGP/MIME encrypted message (RFC 4880 and 3156)\n", "", "", "", NULL},
    };
    size_t i;

    for (i = 0; i < NELEM(cases); i++) {
        cm_buf m = CM_BUF_INIT;

        cm_buf_printf(&m, "From: a@x\nContent-Type: multipart/encrypted;\n"
                      " protocol=\"application/pgp-encrypted\"; boundary=\"b1\"\n%s\n%s"
                      "--b1\nContent-Type: application/pgp-encrypted\n\nVersion: 1\n\n"
                      "--b1\nContent-Type: application/octet-stream\n\n",
                      cases[i].ctype2 ? cases[i].ctype2 : "", cases[i].preamble);
        fake_encrypted(&m, 1, 200);
        cm_buf_puts(&m, cases[i].after_armor);
        cm_buf_puts(&m, "\n");
        cm_buf_puts(&m, cases[i].extra_part);
        cm_buf_puts(&m, "--b1--\n");
        cm_buf_puts(&m, cases[i].epilogue);
        /* The last case is the control: a short note is allowed. */
        ck_assert_msg(detect_msg(&m) == (i == NELEM(cases) - 1 ? CM_ENC_PGP_MIME : CM_ENC_NONE),
                      "case %zu", i);
        cm_buf_free(&m);
    }
}
END_TEST

START_TEST(whole_body_checked)
{
    cm_buf m = CM_BUF_INIT;

    /* A genuine inline message far larger than any fixed window. */
    cm_buf_puts(&m, "From: a@x\nContent-Type: text/plain\n\n");
    fake_encrypted(&m, 1, 400 * 1024);
    ck_assert_int_eq(detect_msg(&m), CM_ENC_PGP_INLINE);
    /* The same with plaintext after it, over 540 KiB into the body. */
    cm_buf_reset(&m);
    cm_buf_puts(&m, "From: a@x\nContent-Type: text/plain\n\n");
    fake_encrypted(&m, 1, 400 * 1024);
    cm_buf_puts(&m, "canary plaintext after the block\n");
    ck_assert_int_eq(detect_msg(&m), CM_ENC_NONE);
    cm_buf_free(&m);
}
END_TEST

START_TEST(plain_messages)
{
    static const char *const msgs[] = {
        "From: a@x\n\nhello\n",
        "Content-Type: multipart/mixed; boundary=q\n\n--q\n\nx\n--q--\n",
        "Content-Type: text/plain\n\n-----BEGIN PGP SIGNED MESSAGE-----\n",
    };
    size_t i;

    for (i = 0; i < NELEM(msgs); i++) {
        cm_buf m = CM_BUF_INIT;

        cm_buf_puts(&m, msgs[i]);
        ck_assert_int_eq(detect_msg(&m), CM_ENC_NONE);
        cm_buf_free(&m);
    }
    ck_assert_str_eq(cm_enc_kind_name(CM_ENC_PGP_MIME), "pgp-mime");
}
END_TEST

/* Where the ciphertext is: PGP/MIME part 2's armored block exactly. */
START_TEST(where_the_ciphertext_is)
{
    static const char *const eols[] = {"\n", "\r\n"};
    size_t e;

    for (e = 0; e < 2; e++) {
        cm_buf m = CM_BUF_INIT, armor = CM_BUF_INIT, t = CM_BUF_INIT;
        const char *nl = eols[e];
        cm_detect_where w;
        cm_detector *d;
        cm_enc_kind kind;
        cm_hdrs h;
        size_t off, i;
        cm_stat st;

        fake_encrypted(&t, 2, 300);
        for (i = 0; i < t.len; i++)     /* the armor with this line ending */
            if (t.data[i] == '\n')
                cm_buf_puts(&armor, nl);
            else
                cm_buf_putc(&armor, t.data[i]);
        cm_buf_printf(&m, "Content-Type: multipart/encrypted; protocol=\"application/pgp-encrypted\";"
                      " boundary=\"b\"%s%sx%s--b%sContent-Type: application/pgp-encrypted%s%s"
                      "Version: 1%s--b%sContent-Type: application/octet-stream%s%s",
                      nl, nl, nl, nl, nl, nl, nl, nl, nl, nl);
        cm_hdrs_init(&h, 100, 100000);
        ck_assert_int_eq(cm_hdrs_parse(&h, m.data, m.len, 0, &off, &st), CM_HPARSE_DONE);
        cm_buf_append(&m, armor.data, armor.len);
        cm_buf_printf(&m, "%s--b--%s", nl, nl);
        ck_assert_ptr_nonnull(d = cm_detector_new(&h));
        ck_assert_int_eq(cm_detector_push(d, m.data + off, m.len - off), 0);
        ck_assert_int_eq(cm_detector_finish(d, &kind), 0);
        ck_assert_int_eq(kind, CM_ENC_PGP_MIME);
        cm_detector_where(d, &w);
        /* The armor lines, without the line break that belongs to the delimiter. */
        ck_assert_uint_eq(w.len, armor.len);
        ck_assert(memcmp(m.data + off + w.off, armor.data, armor.len) == 0);
        ck_assert_int_eq(w.cte, CM_CTE_IDENTITY);
        /* The packet walk's findings come along, for the outbound path. */
        ck_assert_uint_eq(w.pkt.npkesk, 2);
        ck_assert_int_eq(w.pkt.enc_tag, CM_PKT_SEIPD);
        cm_detector_free(d);
        cm_hdrs_free(&h);
        cm_buf_free(&m);
        cm_buf_free(&armor);
        cm_buf_free(&t);
    }
}
END_TEST

static void add(Suite *s)
{
    CM_ADD(s, where_the_ciphertext_is);
    CM_ADD(s, pgp_mime_real);
    CM_ADD(s, pgp_mime_lookalikes_are_plain);
    CM_ADD(s, inline_pgp);
    CM_ADD(s, smime_enveloped);
    CM_ADD(s, pgp_mime_plaintext_around_ciphertext);
    CM_ADD(s, whole_body_checked);
    CM_ADD(s, plain_messages);
}

CM_TEST_MAIN("cm_detect", add)
