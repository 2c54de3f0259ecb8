/* The inbound pipeline over the fake engine: the exact entity handed to
 * the engine, the policy outcomes, and engine faults, with no gpg. */
#include "cm_fakeengine.h"
#include "cm_msg.h"
#include "cm_test.h"

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

/* headers: "Name:value" lines, values as the milter hands them over. */
static void feed(run *r, cm_config *cfg, const char *const *rcpts, const char *const *hdrs,
                 const char *body)
{
    size_t i;

    memset(r, 0, sizeof(*r));
    ck_assert_ptr_nonnull(r->m = cm_msg_new(cfg, fake_engines(), "FAKEQID"));
    ck_assert_int_eq(cm_msg_sender(r->m, "<s@ext.example>"), CM_OK);
    for (i = 0; rcpts[i] != NULL; i++)
        r->rcpt[i] = cm_msg_rcpt(r->m, rcpts[i]);
    for (i = 0; hdrs[i] != NULL; i++) {
        const char *colon = strchr(hdrs[i], ':');
        char name[64];

        snprintf(name, sizeof(name), "%.*s", (int) (colon - hdrs[i]), hdrs[i]);
        ck_assert_int_eq(cm_msg_header(r->m, name, colon + 1, strlen(colon + 1)), CM_OK);
    }
    ck_assert_int_eq(cm_msg_body(r->m, body, strlen(body)), CM_OK);
    cm_msg_eom(r->m, &r->res);
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
    fake.write_garbage = _i + 1;   /* an armor, packets cut short, a literal packet */
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

static void add(Suite *s)
{
    CM_ADD(s, engine_gets_the_exact_entity);
    CM_ADD(s, delimiter_and_quoting_find_the_key);
    CM_ADD_LOOP(s, engine_garbage_is_refused, 3);
    CM_ADD(s, lookup_failure_is_never_no_key);
    CM_ADD(s, split_never_adds_a_deferred_key);
}

CM_TEST_MAIN("cm_inbound", add)
