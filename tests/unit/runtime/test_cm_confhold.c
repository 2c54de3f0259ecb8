#include "cm_confhold.h"
#include "cm_test.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

/* A config whose SpoolDir tells which one it is. */
static cm_config *conf(const char *tag)
{
    cm_config *c = cm_config_new();
    char err[256];

    ck_assert_ptr_nonnull(c);
    ck_assert_int_eq(cm_config_set(c, "SpoolDir", tag, err, sizeof(err)), 0);
    return c;
}

START_TEST(get_returns_current)
{
    cm_confhold *h = cm_confhold_new(conf("/one"));
    const cm_config *a;

    ck_assert_ptr_nonnull(h);
    a = cm_confhold_get(h);
    ck_assert_str_eq(a->spool_dir, "/one");
    cm_confhold_put(h, a);
    ck_assert_uint_eq(cm_confhold_count(h), 1);
    cm_confhold_free(h);
}
END_TEST

START_TEST(held_snapshot_outlives_replacement)
{
    cm_confhold *h = cm_confhold_new(conf("/one"));
    const cm_config *old = cm_confhold_get(h), *cur;

    ck_assert_uint_eq(cm_confhold_set(h, conf("/two")), 2);
    /* The message under way still reads its own configuration. */
    ck_assert_str_eq(old->spool_dir, "/one");
    cur = cm_confhold_get(h);
    ck_assert_str_eq(cur->spool_dir, "/two");
    ck_assert_uint_eq(cm_confhold_count(h), 2);
    cm_confhold_put(h, old);
    ck_assert_uint_eq(cm_confhold_count(h), 1);    /* freed with its last holder */
    ck_assert_str_eq(cur->spool_dir, "/two");
    cm_confhold_put(h, cur);
    ck_assert_uint_eq(cm_confhold_count(h), 1);    /* the current one stays */
    cm_confhold_free(h);
}
END_TEST

START_TEST(unheld_snapshot_freed_at_replacement)
{
    cm_confhold *h = cm_confhold_new(conf("/one"));

    ck_assert_uint_eq(cm_confhold_set(h, conf("/two")), 2);
    ck_assert_uint_eq(cm_confhold_set(h, conf("/three")), 3);
    ck_assert_uint_eq(cm_confhold_count(h), 1);
    cm_confhold_free(h);
}
END_TEST

START_TEST(several_generations_held)
{
    cm_confhold *h = cm_confhold_new(conf("/1"));
    const cm_config *g1 = cm_confhold_get(h), *g2, *g3;

    cm_confhold_set(h, conf("/2"));
    g2 = cm_confhold_get(h);
    cm_confhold_set(h, conf("/3"));
    g3 = cm_confhold_get(h);
    cm_confhold_set(h, conf("/4"));
    ck_assert_uint_eq(cm_confhold_count(h), 4);
    cm_confhold_put(h, g2);                        /* out of order */
    ck_assert_uint_eq(cm_confhold_count(h), 3);
    ck_assert_str_eq(g1->spool_dir, "/1");
    ck_assert_str_eq(g3->spool_dir, "/3");
    cm_confhold_put(h, g3);
    cm_confhold_put(h, g1);
    ck_assert_uint_eq(cm_confhold_count(h), 1);
    cm_confhold_free(h);
}
END_TEST

/* Readers take, read and give back while the main thread replaces the
 * configuration; under ASan/valgrind a snapshot freed while held shows. */
enum { READERS = 4, ROUNDS = 2000 };

static void *reader(void *arg)
{
    cm_confhold *h = arg;
    size_t bad = 0;
    int i;

    for (i = 0; i < ROUNDS; i++) {
        const cm_config *c = cm_confhold_get(h);

        bad += c->spool_dir[0] != '/' || strlen(c->spool_dir) < 2;
        cm_confhold_put(h, c);
    }
    return (void *) bad;
}

START_TEST(concurrent_readers_and_reloads)
{
    cm_confhold *h = cm_confhold_new(conf("/0"));
    pthread_t t[READERS];
    char tag[32];
    void *bad;
    int i;

    for (i = 0; i < READERS; i++)
        ck_assert_int_eq(pthread_create(&t[i], NULL, reader, h), 0);
    for (i = 1; i <= 500; i++) {
        snprintf(tag, sizeof(tag), "/%d", i);
        ck_assert_uint_ne(cm_confhold_set(h, conf(tag)), 0);
    }
    for (i = 0; i < READERS; i++) {
        ck_assert_int_eq(pthread_join(t[i], &bad), 0);
        ck_assert_ptr_null(bad);
    }
    ck_assert_uint_eq(cm_confhold_count(h), 1);
    cm_confhold_free(h);
}
END_TEST

static void add(Suite *s)
{
    CM_ADD(s, get_returns_current);
    CM_ADD(s, held_snapshot_outlives_replacement);
    CM_ADD(s, unheld_snapshot_freed_at_replacement);
    CM_ADD(s, several_generations_held);
    CM_ADD(s, concurrent_readers_and_reloads);
}

CM_TEST_MAIN("cm_confhold", add)
