/* cm_gateway: the runtime as either front end builds it, and its reload,
 * on configuration files in a scratch directory (no daemon, no keyring:
 * KeyringDir none). */
#include "cm_gateway.h"
#include "cm_msg_int.h"
#include "cm_testreplay.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

typedef struct fixture {
    char dir[512];
    char conf[600];
    char replay1[600], replay2[600];
} fixture;

/* Write the file: KeyringDir keyring, ReplayCache replay, MissingKeyAction
 * action, then extra. */
static void write_conf(const fixture *f, const char *keyring, const char *replay,
                       const char *action, const char *extra)
{
    FILE *fp = fopen(f->conf, "w");

    ck_assert_ptr_nonnull(fp);
    fprintf(fp, "KeyringDir %s\nSpoolDir %s\nReplayCache %s\nMissingKeyAction %s\n%s",
            keyring, f->dir, replay, action, extra);
    ck_assert_int_eq(fclose(fp), 0);
}

static cm_gateway *start(fixture *f, cm_gateway_kind kind)
{
    char err[1024];
    cm_config *cfg;
    cm_gateway *gw;
    cm_stat st;

    cache_dir(f->dir, sizeof(f->dir));
    snprintf(f->conf, sizeof(f->conf), "%s/cm.conf", f->dir);
    snprintf(f->replay1, sizeof(f->replay1), "%s/replay1", f->dir);
    snprintf(f->replay2, sizeof(f->replay2), "%s/replay2", f->dir);
    write_conf(f, "none", f->replay1, "reject", "");
    cfg = cm_config_load(f->conf, err, sizeof(err));
    ck_assert_msg(cfg != NULL, "%s", err);
    gw = cm_gateway_new(f->conf, cfg, kind, &st, err, sizeof(err));
    ck_assert_msg(gw != NULL, "%s", err);
    ck_assert_int_eq(st, CM_OK);
    ck_assert_int_eq(cm_gateway_hold(gw, cfg), 0);
    return gw;
}

static int current_action(cm_gateway *gw)
{
    const cm_config *c = cm_confhold_get(gw->conf);
    int a = c->missing_key_action;

    cm_confhold_put(gw->conf, c);
    return a;
}

START_TEST(reload_takes_the_new_file_and_keeps_a_held_snapshot)
{
    fixture f;
    cm_gateway *gw = start(&f, CM_GATEWAY_DAEMON);
    const cm_config *held = cm_confhold_get(gw->conf);

    ck_assert_int_eq(current_action(gw), CM_MISSING_REJECT);
    write_conf(&f, "none", f.replay1, "pass", "");
    ck_assert_uint_eq(cm_gateway_reload(gw), 2);
    ck_assert_int_eq(current_action(gw), CM_MISSING_PASS);
    /* The message under way still reads the file it began with. */
    ck_assert_int_eq(held->missing_key_action, CM_MISSING_REJECT);
    cm_confhold_put(gw->conf, held);
    ck_assert_uint_eq(cm_confhold_count(gw->conf), 1);
    cm_gateway_free(gw);
}
END_TEST

START_TEST(a_bad_file_keeps_the_configuration_in_use)
{
    fixture f;
    cm_gateway *gw = start(&f, CM_GATEWAY_DAEMON);
    FILE *fp;

    write_conf(&f, "none", f.replay1, "pass", "NoSuchKey yes\n");
    ck_assert_uint_eq(cm_gateway_reload(gw), 0);
    ck_assert_int_eq(current_action(gw), CM_MISSING_REJECT);
    /* Empty: caught while being written. */
    ck_assert_ptr_nonnull(fp = fopen(f.conf, "w"));
    ck_assert_int_eq(fclose(fp), 0);
    ck_assert_uint_eq(cm_gateway_reload(gw), 0);
    /* A KeyringDir that does not exist. */
    write_conf(&f, "/nonexistent/cryptmilter-test", f.replay1, "pass", "");
    ck_assert_uint_eq(cm_gateway_reload(gw), 0);
    ck_assert_int_eq(current_action(gw), CM_MISSING_REJECT);
    write_conf(&f, "none", f.replay1, "pass", "");
    ck_assert_uint_eq(cm_gateway_reload(gw), 2);
    cm_gateway_free(gw);
}
END_TEST

/* The replay cache is the gateway's: a reload naming another directory
 * closes the old one; one naming the same keeps it open. */
START_TEST(reload_reopens_the_replay_cache_only_when_it_moved)
{
    fixture f;
    cm_gateway *gw = start(&f, CM_GATEWAY_DAEMON);
    cm_replay_id x = make_id("AAAA", NOW, 1);

    ck_assert_int_eq(cm_replay_record(gw->replay, f.replay1, MAP, &x, NOW, NOW, 100, "t"), CM_OK);
    write_conf(&f, "none", f.replay1, "pass", "");
    ck_assert_uint_eq(cm_gateway_reload(gw), 2);
    remove_cache_files(f.replay1);
    ck_assert_int_eq(cm_replay_record(gw->replay, f.replay1, MAP, &x, NOW, NOW, 100, "t"),
                     CM_GATE_REPLAY);

    write_conf(&f, "none", f.replay2, "pass", "");
    ck_assert_uint_eq(cm_gateway_reload(gw), 3);
    ck_assert_int_eq(cm_replay_record(gw->replay, f.replay1, MAP, &x, NOW, NOW, 100, "t"), CM_OK);
    cm_gateway_free(gw);
}
END_TEST

/* A message made by the gateway gets the replay caches: outbound mail to
 * the gateway is never let through for want of them. Both kinds build. */
START_TEST(messages_are_made_on_the_gateway)
{
    cm_gateway_kind kinds[] = { CM_GATEWAY_DAEMON, CM_GATEWAY_ONCE };
    size_t i;

    for (i = 0; i < NELEM(kinds); i++) {
        fixture f;
        cm_gateway *gw = start(&f, kinds[i]);
        const cm_config *c = cm_confhold_get(gw->conf);
        cm_msg *m = cm_gateway_msg(gw, c, "GWQID");

        ck_assert_ptr_nonnull(m);
        ck_assert_ptr_nonnull(gw->replay);
        ck_assert_ptr_eq(m->replay, gw->replay);
        ck_assert_int_eq(cm_msg_sender(m, "<s@example.org>"), CM_OK);
        cm_msg_free(m);
        cm_confhold_put(gw->conf, c);
        cm_gateway_free(gw);
    }
}
END_TEST

static void add(Suite *s)
{
    CM_ADD(s, reload_takes_the_new_file_and_keeps_a_held_snapshot);
    CM_ADD(s, a_bad_file_keeps_the_configuration_in_use);
    CM_ADD(s, reload_reopens_the_replay_cache_only_when_it_moved);
    CM_ADD(s, messages_are_made_on_the_gateway);
}

CM_TEST_MAIN("cm_gateway", add)
