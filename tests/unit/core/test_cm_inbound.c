/* The inbound pipeline over the fake engine: the exact entity handed to
 * the engine, the policy outcomes, and engine faults, with no gpg. */
#include "cm_fakeengine.h"
#include "cm_msg.h"
#include "cm_test.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

typedef struct run {
    cm_msg *m;
    cm_result res;
    cm_stat rcpt[4];
} run;

static cm_config *config(const char *action)
{
    cm_config *cfg = cm_config_new();
    char err[256];

    ck_assert_ptr_nonnull(cfg);
    ck_assert_int_eq(cm_config_set(cfg, "MissingKeyAction", action, err, sizeof(err)), 0);
    ck_assert_int_eq(cm_config_set(cfg, "SpoolDir", cm_test_tmp(), err, sizeof(err)), 0);
    ck_assert_int_eq(cm_config_set(cfg, "RecipientDelimiter", "+", err, sizeof(err)), 0);
    return cfg;
}

/* Each "Name:value" line of hdrs to add(arg, name, value), as the milter
 * hands fields over. */
static void each_field(const char *const *hdrs, cm_stat (*add)(void *, const char *, const char *),
                       void *arg)
{
    size_t i;

    for (i = 0; hdrs[i] != NULL; i++) {
        const char *colon = strchr(hdrs[i], ':');
        char name[64];

        snprintf(name, sizeof(name), "%.*s", (int) (colon - hdrs[i]), hdrs[i]);
        ck_assert_int_eq(add(arg, name, colon + 1), CM_OK);
    }
}

static cm_stat msg_field(void *m, const char *name, const char *value)
{
    return cm_msg_header(m, name, value, strlen(value));
}

static cm_stat list_field(void *h, const char *name, const char *value)
{
    return cm_hdrs_add(h, name, value, strlen(value));
}

/* headers: "Name:value" lines, values as the milter hands them over;
 * out: where the encrypted message streams, or NULL to have it in r->res. */
static void feed_to(run *r, cm_config *cfg, const char *const *rcpts, const char *const *hdrs,
                    const char *body, const cm_output *out)
{
    size_t i;

    memset(r, 0, sizeof(*r));
    ck_assert_ptr_nonnull(r->m = cm_msg_new(cfg, fake_engines(), "FAKEQID"));
    ck_assert_int_eq(cm_msg_sender(r->m, "<s@ext.example>"), CM_OK);
    for (i = 0; rcpts[i] != NULL; i++)
        r->rcpt[i] = cm_msg_rcpt(r->m, rcpts[i]);
    each_field(hdrs, msg_field, r->m);
    ck_assert_int_eq(cm_msg_body(r->m, body, strlen(body)), CM_OK);
    if (out != NULL)
        cm_msg_set_output(r->m, out);
    cm_msg_eom(r->m, &r->res);
    cm_msg_report(r->m, &r->res);
}

static void feed(run *r, cm_config *cfg, const char *const *rcpts, const char *const *hdrs,
                 const char *body)
{
    feed_to(r, cfg, rcpts, hdrs, body, NULL);
}

static void done(run *r, cm_config *cfg)
{
    cm_buf_free(&fake.seen);
    cm_result_free(&r->res);
    cm_msg_free(r->m);
    cm_config_free(cfg);
}

static const char *const keyed[] = {"alice@example.org", "bob@example.org", NULL};
static const char *const hdrs[] = {
    "Received: from x\n\tby y", "Subject: canary", "Content-Type: text/plain;\n charset=utf-8",
    "MIME-Version: 1.0", "Content-Transfer-Encoding: 8bit", NULL,
};

START_TEST(engine_gets_the_exact_entity)
{
    static const char *const rcpts[] = {"<alice@example.org>", "<Bob@Example.ORG>", NULL};
    cm_config *cfg = config("tempfail");
    run r;

    char err[256];

    ck_assert_int_eq(cm_config_set(cfg, "ProtectHeaders", "no", err, sizeof(err)), 0);
    fake_reset(keyed);
    feed(&r, cfg, rcpts, hdrs, "line one\nline two\r\nno newline");
    ck_assert_int_eq(r.res.refuse, 0);
    /* The Content-* fields as received, CRLF, the body with CRLF. */
    ck_assert_str_eq(cm_buf_str(&fake.seen),
                     "Content-Type: text/plain;\r\n charset=utf-8\r\n"
                     "Content-Transfer-Encoding: 8bit\r\n\r\n"
                     "line one\r\nline two\r\nno newline");
    ck_assert_str_eq(r.res.trace, "encrypted pgp-mime");
    ck_assert_ptr_nonnull(r.res.body);
    ck_assert_str_eq(fake.last_qid, "FAKEQID");
    done(&r, cfg);
}
END_TEST

/* ProtectHeaders yes, the default (RFC 9788, hcp_baseline): the fields
 * a reader shows inside with hp="cipher" and the record of the outside,
 * with LegacyDisplay yes the legacy display element before the body, and
 * [...] outside. */
START_TEST(engine_gets_the_protected_entity)
{
    static const char *const rcpts[] = {"<alice@example.org>", NULL};
    cm_config *cfg = config("tempfail");
    run r;
    cm_hdrs after;
    size_t i;
    char err[256];

    ck_assert_int_eq(cm_config_set(cfg, "LegacyDisplay", "yes", err, sizeof(err)), 0);
    fake_reset(keyed);
    feed(&r, cfg, rcpts, hdrs, "line one\nline two\r\nno newline");
    ck_assert_int_eq(r.res.refuse, 0);
    ck_assert_str_eq(cm_buf_str(&fake.seen),
                     "Content-Type: text/plain;\r\n charset=utf-8; hp=\"cipher\";\r\n"
                     "\thp-legacy-display=\"1\"\r\n"
                     "Content-Transfer-Encoding: 8bit\r\n"
                     "Subject: canary\r\n"
                     "HP-Outer: Subject: [...]\r\n\r\n"
                     "Subject: canary\r\n\r\n"
                     "line one\r\nline two\r\nno newline");
    /* Outside, the Subject is gone and nothing else of it is left. */
    cm_hdrs_init(&after, 50, 10000);
    each_field(hdrs, list_field, &after);
    ck_assert_int_eq(cm_edits_apply(&r.res.edits, &after), CM_OK);
    ck_assert_str_eq(cm_hdrs_find(&after, "Subject", 0)->raw, "Subject: [...]");
    for (i = 0; i < after.n; i++)
        ck_assert_ptr_null(strstr(after.v[i].raw, "canary"));
    cm_hdrs_free(&after);
    done(&r, cfg);
}
END_TEST

START_TEST(delimiter_and_quoting_find_the_key)
{
    static const char *const rcpts[] = {"<\"alice\"@example.org>", "<bob+list@example.org.>", NULL};
    cm_config *cfg = config("tempfail");
    run r;

    fake_reset(keyed);
    feed(&r, cfg, rcpts, hdrs, "x\n");
    ck_assert_int_eq(r.res.refuse, 0);
    ck_assert_str_eq(r.res.trace, "encrypted pgp-mime");
    done(&r, cfg);
}
END_TEST

START_TEST(engine_garbage_is_refused)
{
    static const char *const rcpts[] = {"<alice@example.org>", NULL};
    cm_config *cfg = config("pass");
    run r;

    fake_reset(keyed);
    /* an armor, packets cut short, a literal packet, a 1 MiB key packet */
    fake.write_garbage = _i + 1;
    feed(&r, cfg, rcpts, hdrs, "canary body\n");
    ck_assert_int_eq(r.res.refuse, 1);
    ck_assert_int_eq(r.res.stat, CM_ERR_ENCRYPT);
    ck_assert_ptr_null(r.res.body);
    done(&r, cfg);
}
END_TEST

START_TEST(lookup_failure_is_never_no_key)
{
    static const char *const rcpts[] = {"<alice@example.org>", NULL};
    cm_config *cfg = config("pass");
    run r;

    fake_reset(keyed);
    fake.lookup_fails = CM_ERR_KEYRING_DAMAGED;
    feed(&r, cfg, rcpts, hdrs, "canary body\n");
    ck_assert_int_eq(r.rcpt[0], CM_ERR_KEYRING_DAMAGED);
    ck_assert_int_eq(r.res.refuse, 1);
    ck_assert_int_eq(r.res.stat, CM_ERR_KEYRING_DAMAGED);
    done(&r, cfg);
}
END_TEST

START_TEST(split_never_adds_a_deferred_key)
{
    static const char *const rcpts[] = {"<nobody@example.org>", "<alice@example.org>", NULL};
    cm_config *cfg = config("split");
    run r;

    fake_reset(keyed);
    feed(&r, cfg, rcpts, hdrs, "plain\n");
    ck_assert_int_eq(r.rcpt[1], CM_SPLIT_CLASS);
    ck_assert_int_eq(r.res.refuse, 0);
    ck_assert_str_eq(r.res.trace, "skipped no-key");
    ck_assert_uint_eq(fake.seen.len, 0);        /* nothing was encrypted */
    done(&r, cfg);
}
END_TEST

/* What a front end's output was given, and in which order. */
typedef struct capture {
    size_t edit_calls, nedits;
    int body_first;         /* a body piece came before the edits */
    int fail_body;          /* the body callback fails */
    cm_buf body;
} capture;

static int cap_edits(void *arg, const cm_edits *e)
{
    capture *c = arg;

    c->edit_calls++;
    c->nedits = e->n;
    return 0;
}

static int cap_body(void *arg, const void *p, size_t n)
{
    capture *c = arg;

    if (c->edit_calls == 0)
        c->body_first = 1;
    if (c->fail_body) {
        errno = EPIPE;
        return -1;
    }
    return cm_buf_append(&c->body, p, n);
}

/* 200 KiB of body: the armored output passes the 64 KiB the format
 * collects before it hands a piece on. */
static char *big_body(void)
{
    static const char line[] = "canary line of a long body\n";
    size_t i, n = 200 * 1024 / (sizeof(line) - 1);
    char *b = malloc(n * (sizeof(line) - 1) + 1);

    ck_assert_ptr_nonnull(b);
    for (i = 0; i < n; i++)
        memcpy(b + i * (sizeof(line) - 1), line, sizeof(line) - 1);
    b[n * (sizeof(line) - 1)] = 0;
    return b;
}

#define CAPTURE_INIT {0, 0, 0, 0, CM_BUF_INIT}

/* 200 KiB to alice through an output capturing into c, the fake engine
 * writing garbage of kind g (0: a good message). */
static void stream_big(run *r, cm_config *cfg, capture *c, int g)
{
    static const char *const rcpts[] = {"<alice@example.org>", NULL};
    cm_output out = {cap_edits, cap_body, c};
    char *body = big_body();

    fake_reset(keyed);
    fake.write_garbage = g;
    feed_to(r, cfg, rcpts, hdrs, body, &out);
    free(body);
}

START_TEST(streamed_edits_come_before_the_body)
{
    cm_config *cfg = config("tempfail");
    capture c = CAPTURE_INIT;
    const char *s;
    run r;

    stream_big(&r, cfg, &c, 0);
    ck_assert_int_eq(r.res.refuse, 0);
    ck_assert_str_eq(r.res.trace, "encrypted pgp-mime");
    /* All went to the output, the edits once and first. */
    ck_assert_uint_eq(c.edit_calls, 1);
    ck_assert_uint_gt(c.nedits, 0);
    ck_assert_int_eq(c.body_first, 0);
    ck_assert_uint_eq(r.res.edits.n, 0);
    ck_assert_ptr_null(r.res.body);
    s = cm_buf_str(&c.body);
    ck_assert_ptr_eq(strstr(s, "This is an OpenPGP/MIME encrypted message"), s);
    ck_assert_ptr_nonnull(strstr(s, "-----END PGP MESSAGE-----\r\n"));
    ck_assert_ptr_null(strstr(s, "canary"));
    cm_buf_free(&c.body);
    done(&r, cfg);
}
END_TEST

/* Armor text instead of packets, a literal data packet (the plaintext
 * itself), or more than the gate holds before the data packet begins (a
 * session key packet of 1 MiB, which would otherwise pass as one of our
 * keys'): refused, and not one byte of it went to the output, though
 * there was far more than one piece of it. */
START_TEST(streamed_output_never_carries_what_is_not_ciphertext)
{
    static const int kinds[] = {1, 3, 4};
    cm_config *cfg = config("pass");
    capture c = CAPTURE_INIT;
    run r;

    stream_big(&r, cfg, &c, kinds[_i]);
    ck_assert_int_eq(r.res.refuse, 1);
    ck_assert_int_eq(r.res.stat, CM_ERR_ENCRYPT);
    ck_assert_uint_eq(c.body.len, 0);          /* not even the MIME preamble */
    cm_buf_free(&c.body);
    done(&r, cfg);
}
END_TEST

/* Ciphertext cut short is found out only at its end, after pieces of it
 * went on: the message is refused all the same (the front end's MTA drops
 * what it was given). */
START_TEST(streamed_output_cut_short_is_refused_at_the_end)
{
    cm_config *cfg = config("pass");
    capture c = CAPTURE_INIT;
    run r;

    stream_big(&r, cfg, &c, 2);
    ck_assert_int_eq(r.res.refuse, 1);
    ck_assert_int_eq(r.res.stat, CM_ERR_ENCRYPT);
    ck_assert_uint_gt(c.body.len, 65536);
    ck_assert_ptr_null(strstr(cm_buf_str(&c.body), "-----END PGP MESSAGE-----"));
    cm_buf_free(&c.body);
    done(&r, cfg);
}
END_TEST

START_TEST(output_that_fails_refuses_with_a_tempfail)
{
    static const char *const rcpts[] = {"<alice@example.org>", NULL};
    cm_config *cfg = config("pass");
    capture c = CAPTURE_INIT;
    cm_output out = {cap_edits, cap_body, &c};
    run r;

    c.fail_body = 1;
    fake_reset(keyed);
    feed_to(&r, cfg, rcpts, hdrs, "canary body\n", &out);
    ck_assert_int_eq(r.res.refuse, 1);
    ck_assert_int_eq(r.res.stat, CM_ERR_INTERNAL);
    ck_assert_str_eq(cm_stat_lookup(r.res.stat)->rcode, "451");
    cm_buf_free(&c.body);
    done(&r, cfg);
}
END_TEST

static void add(Suite *s)
{
    CM_ADD(s, engine_gets_the_exact_entity);
    CM_ADD(s, engine_gets_the_protected_entity);
    CM_ADD(s, delimiter_and_quoting_find_the_key);
    CM_ADD_LOOP(s, engine_garbage_is_refused, 4);
    CM_ADD(s, lookup_failure_is_never_no_key);
    CM_ADD(s, split_never_adds_a_deferred_key);
    CM_ADD(s, streamed_edits_come_before_the_body);
    CM_ADD_LOOP(s, streamed_output_never_carries_what_is_not_ciphertext, 3);
    CM_ADD(s, streamed_output_cut_short_is_refused_at_the_end);
    CM_ADD(s, output_that_fails_refuses_with_a_tempfail);
}

CM_TEST_MAIN("cm_inbound", add)
