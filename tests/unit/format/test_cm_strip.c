#include "cm_edit.h"
#include "cm_strip.h"
#include "cm_test.h"

#include <stdlib.h>
#include <string.h>

static cm_spool *spool_of(const char *s)
{
    cm_spool *sp = cm_spool_new(1 << 20, NULL);

    ck_assert(sp != NULL);
    ck_assert_int_eq(cm_spool_write(sp, s, strlen(s)), 0);
    return sp;
}

static void add_field(cm_hdrs *h, const char *name, const char *value)
{
    ck_assert_int_eq(cm_hdrs_add(h, name, value, strlen(value)), CM_OK);
}

static void outer(cm_hdrs *h)
{
    cm_hdrs_init(h, 50, 10000);
    add_field(h, "From", " Alice <alice@example.org>");
    add_field(h, "Subject", " [...]");
    add_field(h, "MIME-Version", " 1.0");
    add_field(h, "Content-Type", " multipart/encrypted; protocol=\"application/pgp-encrypted\";\n"
              " boundary=\"B\"");
    add_field(h, "Content-Description", " OpenPGP");
    add_field(h, "X-Cryptmilter", " forged");
}

/* A decrypted plaintext read under the outer header, declaring
 * protected headers. */
typedef struct protected_case {
    cm_spool *sp;
    cm_stripped x;
    cm_hdrs h;
} protected_case;

static void protected_open(protected_case *c, const char *plain)
{
    c->sp = spool_of(plain);
    outer(&c->h);
    ck_assert_int_eq(cm_strip_parse(&c->x, c->sp, 0, &c->h), CM_OK);
    ck_assert_int_eq(c->x.protected_hdrs, 1);
}

static void protected_close(protected_case *c)
{
    cm_hdrs_free(&c->h);
    cm_stripped_free(&c->x);
    cm_spool_free(c->sp);
}

static char *body_of(const cm_stripped *x, cm_spool *plain)
{
    cm_spool *out = cm_spool_new(1 << 20, NULL);
    char *s;
    ssize_t n;

    ck_assert_int_eq(cm_strip_body(x, plain, out), CM_OK);
    s = calloc(1, (size_t) cm_spool_size(out) + 1);
    ck_assert(cm_spool_rewind(out) == 0);
    n = cm_spool_read(out, s, (size_t) cm_spool_size(out));
    ck_assert_int_eq(n, (ssize_t) cm_spool_size(out));
    cm_spool_free(out);
    return s;
}

START_TEST(entity_replaces_content_fields)
{
    const char *plain = "Content-Type: text/plain; charset=utf-8\r\n"
                        "Content-Transfer-Encoding: 8bit\r\n\r\nHallo Wörld\r\n";
    static const char *const want[] = {
        "From: Alice <alice@example.org>", "Subject: [...]", "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=utf-8", "Content-Transfer-Encoding: 8bit",
        "X-Cryptmilter: decrypted pgp-mime",
    };
    cm_spool *sp = spool_of(plain);
    cm_stripped x;
    cm_edits e = {NULL, 0};
    cm_hdrs h;
    char *b;
    size_t i;

    outer(&h);
    ck_assert_int_eq(cm_strip_parse(&x, sp, 0, &h), CM_OK);
    ck_assert_int_eq(x.is_signed, 0);
    ck_assert_int_eq(x.protected_hdrs, 0);
    ck_assert_int_eq(cm_strip_edits(&x, &h, "decrypted pgp-mime", 1, &e), CM_OK);
    ck_assert_int_eq(cm_edits_apply(&e, &h), CM_OK);
    ck_assert_uint_eq(h.n, NELEM(want));
    for (i = 0; i < NELEM(want); i++)
        ck_assert_str_eq(h.v[i].raw, want[i]);
    ck_assert_str_eq(b = body_of(&x, sp), "Hallo Wörld\r\n");
    free(b);
    cm_edits_free(&e);
    cm_hdrs_free(&h);
    cm_stripped_free(&x);
    cm_spool_free(sp);
}
END_TEST

START_TEST(protected_headers_restored)
{
    protected_case c;
    cm_edits e = {NULL, 0};

    protected_open(&c, "Content-Type: text/plain; protected-headers=\"v1\"\r\n"
                       "Subject: The real one\r\nTo: <x@ext.example>\r\n\r\nbody\r\n");
    /* Without a signature that passed the gate, nothing is restored. */
    ck_assert_int_eq(cm_strip_edits(&c.x, &c.h, "decrypted pgp-mime", 0, &e), CM_OK);
    for (size_t i = 0; i < e.n; i++)
        ck_assert_str_ne(e.v[i].name, "Subject");
    cm_edits_free(&e);
    ck_assert_int_eq(cm_strip_edits(&c.x, &c.h, "decrypted pgp-mime", 1, &e), CM_OK);
    ck_assert_int_eq(cm_edits_apply(&e, &c.h), CM_OK);
    ck_assert_str_eq(cm_hdrs_find(&c.h, "Subject", 0)->raw, "Subject: The real one");
    ck_assert_str_eq(cm_hdrs_find(&c.h, "To", 0)->raw, "To: <x@ext.example>");
    ck_assert_uint_eq(cm_hdrs_count(&c.h, "Subject"), 1);
    cm_edits_free(&e);
    protected_close(&c);
}
END_TEST

/* A bare CR in a protected value is not carried into the outer header. */
START_TEST(protected_bare_cr_refused)
{
    protected_case c;
    cm_edits e = {NULL, 0};

    protected_open(&c, "Content-Type: text/plain; hp=\"cipher\"\r\n"
                       "Subject: one\rBcc: x@evil.example\r\n\r\nbody\r\n");
    ck_assert_int_eq(cm_strip_edits(&c.x, &c.h, "decrypted pgp-mime", 1, &e), CM_BAD_INPUT);
    cm_edits_free(&e);
    protected_close(&c);
}
END_TEST

START_TEST(inner_multipart_signed_found)
{
    const char *plain =
        "Content-Type: multipart/signed; micalg=pgp-sha256;\r\n"
        " protocol=\"application/pgp-signature\"; boundary=\"s\"\r\n\r\n"
        "preamble\r\n--s\r\nContent-Type: text/plain\r\n\r\nsigned text\r\n\r\n--s\r\n"
        "Content-Type: application/pgp-signature\r\n\r\n-----BEGIN PGP SIGNATURE-----\r\nx\r\n"
        "-----END PGP SIGNATURE-----\r\n\r\n--s--\r\n";
    const char *part1 = "Content-Type: text/plain\r\n\r\nsigned text\r\n";
    cm_spool *sp = spool_of(plain);
    cm_stripped x;
    cm_hdrs h;
    char buf[256];

    outer(&h);
    ck_assert_int_eq(cm_strip_parse(&x, sp, 0, &h), CM_OK);
    ck_assert_int_eq(x.is_signed, 1);
    ck_assert_uint_eq(x.signed_part.len, strlen(part1));
    ck_assert_int_eq(cm_spool_read_at(sp, x.signed_part.off, buf, strlen(part1)),
                     (ssize_t) strlen(part1));
    ck_assert(memcmp(buf, part1, strlen(part1)) == 0);
    ck_assert(x.sig.len > 0 && memcmp(x.sig.data, "-----BEGIN PGP SIGNATURE-----", 29) == 0);
    cm_hdrs_free(&h);
    cm_stripped_free(&x);
    cm_spool_free(sp);
}
END_TEST

START_TEST(malformed_multipart_signed_is_not_signed)
{
    static const char *const bodies[] = {
        /* one part only */
        "Content-Type: multipart/signed; protocol=\"application/pgp-signature\"; boundary=s\r\n\r\n"
        "--s\r\n\r\ntext\r\n--s--\r\n",
        /* second part not a signature */
        "Content-Type: multipart/signed; protocol=\"application/pgp-signature\"; boundary=s\r\n\r\n"
        "--s\r\n\r\ntext\r\n--s\r\nContent-Type: text/plain\r\n\r\nsig\r\n--s--\r\n",
        /* never closed */
        "Content-Type: multipart/signed; protocol=\"application/pgp-signature\"; boundary=s\r\n\r\n"
        "--s\r\n\r\ntext\r\n--s\r\nContent-Type: application/pgp-signature\r\n\r\nsig\r\n",
        /* S/MIME protocol */
        "Content-Type: multipart/signed; protocol=\"application/pkcs7-signature\"; boundary=s\r\n\r\n"
        "--s\r\n\r\ntext\r\n--s\r\nContent-Type: application/pgp-signature\r\n\r\nsig\r\n--s--\r\n",
    };
    size_t i;

    for (i = 0; i < NELEM(bodies); i++) {
        cm_spool *sp = spool_of(bodies[i]);
        cm_stripped x;
        cm_hdrs h;

        outer(&h);
        ck_assert_int_eq(cm_strip_parse(&x, sp, 0, &h), CM_OK);
        ck_assert_msg(x.is_signed == 0, "case %zu read as signed", i);
        cm_hdrs_free(&h);
        cm_stripped_free(&x);
        cm_spool_free(sp);
    }
}
END_TEST

START_TEST(inline_text_keeps_charset)
{
    cm_spool *sp = spool_of("Grüße\r\n");
    cm_stripped x;
    cm_hdrs h;
    char *b;

    cm_hdrs_init(&h, 50, 10000);
    add_field(&h, "Content-Type", " text/plain; charset=ISO-8859-15");
    ck_assert_int_eq(cm_strip_parse(&x, sp, 1, &h), CM_OK);
    ck_assert_str_eq(cm_hdrs_find(&x.ehdrs, "Content-Type", 0)->value,
                     " text/plain; charset=\"ISO-8859-15\"");
    ck_assert_str_eq(cm_hdrs_find(&x.ehdrs, "Content-Transfer-Encoding", 0)->value, " 8bit");
    ck_assert_str_eq(b = body_of(&x, sp), "Grüße\r\n");
    free(b);
    cm_hdrs_free(&h);
    cm_stripped_free(&x);
    cm_spool_free(sp);

    sp = spool_of("plain ascii\r\n");
    cm_hdrs_init(&h, 50, 10000);
    ck_assert_int_eq(cm_strip_parse(&x, sp, 1, &h), CM_OK);
    ck_assert_str_eq(cm_hdrs_find(&x.ehdrs, "Content-Type", 0)->value,
                     " text/plain; charset=\"us-ascii\"");
    ck_assert_str_eq(cm_hdrs_find(&x.ehdrs, "Content-Transfer-Encoding", 0)->value, " 7bit");
    cm_hdrs_free(&h);
    cm_stripped_free(&x);
    cm_spool_free(sp);
}
END_TEST

typedef struct from_case {
    const char *value;
    const char *want;       /* NULL: no single address */
} from_case;

static const from_case from_cases[] = {
    {" alice@example.org", "alice@example.org"},
    {" Alice <alice@Example.ORG>", "alice@example.org"},
    {" \"Alice, the <first>\" <alice@example.org>", "alice@example.org"},
    {" alice@example.org (Alice <x@y>)", "alice@example.org"},
    {" Alice\n <alice@example.org>", "alice@example.org"},
    {" <\"alice\"@example.org>", "alice@example.org"},
    {" alice@example.org, bob@example.org", NULL},
    {" Friends: alice@example.org;", NULL},
    {" Alice <alice@example.org> <bob@example.org>", NULL},
    {" Alice <alice@example.org", NULL},
    {" nobody", NULL},
    {" ", NULL},
};

START_TEST(from_addresses)
{
    const from_case *c = &from_cases[_i];
    cm_hdrs h;
    char *a;
    int nomem;

    cm_hdrs_init(&h, 10, 1000);
    add_field(&h, "From", c->value);
    a = cm_strip_from(&h, &nomem);
    ck_assert_int_eq(nomem, 0);
    if (c->want == NULL)
        ck_assert_msg(a == NULL, "\"%s\" gave <%s>", c->value, a);
    else
        ck_assert_msg(a != NULL && strcmp(a, c->want) == 0, "\"%s\" gave <%s>", c->value,
                      a ? a : "(null)");
    free(a);
    cm_hdrs_free(&h);
}
END_TEST

START_TEST(two_from_fields_are_none)
{
    cm_hdrs h;
    int nomem;

    cm_hdrs_init(&h, 10, 1000);
    add_field(&h, "From", " alice@example.org");
    add_field(&h, "from", " alice@example.org");
    ck_assert(cm_strip_from(&h, &nomem) == NULL);
    cm_hdrs_free(&h);
}
END_TEST

static void add(Suite *s)
{
    CM_ADD(s, entity_replaces_content_fields);
    CM_ADD(s, protected_headers_restored);
    CM_ADD(s, protected_bare_cr_refused);
    CM_ADD(s, inner_multipart_signed_found);
    CM_ADD(s, malformed_multipart_signed_is_not_signed);
    CM_ADD(s, inline_text_keeps_charset);
    CM_ADD_LOOP(s, from_addresses, NELEM(from_cases));
    CM_ADD(s, two_from_fields_are_none);
}

CM_TEST_MAIN("cm_strip", add)
