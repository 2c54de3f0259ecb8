/* cm_cover: what a signature covers in a decrypted entity, table-driven.
 * The signatures are never checked here (the engines do that): the cases
 * are about the bytes around the signed structure. */
#include "cm_cover.h"
#include "cm_test.h"

#include <string.h>

#define SIGNED_HDR "Content-Type: multipart/signed; micalg=pgp-sha256;\r\n" \
    " protocol=\"application/pgp-signature\"; boundary=\"S\"\r\n"
#define PART "Content-Type: text/plain\r\n\r\nHello\r\n"
#define PGPSIG "Content-Type: application/pgp-signature\r\n\r\n" \
    "-----BEGIN PGP SIGNATURE-----\r\n\r\niQ==\r\n=AAAA\r\n-----END PGP SIGNATURE-----\r\n"
#define BODY(pre, sig, epi) pre "--S\r\n" PART "\r\n--S\r\n" sig "\r\n--S--\r\n" epi

/* An opaque signed-data entity around a tiny, well-formed BER element. */
#define OPAQUE_HDR "Content-Type: application/pkcs7-mime; smime-type=signed-data\r\n" \
    "Content-Transfer-Encoding: base64\r\n"

typedef struct cover_case {
    const char *name;
    const char *plain;
    const char *want;       /* NULL: covered; else a word of the reason */
} cover_case;

static const cover_case cases[] = {
    {"bare", SIGNED_HDR "\r\n" BODY("", PGPSIG, ""), NULL},
    {"whitespace around", SIGNED_HDR "\r\n" BODY("\r\n  \r\n", PGPSIG, "\r\n\t\r\n"), NULL},
    {"openssl preamble", SIGNED_HDR "\r\n" BODY("This is an S/MIME signed message\r\n\r\n", PGPSIG, ""),
     NULL},
    {"thunderbird preamble", SIGNED_HDR "\r\n"
     BODY("This is a cryptographically signed message in MIME format.\r\n\r\n", PGPSIG, ""), NULL},
    {"other preamble", SIGNED_HDR "\r\n" BODY("Pay the bill\r\n", PGPSIG, ""), "preamble"},
    {"boilerplate and more", SIGNED_HDR "\r\n"
     BODY("This is an S/MIME signed message\r\nand more\r\n", PGPSIG, ""), "preamble"},
    {"epilogue", SIGNED_HDR "\r\n" BODY("", PGPSIG, "Appended\r\n"), "epilogue"},
    {"epilogue garbage", SIGNED_HDR "\r\n" BODY("", PGPSIG, "\r\n\x8f\x01"), "epilogue"},
    {"mime-version", SIGNED_HDR "MIME-Version: 1.0\r\n\r\n" BODY("", PGPSIG, ""), NULL},
    {"other content field", SIGNED_HDR "Content-Description: x\r\n\r\n" BODY("", PGPSIG, ""),
     "Content-Description"},
    {"subject, unprotected part", SIGNED_HDR "Subject: x\r\n\r\n" BODY("", PGPSIG, ""), "Subject"},
    {"text before armor", SIGNED_HDR "\r\n"
     BODY("", "Content-Type: application/pgp-signature\r\n\r\nPS\r\n"
          "-----BEGIN PGP SIGNATURE-----\r\niQ==\r\n-----END PGP SIGNATURE-----\r\n", ""),
     "beside"},
    {"text on the END line", SIGNED_HDR "\r\n"
     BODY("", "Content-Type: application/pgp-signature\r\n\r\n"
          "-----BEGIN PGP SIGNATURE-----\r\niQ==\r\n-----END PGP SIGNATURE-----PS\r\n", ""),
     "beside"},
    {"field in signature part", SIGNED_HDR "\r\n"
     BODY("", "X-Note: hi\r\nContent-Type: application/pgp-signature\r\n\r\n"
          "-----BEGIN PGP SIGNATURE-----\r\niQ==\r\n-----END PGP SIGNATURE-----\r\n", ""), "X-Note"},
    /* 30 03 02 01 05: SEQUENCE { INTEGER 5 } is "MAMCAQU=" */
    {"opaque", OPAQUE_HDR "Content-Disposition: attachment\r\n\r\nMAMCAQU=\r\n", NULL},
    {"opaque, bytes after", OPAQUE_HDR "\r\nMAMCAQUF\r\n", "after the signed data"},
    {"opaque, text after", OPAQUE_HDR "\r\nMAMCAQU=\r\n\r\nHello!\r\n", "after the signed data"},
    {"opaque, subject", "Subject: hi\r\n" OPAQUE_HDR "\r\nMAMCAQU=\r\n", "Subject"},
    {"plain entity", "Content-Type: text/plain\r\n\r\nAppended\r\n", NULL},
    /* The multipart/signed's own header (issue 22 review: F3). */
    {"second content-type", SIGNED_HDR "Content-Type: text/plain; charset=utf-7\r\n\r\n"
     BODY("", PGPSIG, ""), "Content-Type"},
    {"cte with words", SIGNED_HDR "Content-Transfer-Encoding: 7bit (WIRE 9999)\r\n\r\n"
     BODY("", PGPSIG, ""), "Content-Transfer-Encoding"},
    {"cte quoted-printable", SIGNED_HDR "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
     BODY("", PGPSIG, ""), "Content-Transfer-Encoding"},
    {"cte 7bit", SIGNED_HDR "Content-Transfer-Encoding: 7bit\r\n\r\n" BODY("", PGPSIG, ""), NULL},
    {"micalg with words", "Content-Type: multipart/signed; micalg=\"pay now\";\r\n"
     " protocol=\"application/pgp-signature\"; boundary=\"S\"\r\n\r\n" BODY("", PGPSIG, ""),
     "Content-Type"},
    /* The signature part's header (F2). */
    {"known description", SIGNED_HDR "\r\n"
     BODY("", "Content-Description: OpenPGP digital signature\r\n" PGPSIG, ""), NULL},
    {"own description", SIGNED_HDR "\r\n"
     BODY("", "Content-Description: WIRE 9999 EUR NOW\r\n" PGPSIG, ""), "Content-Description"},
    {"plain file name", SIGNED_HDR "\r\n"
     BODY("", "Content-Disposition: attachment; filename=\"OpenPGP_signature.asc\"\r\n" PGPSIG,
          ""), NULL},
    {"file name with words", SIGNED_HDR "\r\n"
     BODY("", "Content-Disposition: attachment; filename=\"WIRE 9999.exe\"\r\n" PGPSIG, ""),
     "Content-Disposition"},
    {"content-id", SIGNED_HDR "\r\n" BODY("", "Content-ID: <pay@now>\r\n" PGPSIG, ""),
     "Content-ID"},
    /* Inside the armor (F4). */
    {"version header", SIGNED_HDR "\r\n"
     BODY("", "Content-Type: application/pgp-signature\r\n\r\n-----BEGIN PGP SIGNATURE-----\r\n"
          "Version: GnuPG v2\r\n\r\niQ==\r\n=AAAA\r\n-----END PGP SIGNATURE-----\r\n", ""), NULL},
    {"comment header", SIGNED_HDR "\r\n"
     BODY("", "Content-Type: application/pgp-signature\r\n\r\n-----BEGIN PGP SIGNATURE-----\r\n"
          "Comment: WIRE 9999\r\n\r\niQ==\r\n-----END PGP SIGNATURE-----\r\n", ""), "beside"},
    {"text after the checksum", SIGNED_HDR "\r\n"
     BODY("", "Content-Type: application/pgp-signature\r\n\r\n-----BEGIN PGP SIGNATURE-----\r\n"
          "\r\niQ==\r\n=AAAA\r\nWIRE 9999\r\n-----END PGP SIGNATURE-----\r\n", ""), "beside"},
    {"words among the radix 64", SIGNED_HDR "\r\n"
     BODY("", "Content-Type: application/pgp-signature\r\n\r\n-----BEGIN PGP SIGNATURE-----\r\n"
          "\r\niQ==\r\nPay now!\r\n-----END PGP SIGNATURE-----\r\n", ""), "beside"},
    /* The opaque wrapper (F1). */
    {"opaque, content-id", OPAQUE_HDR "Content-ID: PAY ion\r\n\r\nMAMCAQU=\r\n", "Content-ID"},
    {"unknown parameter", "Content-Type: multipart/signed; x-note=WIRE;\r\n"
     " protocol=\"application/pgp-signature\"; boundary=\"S\"\r\n\r\n" BODY("", PGPSIG, ""),
     "Content-Type"},
    {"comment in the type", "Content-Type: multipart/signed (WIRE 9999);\r\n"
     " protocol=\"application/pgp-signature\"; boundary=\"S\"\r\n\r\n" BODY("", PGPSIG, ""),
     "Content-Type"},
    {"opaque, openssl's wrapper", "Content-Disposition: attachment; filename=\"smime.p7m\"\r\n"
     "Content-Type: application/pkcs7-mime; smime-type=signed-data; name=\"smime.p7m\"\r\n"
     "Content-Transfer-Encoding: base64\r\n\r\nMAMCAQU=\r\n", NULL},
    {"opaque, description with words", OPAQUE_HDR "Content-Description: WIRE 9999\r\n\r\n"
     "MAMCAQU=\r\n", "Content-Description"},
    {"opaque, forged first block", "Content-Description: ion: attachment; filename=\"smime.p7m\"\r\n"
     OPAQUE_HDR "\r\nMAMCAQU=\r\n", "Content-Description"},
    {"opaque, two dispositions", OPAQUE_HDR "Content-Disposition: attachment\r\n"
     "Content-Disposition: inline\r\n\r\nMAMCAQU=\r\n", "Content-Disposition"},
};

START_TEST(cover)
{
    const cover_case *c = &cases[_i];
    cm_spool *sp = cm_spool_new(1 << 20, NULL);
    cm_stripped x;
    char why[256] = "";
    cm_stat st;

    ck_assert(sp != NULL);
    ck_assert_int_eq(cm_spool_write(sp, c->plain, strlen(c->plain)), 0);
    ck_assert_int_eq(cm_strip_parse(&x, sp, 0, NULL), CM_OK);
    st = cm_cover_check(&x, sp, why, sizeof(why));
    if (c->want == NULL) {
        ck_assert_msg(st == CM_OK, "%s: refused: %s", c->name, why);
    } else {
        ck_assert_msg(st == CM_GATE_UNCOVERED, "%s: status %d, want unsigned content", c->name, st);
        ck_assert_msg(strstr(why, c->want) != NULL, "%s: reason \"%s\" lacks \"%s\"", c->name, why,
                      c->want);
    }
    cm_stripped_free(&x);
    cm_spool_free(sp);
}
END_TEST

/* The signed part's own protected fields make the same fields outside it
 * covered, when equal. */
START_TEST(protected_fields_against_the_signed_part)
{
    static const char *const outer[] = {"Subject: Figures\r\n", "Subject: Send money\r\n",
                                        "Subject:  Figures\r\n"};
    static const int ok[] = {1, 0, 1};
    size_t i;

    for (i = 0; i < 3; i++) {
        cm_spool *sp = cm_spool_new(1 << 20, NULL);
        char plain[1024], why[256] = "";
        cm_stripped x;

        snprintf(plain, sizeof(plain), "%s%s\r\n--S\r\n"
                 "Content-Type: text/plain; protected-headers=\"v1\"\r\nSubject: Figures\r\n\r\n"
                 "Hi\r\n\r\n--S\r\n%s\r\n--S--\r\n", SIGNED_HDR, outer[i], PGPSIG);
        ck_assert_int_eq(cm_spool_write(sp, plain, strlen(plain)), 0);
        ck_assert_int_eq(cm_strip_parse(&x, sp, 0, NULL), CM_OK);
        ck_assert(x.is_signed && x.signed_protected);
        ck_assert_msg((cm_cover_check(&x, sp, why, sizeof(why)) == CM_OK) == ok[i], "case %zu: %s",
                      i, why);
        cm_stripped_free(&x);
        cm_spool_free(sp);
    }
}
END_TEST

static void add(Suite *s)
{
    CM_ADD_LOOP(s, cover, NELEM(cases));
    CM_ADD(s, protected_fields_against_the_signed_part);
}

CM_TEST_MAIN("cm_cover", add)
