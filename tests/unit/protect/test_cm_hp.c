/* cm_hp and cm_hplegacy: RFC 9788 header protection when encrypting. */
#include "cm_edit.h"
#include "cm_hp.h"
#include "cm_hplegacy.h"
#include "cm_test.h"

#include <string.h>


static void add_field(cm_hdrs *h, const char *name, const char *value)
{
    ck_assert_int_eq(cm_hdrs_add(h, name, value, strlen(value)), CM_OK);
}

/* A typical message: routing fields, user-facing ones, Content-*. */
static void typical(cm_hdrs *h)
{
    cm_hdrs_init(h, 50, 10000);
    add_field(h, "Received", " from a by b");
    add_field(h, "From", " Alice <alice@example.org>");
    add_field(h, "To", " bob@example.com,\n carol@example.com");
    add_field(h, "Subject", " Dinner plans");
    add_field(h, "Keywords", " food");
    add_field(h, "Date", " Sun, 06 Dec 2026 08:00:00 +0000");
    add_field(h, "Message-ID", " <1@example.org>");
    add_field(h, "MIME-Version", " 1.0");
    add_field(h, "Content-Type", " text/plain; charset=utf-8");
    add_field(h, "Content-Transfer-Encoding", " 8bit");
    add_field(h, "X-Mailer", " m");
}

static char *payload(const cm_hdrs *h, int legacy)
{
    cm_buf b;

    cm_buf_init(&b);
    ck_assert_int_eq(cm_hp_payload_header(h, h, legacy, &b), 0);
    return cm_buf_detach(&b, NULL);
}

START_TEST(payload_carries_fields_and_hp_outer)
{
    cm_hdrs h;
    char *p;

    typical(&h);
    p = payload(&h, 0);
    ck_assert_str_eq(p, "Content-Type: text/plain; charset=utf-8; hp=\"cipher\"\r\n"
                        "Content-Transfer-Encoding: 8bit\r\n"
                        "From: Alice <alice@example.org>\r\n"
                        "To: bob@example.com,\r\n carol@example.com\r\n"
                        "Subject: Dinner plans\r\n"
                        "Keywords: food\r\n"
                        "Date: Sun, 06 Dec 2026 08:00:00 +0000\r\n"
                        "Message-ID: <1@example.org>\r\n"
                        "HP-Outer: From: Alice <alice@example.org>\r\n"
                        "HP-Outer: To: bob@example.com,\r\n carol@example.com\r\n"
                        "HP-Outer: Subject: [...]\r\n"
                        "HP-Outer: Date: Sun, 06 Dec 2026 08:00:00 +0000\r\n"
                        "HP-Outer: Message-ID: <1@example.org>\r\n");
    free(p);
    cm_hdrs_free(&h);
}
END_TEST

START_TEST(payload_legacy_parameter)
{
    cm_hdrs h;
    char *p;

    typical(&h);
    p = payload(&h, 1);
    ck_assert_ptr_nonnull(strstr(p, "Content-Type: text/plain; charset=utf-8; hp=\"cipher\";\r\n"
                                    "\thp-legacy-display=\"1\"\r\n"));
    free(p);
    cm_hdrs_free(&h);
}
END_TEST

START_TEST(payload_without_content_type)
{
    cm_hdrs h;
    char *p;

    cm_hdrs_init(&h, 50, 10000);
    add_field(&h, "Subject", " s");
    p = payload(&h, 0);
    ck_assert_str_eq(p, "Content-Type: text/plain; charset=us-ascii; hp=\"cipher\"\r\n"
                        "Subject: s\r\n"
                        "HP-Outer: Subject: [...]\r\n");
    free(p);
    cm_hdrs_free(&h);
}
END_TEST

START_TEST(trailing_semicolon_and_fold)
{
    cm_hdrs h;
    char *p;

    cm_hdrs_init(&h, 50, 10000);
    add_field(&h, "Content-Type", " multipart/mixed;\n boundary=\"x\"; ");
    p = payload(&h, 0);
    ck_assert_str_eq(p, "Content-Type: multipart/mixed;\r\n boundary=\"x\"; hp=\"cipher\"\r\n");
    free(p);
    cm_hdrs_free(&h);
}
END_TEST

/* A sender's own protected payload, decrypted and encrypted again: its
 * Content-Type stays as it is, the fields are those given as outer. */
START_TEST(payload_already_declared)
{
    cm_hdrs ent, shown;
    cm_buf b;
    const char *why;

    cm_hdrs_init(&ent, 50, 10000);
    cm_hdrs_init(&shown, 50, 10000);
    add_field(&ent, "Content-Type", " text/plain; hp=\"cipher\"");
    add_field(&ent, "Subject", " stale inner copy");
    add_field(&ent, "HP-Outer", " Subject: [...]");
    add_field(&shown, "Subject", " real");
    ck_assert_int_eq(cm_hp_refusal(&ent, &why), 0);
    ck_assert_int_eq(cm_hp_declared(&ent), 1);
    cm_buf_init(&b);
    ck_assert_int_eq(cm_hp_payload_header(&shown, &ent, 0, &b), 0);
    ck_assert_str_eq(cm_buf_str(&b), "Content-Type: text/plain; hp=\"cipher\"\r\n"
                                     "Subject: real\r\nHP-Outer: Subject: [...]\r\n");
    cm_buf_free(&b);
    cm_hdrs_free(&ent);
    cm_hdrs_free(&shown);
}
END_TEST

START_TEST(outer_edits_baseline)
{
    cm_hdrs h;
    cm_edits e = {NULL, 0};

    typical(&h);
    add_field(&h, "Comments", " c1");
    add_field(&h, "Keywords", " k2");
    ck_assert_int_eq(cm_hp_outer_edits(&h, &e), CM_OK);
    ck_assert_int_eq(cm_edits_apply(&e, &h), CM_OK);
    ck_assert_str_eq(cm_hdrs_find(&h, "Subject", 0)->raw, "Subject: [...]");
    ck_assert_uint_eq(cm_hdrs_count(&h, "Keywords"), 0);
    ck_assert_uint_eq(cm_hdrs_count(&h, "Comments"), 0);
    ck_assert_str_eq(cm_hdrs_find(&h, "From", 0)->value, " Alice <alice@example.org>");
    ck_assert_ptr_nonnull(cm_hdrs_find(&h, "Received", 0));
    cm_edits_free(&e);
    cm_hdrs_free(&h);
}
END_TEST

START_TEST(refusals)
{
    static const char *const bad[] = {
        " text/plain; hp=\"clear\"", " text/plain; HP*=utf-8''cipher", " /", " text/plain; hp*0=a",
        " text/plain; hp=Cipher",
    };
    size_t i;
    cm_hdrs h;
    const char *why;

    for (i = 0; i < NELEM(bad); i++) {
        cm_hdrs_init(&h, 50, 10000);
        add_field(&h, "Content-Type", bad[i]);
        ck_assert_msg(cm_hp_refusal(&h, &why) == 1 && why != NULL, "%s", bad[i]);
        cm_hdrs_free(&h);
    }
    cm_hdrs_init(&h, 50, 10000);
    ck_assert_int_eq(cm_hp_refusal(&h, &why), 0);
    add_field(&h, "Content-Type", " text/plain");
    ck_assert_int_eq(cm_hp_refusal(&h, &why), 0);
    ck_assert_ptr_null(why);
    add_field(&h, "Content-Type", " text/html");
    ck_assert_int_eq(cm_hp_refusal(&h, &why), 1);
    ck_assert_str_eq(why, "Content-Type given twice");
    cm_hdrs_free(&h);
}
END_TEST

static const struct {
    const char *in, *out;
} words[] = {
    {" plain text", "plain text"},
    {" =?utf-8?q?Caf=C3=A9_au_lait?=", "Caf\xc3\xa9 au lait"},
    {" =?UTF-8?B?w6l0w6k=?= =?utf-8?q?_!?=", "\xc3\xa9t\xc3\xa9 !"},
    {" a =?us-ascii?q?b?= c", "a b c"},
    {" =?utf-8*en?q?x?=", "x"},
    {" =?utf-8?q?broken=Z?=", "=?utf-8?q?broken=Z?="},
    {" not=?utf-8?q?a?=word", "not=?utf-8?q?a?=word"},
    {" folded\n  line", "folded  line"},
};

START_TEST(decode_words)
{
    const char *why;
    char *v = cm_hplegacy_decode(words[_i].in, &why);

    ck_assert_ptr_nonnull(v);
    ck_assert_str_eq(v, words[_i].out);
    free(v);
}
END_TEST

START_TEST(decode_refuses)
{
    const char *why;

    ck_assert_ptr_null(cm_hplegacy_decode(" =?iso-8859-1?q?caf=E9?=", &why));
    ck_assert_str_eq(why, "an encoded word in a charset other than utf-8");
    ck_assert_ptr_null(cm_hplegacy_decode(" a =?utf-8?q?=0D=0AX:_y?=", &why));
    ck_assert_str_eq(why, "a control character in a hidden field");
}
END_TEST

static int legacy(const cm_hdrs *h, cm_buf *b, const char **why)
{
    cm_buf_init(b);
    return cm_hplegacy_make(h, h, b, why);
}

/* Two transfer encodings: a reader taking the second would decode the
 * element as base64 and garble the body. */
START_TEST(legacy_not_with_two_encodings)
{
    cm_hdrs h;
    cm_buf b;
    const char *why;

    typical(&h);
    add_field(&h, "Content-Transfer-Encoding", " base64");
    ck_assert_int_eq(legacy(&h, &b, &why), 0);
    ck_assert_str_eq(why, "a Content-Type or Content-Transfer-Encoding given twice");
    cm_buf_free(&b);
    cm_hdrs_free(&h);
}
END_TEST

/* format=flowed joins a line that ends in a space with the next. */
START_TEST(legacy_trailing_space_dropped)
{
    cm_hdrs h;
    cm_buf b;
    const char *why;

    cm_hdrs_init(&h, 50, 10000);
    add_field(&h, "Content-Type", " text/plain; format=flowed");
    add_field(&h, "Subject", " =?utf-8?q?ends_in_a_space_?=");
    ck_assert_int_eq(legacy(&h, &b, &why), 1);
    ck_assert_str_eq(cm_buf_str(&b), "Subject: ends in a space\r\n\r\n");
    cm_buf_free(&b);
    cm_hdrs_free(&h);
}
END_TEST

START_TEST(legacy_plain_8bit)
{
    cm_hdrs h;
    cm_buf b;
    const char *why;

    typical(&h);
    add_field(&h, "Comments", " =?utf-8?q?s=C3=BC=C3=9F?=");
    ck_assert_int_eq(legacy(&h, &b, &why), 1);
    ck_assert_str_eq(cm_buf_str(&b), "Subject: Dinner plans\r\nKeywords: food\r\n"
                                     "Comments: s\xc3\xbc\xc3\x9f\r\n\r\n");
    cm_buf_free(&b);
    cm_hdrs_free(&h);
}
END_TEST

START_TEST(legacy_quoted_printable)
{
    cm_hdrs h;
    cm_buf b;
    const char *why;
    char subject[200];

    cm_hdrs_init(&h, 50, 10000);
    add_field(&h, "Content-Type", " text/plain; charset=\"UTF-8\"");
    add_field(&h, "Content-Transfer-Encoding", " Quoted-Printable");
    memset(subject, 'a', sizeof(subject));
    memcpy(subject, " x=y =?utf-8?q?=C3=A9?= ", 24);
    subject[100] = 0;
    add_field(&h, "Subject", subject);
    ck_assert_int_eq(legacy(&h, &b, &why), 1);
    ck_assert_str_eq(cm_buf_str(&b),
                     "Subject: x=3Dy =C3=A9 aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa=\r\n"
                     "aaaaaaaaaaaaaaaaaaaaaaa\r\n\r\n");
    cm_buf_free(&b);
    cm_hdrs_free(&h);
}
END_TEST

START_TEST(legacy_not_possible)
{
    static const struct {
        const char *ct, *cte, *subject, *why;
    } no[] = {
        {" multipart/alternative; boundary=b", NULL, " s", "the body is not a single text/plain part"},
        {" text/html", NULL, " s", "the body is not a single text/plain part"},
        {" text/plain; charset=iso-8859-1", NULL, " s", "the body's charset is neither us-ascii nor utf-8"},
        {" text/plain", " base64", " s", "the body's transfer encoding is not 7bit, 8bit or quoted-printable"},
        {" text/plain", NULL, " =?utf-8?q?=C3=A9?=", "a hidden field the body's charset or encoding cannot spell"},
        {" text/plain; charset=utf-8", " 7bit", " =?utf-8?q?=C3=A9?=", "a hidden field the body's charset or encoding cannot spell"},
        {" text/plain", NULL, NULL, "nothing hidden"},
        /* bytes of an encoded word that are not UTF-8 */
        {" text/plain; charset=utf-8", " 8bit", " =?utf-8?q?=C0=AF?=",
         "a hidden field the body's charset or encoding cannot spell"},
        {" text/plain; charset=utf-8", " 8bit", " =?utf-8?q?=ED=A0=80?=",
         "a hidden field the body's charset or encoding cannot spell"},
    };
    size_t i;

    for (i = 0; i < NELEM(no); i++) {
        cm_hdrs h;
        cm_buf b;
        const char *why;

        cm_hdrs_init(&h, 50, 10000);
        add_field(&h, "From", " a@b");
        add_field(&h, "Content-Type", no[i].ct);
        if (no[i].cte != NULL)
            add_field(&h, "Content-Transfer-Encoding", no[i].cte);
        if (no[i].subject != NULL)
            add_field(&h, "Subject", no[i].subject);
        ck_assert_int_eq(legacy(&h, &b, &why), 0);
        ck_assert_str_eq(why, no[i].why);
        ck_assert_uint_eq(b.len, 0);
        cm_buf_free(&b);
        cm_hdrs_free(&h);
    }
}
END_TEST

static void add_cases(Suite *s)
{
    CM_ADD(s, payload_carries_fields_and_hp_outer);
    CM_ADD(s, payload_legacy_parameter);
    CM_ADD(s, payload_without_content_type);
    CM_ADD(s, trailing_semicolon_and_fold);
    CM_ADD(s, payload_already_declared);
    CM_ADD(s, outer_edits_baseline);
    CM_ADD(s, refusals);
    CM_ADD_LOOP(s, decode_words, NELEM(words));
    CM_ADD(s, decode_refuses);
    CM_ADD(s, legacy_plain_8bit);
    CM_ADD(s, legacy_quoted_printable);
    CM_ADD(s, legacy_not_possible);
    CM_ADD(s, legacy_not_with_two_encodings);
    CM_ADD(s, legacy_trailing_space_dropped);
}

CM_TEST_MAIN("hp", add_cases)
