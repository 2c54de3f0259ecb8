/* The outbound pipeline's recipient rules over the fake engine (no gpg):
 * local recipients split from external ones and encrypted as inbound;
 * opportunistic encryption only when every recipient has a key. The
 * decryption path needs a real engine: test_cm_gpgme_dec, test_outbound.py. */
#include "cm_fakeengine.h"
#include "cm_msg.h"
#include "cm_msg_int.h"
#include "cm_test.h"

#include <string.h>

static cm_config *config(const char *key, const char *value)
{
    cm_config *cfg = cm_config_new();
    char err[256];

    ck_assert_ptr_nonnull(cfg);
    ck_assert_int_eq(cm_config_set(cfg, "SpoolDir", cm_test_tmp(), err, sizeof(err)), 0);
    ck_assert_int_eq(cm_config_set(cfg, "LocalDomains", "example.org", err, sizeof(err)), 0);
    if (key != NULL)
        ck_assert_int_eq(cm_config_set(cfg, key, value, err, sizeof(err)), 0);
    return cfg;
}

static const char *const keyed[] = {"alice@example.org", "bob@example.org",
                                    "partner@ext.example", NULL};

/* An outbound message of alice's to rcpts; the statuses of the RCPTs. */
static cm_msg *outbound(cm_config *cfg, const char *const *rcpts, cm_stat *st, cm_result *res)
{
    cm_msg *m = cm_msg_new(cfg, fake_engines(), "OUTQID");
    size_t i;

    ck_assert_ptr_nonnull(m);
    cm_msg_set_direction(m, CM_DIR_OUTBOUND, "test");
    ck_assert_int_eq(cm_msg_sender(m, "<alice@example.org>"), CM_OK);
    for (i = 0; rcpts[i] != NULL; i++)
        st[i] = cm_msg_rcpt(m, rcpts[i]);
    ck_assert_int_eq(cm_msg_header(m, "Subject", " canary", 7), CM_OK);
    ck_assert_int_eq(cm_msg_header(m, "Content-Type", " text/plain", 11), CM_OK);
    ck_assert_int_eq(cm_msg_body(m, "canary text\r\n", 13), CM_OK);
    cm_msg_eom(m, res);
    cm_msg_report(m, res);
    return m;
}

START_TEST(local_and_external_are_split_at_rcpt)
{
    static const char *const r1[] = {"<partner@ext.example>", "<bob@example.org>",
                                     "<x@ext.example>", NULL};
    static const char *const r2[] = {"<bob@example.org>", "<partner@ext.example>",
                                     "<alice@Example.ORG>", NULL};
    cm_config *cfg = config(NULL, NULL);
    cm_stat st[4];
    cm_result res;
    cm_msg *m;

    fake_reset(keyed);
    m = outbound(cfg, r1, st, &res);
    ck_assert_int_eq(st[0], CM_OK);
    ck_assert_int_eq(st[1], CM_SPLIT_LOCAL);
    ck_assert_int_eq(st[2], CM_OK);
    ck_assert_str_eq(res.trace, "outbound passed");     /* external, plaintext */
    cm_result_free(&res);
    cm_msg_free(m);
    m = outbound(cfg, r2, st, &res);
    ck_assert_int_eq(st[0], CM_OK);
    ck_assert_int_eq(st[1], CM_SPLIT_LOCAL);
    ck_assert_int_eq(st[2], CM_OK);                     /* domain case ignored */
    ck_assert_str_eq(res.trace, "encrypted pgp-mime");  /* local: as inbound */
    ck_assert_ptr_nonnull(res.body);
    ck_assert_ptr_nonnull(strstr(cm_buf_str(&fake.seen), "canary text"));
    cm_result_free(&res);
    cm_msg_free(m);
    cm_buf_free(&fake.seen);
    cm_config_free(cfg);
}
END_TEST

/* LocalDomains written with an upper-case IDN domain: a recipient there,
 * in whichever form and case the envelope gives, is local (not sent out
 * as external mail, perhaps in clear): split from an external one. */
static const char *const idn_local[] = {
    "<u@b\xc3\xbc" "cher.example>", "<u@xn--bcher-kva.example>", "<u@B\xc3\x9c" "CHER.example>",
    "<u@XN--BCHER-KVA.example>",
};

START_TEST(idn_local_domain_in_any_case)
{
    cm_config *cfg = config("LocalDomains", "example.org, B\xc3\x9c" "CHER.example");
    cm_msg *m = cm_msg_new(cfg, fake_engines(), "OUTQID");

    ck_assert_ptr_nonnull(m);
    fake_reset(keyed);
    cm_msg_set_direction(m, CM_DIR_OUTBOUND, "test");
    ck_assert_int_eq(cm_msg_sender(m, "<alice@example.org>"), CM_OK);
    ck_assert_int_eq(cm_msg_rcpt(m, "<partner@ext.example>"), CM_OK);
    ck_assert_int_eq(cm_msg_rcpt(m, idn_local[_i]), CM_SPLIT_LOCAL);
    cm_msg_free(m);
    cm_config_free(cfg);
}
END_TEST

START_TEST(opportunistic_only_when_every_recipient_has_a_key)
{
    static const char *const all[] = {"<partner@ext.example>", NULL};
    static const char *const some[] = {"<partner@ext.example>", "<x@ext.example>", NULL};
    cm_config *cfg = config("OpportunisticEncryption", "yes");
    cm_stat st[4];
    cm_result res;
    cm_msg *m;

    fake_reset(keyed);
    m = outbound(cfg, all, st, &res);
    ck_assert_int_eq(res.refuse, 0);
    ck_assert_str_eq(res.trace, "encrypted pgp-mime");
    cm_result_free(&res);
    cm_msg_free(m);
    fake_reset(keyed);
    m = outbound(cfg, some, st, &res);
    ck_assert_int_eq(st[1], CM_OK);                     /* never deferred */
    ck_assert_int_eq(res.refuse, 0);
    ck_assert_str_eq(res.trace, "outbound passed");
    ck_assert_ptr_null(res.body);
    ck_assert_uint_eq(fake.seen.len, 0);                /* nothing encrypted */
    cm_result_free(&res);
    cm_msg_free(m);
    cm_buf_free(&fake.seen);
    cm_config_free(cfg);
}
END_TEST

START_TEST(without_opportunistic_external_keys_are_not_looked_up)
{
    static const char *const rcpts[] = {"<partner@ext.example>", NULL};
    cm_config *cfg = config(NULL, NULL);
    cm_stat st[4];
    cm_result res;
    cm_msg *m;

    fake_reset(keyed);
    m = outbound(cfg, rcpts, st, &res);
    ck_assert_int_eq(fake.lookups, 0);
    ck_assert_str_eq(res.trace, "outbound passed");
    cm_result_free(&res);
    cm_msg_free(m);
    cm_config_free(cfg);
}
END_TEST

/* Fault: the end of message finds a transaction marked "a recipient
 * requires encryption" beside a recipient without a key (RCPT should never
 * let that happen). Refused, 4xx, nothing leaves in clear. */
START_TEST(required_but_not_encryptable_is_refused_not_passed)
{
    cm_config *cfg = config(NULL, NULL);
    cm_result res;
    cm_msg *m = cm_msg_new(cfg, fake_engines(), "OUTQID");

    fake_reset(keyed);
    ck_assert_ptr_nonnull(m);
    cm_msg_set_direction(m, CM_DIR_OUTBOUND, "test");
    ck_assert_int_eq(cm_msg_sender(m, "<alice@example.org>"), CM_OK);
    ck_assert_int_eq(cm_msg_rcpt(m, "<x@ext.example>"), CM_OK);
    m->required = 1;
    m->tally.nkeyless = 1;
    ck_assert_int_eq(cm_msg_header(m, "Content-Type", " text/plain", 11), CM_OK);
    ck_assert_int_eq(cm_msg_body(m, "canary text\r\n", 13), CM_OK);
    cm_msg_eom(m, &res);
    ck_assert_int_ne(res.refuse, 0);
    ck_assert_ptr_null(res.body);
    ck_assert_int_eq(res.stat, CM_ERR_INTERNAL);
    ck_assert_str_eq(cm_stat_lookup(res.stat)->rcode, "451");
    ck_assert_uint_eq(fake.seen.len, 0);                /* nothing encrypted either */
    cm_result_free(&res);
    cm_msg_free(m);
    cm_config_free(cfg);
}
END_TEST

static void add(Suite *s)
{
    CM_ADD(s, local_and_external_are_split_at_rcpt);
    CM_ADD(s, opportunistic_only_when_every_recipient_has_a_key);
    CM_ADD(s, without_opportunistic_external_keys_are_not_looked_up);
    CM_ADD(s, required_but_not_encryptable_is_refused_not_passed);
    CM_ADD_LOOP(s, idn_local_domain_in_any_case, sizeof(idn_local) / sizeof(idn_local[0]));
}

CM_TEST_MAIN("cm_outbound", add)
