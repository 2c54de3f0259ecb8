#include "cm_msg.h"
#include "cm_policy.h"
#include "cm_stats.h"
#include "cm_syncstamp.h"
#include "cm_pgpfake.h"
#include "cm_testkeys.h"
#include "cm_test.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct run {
    cm_msg *m;
    cm_result res;
    cm_stat rcpt_stat[4];
} run;

/* The registry's engines, once per test process. */
static const cm_engines *engines(const cm_config *cfg)
{
    static cm_engines *e;
    char err[256];
    cm_stat st;

    if (e == NULL)
        ck_assert_msg((e = cm_engines_create(cfg, &st, err, sizeof(err))) != NULL, "%s", err);
    return e;
}

/* Feed a message through the core: recipients, "Name: value" lines, body. */
static void feed(run *r, cm_config *cfg, cm_direction dir, const char *const *rcpts,
                 const char *headers, const char *body)
{
    const char *p = headers;
    size_t i;

    memset(r, 0, sizeof(*r));
    r->m = cm_msg_new(cfg, engines(cfg), "TESTQID");
    ck_assert_ptr_nonnull(r->m);
    cm_msg_set_direction(r->m, dir, "test");
    ck_assert_int_eq(cm_msg_sender(r->m, "<sender@ext.example>"), CM_OK);
    for (i = 0; rcpts[i] != NULL; i++)
        r->rcpt_stat[i] = cm_msg_rcpt(r->m, rcpts[i]);
    while (*p) {
        const char *colon = strchr(p, ':'), *nl = strchr(p, '\n');
        char name[64];

        ck_assert(colon != NULL && nl != NULL && colon < nl);
        snprintf(name, sizeof(name), "%.*s", (int) (colon - p), p);
        ck_assert_int_eq(cm_msg_header(r->m, name, colon + 1, (size_t) (nl - colon - 1)), CM_OK);
        p = nl + 1;
    }
    ck_assert_int_eq(cm_msg_body(r->m, body, strlen(body)), CM_OK);
    cm_msg_eom(r->m, &r->res);
    cm_msg_report(r->m, &r->res);
}

static void done(run *r, cm_config *cfg)
{
    cm_result_free(&r->res);
    cm_msg_free(r->m);
    cm_config_free(cfg);
}

static const char *trace_added(const cm_result *res)
{
    size_t i;

    for (i = 0; i < res->edits.n; i++)
        if (res->edits.v[i].kind == CM_EDIT_ADD && strcmp(res->edits.v[i].name, "X-Cryptmilter") == 0)
            return res->edits.v[i].value;
    return NULL;
}

static const char *const alice[] = {"<alice@example.org>", NULL};
static const char *const alice_bob[] = {"<alice@example.org>", "<bob@example.org>", NULL};
static const char *const alice_nobody[] = {"<alice@example.org>", "<nobody@example.org>", NULL};
static const char *const nobody_alice[] = {"<nobody@example.org>", "<alice@example.org>", NULL};
static const char *const nobody[] = {"<nobody@example.org>", NULL};

START_TEST(inbound_with_keys_is_encrypted)
{
    cm_config *cfg = test_config("pass");
    run r;

    feed(&r, cfg, CM_DIR_INBOUND, alice_bob, "Subject: hi\nContent-Type: text/plain\n", "canary-7781\n");
    ck_assert_int_eq(r.res.refuse, 0);
    ck_assert_ptr_nonnull(r.res.body);
    ck_assert_str_eq(trace_added(&r.res), " encrypted pgp-mime");
    ck_assert_str_eq(r.res.trace, "encrypted pgp-mime");
    done(&r, cfg);
}
END_TEST

START_TEST(already_encrypted_is_skipped)
{
    cm_config *cfg = test_config("reject");
    cm_buf body = CM_BUF_INIT;
    run r;

    fake_encrypted(&body, 1, 100);
    feed(&r, cfg, CM_DIR_INBOUND, alice, "Subject: x\nX-Cryptmilter: forged\n", cm_buf_str(&body));
    ck_assert_int_eq(r.res.refuse, 0);
    ck_assert_ptr_null(r.res.body);
    ck_assert_str_eq(trace_added(&r.res), " skipped already-encrypted");
    ck_assert_int_eq(r.res.edits.v[0].kind, CM_EDIT_DELETE);   /* the forged one goes */
    cm_buf_free(&body);
    done(&r, cfg);
}
END_TEST

START_TEST(missing_key_actions)
{
    static const struct {
        const char *action;
        const char *const *rcpts;
        int refuse;
        cm_stat stat;
        const char *trace;      /* or, refused, the reply code */
        cm_stat second_rcpt;
    } cases[] = {
        {"pass", alice_nobody, 0, CM_OK, " skipped no-key", CM_OK},
        {"tempfail", alice_nobody, 1, CM_NOKEY, "451", CM_OK},
        {"reject", alice_nobody, 1, CM_NOKEY, "554", CM_OK},
        {"split", alice_nobody, 0, CM_OK, " encrypted pgp-mime", CM_SPLIT_CLASS},
        {"split", nobody_alice, 0, CM_OK, " skipped no-key", CM_SPLIT_CLASS},
        {"split", nobody, 0, CM_OK, " skipped no-key", CM_OK},
    };
    cm_config *cfg = test_config(cases[_i].action);
    cm_reply reply;
    run r;

    feed(&r, cfg, CM_DIR_INBOUND, cases[_i].rcpts, "Subject: x\n", "body\n");
    ck_assert_int_eq(r.rcpt_stat[1], cases[_i].second_rcpt);
    ck_assert_int_eq(r.res.refuse, cases[_i].refuse);
    if (cases[_i].refuse) {
        ck_assert_int_eq(r.res.stat, cases[_i].stat);
        ck_assert_str_eq(r.res.detail, "nobody@example.org");
        cm_stat_reply(r.res.stat, cm_policy_rejects(cfg, r.res.stat), r.res.detail, &reply);
        ck_assert_str_eq(reply.rcode, cases[_i].trace);
    } else {
        ck_assert_str_eq(trace_added(&r.res), cases[_i].trace);
    }
    done(&r, cfg);
}
END_TEST

START_TEST(missing_keyring_tempfails)
{
    cm_config *cfg = test_config("pass");
    char err[256];
    run r;

    ck_assert_int_eq(cm_config_set(cfg, "KeyringDir", "/nonexistent", err, sizeof(err)), 0);
    feed(&r, cfg, CM_DIR_INBOUND, alice, "Subject: x\n", "body\n");
    ck_assert_int_eq(r.rcpt_stat[0], CM_ERR_KEYRING);
    ck_assert_int_eq(r.res.refuse, 1);
    ck_assert_int_eq(r.res.stat, CM_ERR_KEYRING);
    done(&r, cfg);
}
END_TEST

/* KeyringMaxAge: with keysync's stamp missing or too old every recipient,
 * inbound and outbound, is deferred before any key lookup (here the
 * keyring is missing, which a lookup would answer CM_ERR_KEYRING); with a
 * fresh stamp the lookup runs. Each deferral is counted. */
START_TEST(stale_keyring_defers_at_rcpt)
{
    static const int64_t age[] = {-1, 120, 0};      /* -1: no stamp */
    cm_config *cfg = test_config("pass");
    char dir[4096], err[256];
    cm_stats_snap snap, before;
    run r;

    /* The counters are the process's (valgrind.sh runs the tests in one):
     * what moved counts. */
    cm_stats_read(&before);
    cm_test_path(dir, sizeof(dir), "stamp");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    ck_assert_int_eq(cm_config_set(cfg, "KeyringDir", dir, err, sizeof(err)), 0);
    ck_assert_int_eq(cm_config_set(cfg, "KeyringMaxAge", "60s", err, sizeof(err)), 0);
    if (age[_i] >= 0)
        ck_assert_int_eq(cm_syncstamp_write(dir, (int64_t) time(NULL) - age[_i]), 0);
    feed(&r, cfg, CM_DIR_INBOUND, alice, "Subject: x\n", "body\n");
    ck_assert_int_eq(r.rcpt_stat[0], age[_i] == 0 ? CM_ERR_KEYRING : CM_KEYRING_STALE);
    cm_result_free(&r.res);
    cm_msg_free(r.m);
    feed(&r, cfg, CM_DIR_OUTBOUND, nobody, "Subject: x\n", "body\n");
    ck_assert_int_eq(r.rcpt_stat[0], age[_i] == 0 ? CM_OK : CM_KEYRING_STALE);
    cm_stats_read(&snap);
    ck_assert_uint_eq(snap.keyring_stale - before.keyring_stale, age[_i] == 0 ? 0 : 2);
    done(&r, cfg);
}
END_TEST

START_TEST(oversize_actions)
{
    static const struct {
        const char *action;
        int refuse;
        cm_stat stat;
        const char *rcode;
    } cases[] = {
        {"tempfail", 1, CM_TOOBIG, "452"},
        {"reject", 1, CM_TOOBIG, "552"},
        {"pass", 0, CM_OK, NULL},
    };
    cm_config *cfg = test_config("pass");
    char err[256], *big = malloc(3000);
    cm_reply reply;
    run r;

    memset(big, 'x', 2999);
    big[2999] = 0;
    ck_assert_int_eq(cm_config_set(cfg, "MaxMessageSize", "2K", err, sizeof(err)), 0);
    ck_assert_int_eq(cm_config_set(cfg, "OversizeAction", cases[_i].action, err, sizeof(err)), 0);
    feed(&r, cfg, CM_DIR_INBOUND, alice, "Subject: x\n", big);
    ck_assert_int_eq(r.res.refuse, cases[_i].refuse);
    if (r.res.refuse) {
        ck_assert_int_eq(r.res.stat, cases[_i].stat);
        cm_stat_reply(r.res.stat, cm_policy_rejects(cfg, r.res.stat), NULL, &reply);
        ck_assert_str_eq(reply.rcode, cases[_i].rcode);
    } else {
        ck_assert_str_eq(trace_added(&r.res), " skipped oversize");
    }
    free(big);
    done(&r, cfg);
}
END_TEST

START_TEST(outbound_passes_unchanged)
{
    cm_config *cfg = test_config("reject");
    run r;

    feed(&r, cfg, CM_DIR_OUTBOUND, nobody, "Subject: x\n", "body\n");
    ck_assert_int_eq(r.rcpt_stat[0], CM_OK);    /* no key lookup outbound */
    ck_assert_int_eq(r.res.refuse, 0);
    ck_assert_uint_eq(r.res.edits.n, 0);
    ck_assert_ptr_null(r.res.body);
    done(&r, cfg);
}
END_TEST

START_TEST(header_limit_refuses)
{
    cm_config *cfg = test_config("pass");
    cm_buf hdrs = CM_BUF_INIT;
    run r;
    int i;

    for (i = 0; i < CM_HDR_MAX_FIELDS; i++)
        cm_buf_puts(&hdrs, "X: y\n");
    cm_buf_puts(&hdrs, "Subject: one too many\n");
    memset(&r, 0, sizeof(r));
    r.m = cm_msg_new(cfg, engines(cfg), NULL);
    cm_msg_rcpt(r.m, "<alice@example.org>");
    for (i = 0; i < CM_HDR_MAX_FIELDS; i++)
        ck_assert_int_eq(cm_msg_header(r.m, "X", " y", 2), CM_OK);
    ck_assert_int_eq(cm_msg_header(r.m, "Subject", " z", 2), CM_HEADER_LIMIT);
    cm_msg_eom(r.m, &r.res);
    cm_msg_report(r.m, &r.res);
    ck_assert_int_eq(r.res.refuse, 1);
    ck_assert_int_eq(r.res.stat, CM_HEADER_LIMIT);
    cm_buf_free(&hdrs);
    done(&r, cfg);
}
END_TEST

/* An error the front end met where it could not answer (a step the MTA
 * sends without waiting) is answered at end of message, and only the
 * first one: the message is neither encrypted nor passed. */
START_TEST(front_end_error_answered_at_eom)
{
    cm_config *cfg = test_config("pass");
    run r;

    memset(&r, 0, sizeof(r));
    r.m = cm_msg_new(cfg, engines(cfg), NULL);
    ck_assert_int_eq(cm_msg_rcpt(r.m, "<alice@example.org>"), CM_OK);
    cm_msg_fail(r.m, CM_ERR_NOMEM);
    cm_msg_fail(r.m, CM_ERR_SPOOL);
    ck_assert_int_eq(cm_msg_header(r.m, "Subject", " x", 2), CM_OK);
    ck_assert_int_eq(cm_msg_body(r.m, "canary\r\n", 8), CM_OK);
    cm_msg_eom(r.m, &r.res);
    cm_msg_report(r.m, &r.res);
    ck_assert_int_eq(r.res.refuse, 1);
    ck_assert_int_eq(r.res.stat, CM_ERR_NOMEM);
    ck_assert_ptr_null(r.res.body);
    ck_assert_uint_eq(r.res.edits.n, 0);
    done(&r, cfg);
}
END_TEST

static void add(Suite *s)
{
    CM_ADD(s, inbound_with_keys_is_encrypted);
    CM_ADD(s, already_encrypted_is_skipped);
    CM_ADD_LOOP(s, missing_key_actions, 6);
    CM_ADD(s, missing_keyring_tempfails);
    CM_ADD_LOOP(s, stale_keyring_defers_at_rcpt, 3);
    CM_ADD_LOOP(s, oversize_actions, 3);
    CM_ADD(s, outbound_passes_unchanged);
    CM_ADD(s, header_limit_refuses);
    CM_ADD(s, front_end_error_answered_at_eom);
}

CM_TEST_MAIN("cm_msg", add)
