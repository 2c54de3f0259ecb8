/* The librnp engine's keyring as files change under it: a change is seen
 * by the next message while a message in flight keeps the keyring it
 * began with; the trust database's "disabled" is read again; a keyring
 * file that is not a regular file is refused without waiting on it. */
#include "cm_rnp.h"
#include "cm_buf.h"
#include "cm_testbuf.h"
#include "cm_testkeys.h"
#include "cm_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static char test_qid[] = "TESTQID";

static cm_engine *engine(void)
{
    static cm_engine *e;
    char err[256];

    if (e == NULL)
        ck_assert_int_eq(cm_rnp_engine.create(&e, err, sizeof(err)), CM_OK);
    return e;
}

/* Run a shell command made like printf; it must succeed. */
#define sh(...)                                                        \
    do {                                                               \
        char cmd_[4096];                                               \
        ck_assert_int_lt(snprintf(cmd_, sizeof(cmd_), __VA_ARGS__),    \
                         (int) sizeof(cmd_));                          \
        ck_assert_msg(system(cmd_) == 0, "%s", cmd_);                  \
    } while (0)

/* A scratch KeyringDir holding a copy of the fixture's public keyring and
 * trust database. */
static void scratch_home(char *dir, size_t len)
{
    const char *kr = getenv("CM_TEST_KEYRING");

    ck_assert_ptr_nonnull(kr);
    ck_assert_ptr_nonnull(mkdtemp(cm_test_path(dir, len, "cm-rnp-")));
    sh("cp '%s/gnupg/pubring.kbx' '%s/'", kr, dir);
    sh("cp '%s/gnupg/trustdb.gpg' '%s/'", kr, dir);
    sh("chmod 700 '%s'", dir);
}

static void remove_home(const char *dir)
{
    sh("GNUPGHOME='%s' gpgconf --kill all; rm -rf '%s'", dir, dir);
}

typedef struct sess {
    cm_config *cfg;
    cm_msgctx mc;
    cm_engine_session *s;
} sess;

static cm_stat open_in(sess *x, const char *dir, const char *gateway_keys)
{
    char err[256];

    x->cfg = test_config("pass");
    ck_assert_int_eq(cm_config_set(x->cfg, "KeyringDir", dir, err, sizeof(err)), 0);
    if (gateway_keys != NULL)
        ck_assert_int_eq(cm_config_set(x->cfg, "GatewayKeys", gateway_keys, err, sizeof(err)), 0);
    x->mc.cfg = x->cfg;
    x->mc.qid = test_qid;
    x->mc.no_gateway_keys = 0;
    x->s = NULL;
    return cm_rnp_engine.session_new(engine(), &x->mc, &x->s);
}

static void close_sess(sess *x)
{
    cm_rnp_engine.session_free(x->s);
    cm_config_free(x->cfg);
}

static int has_key(sess *x, const char *addr)
{
    const cm_key *k = NULL;

    ck_assert_int_eq(cm_rnp_engine.lookup(x->s, addr, &k), CM_OK);
    return k != NULL;
}

START_TEST(new_key_seen_by_next_message_not_by_one_in_flight)
{
    const char *kr = getenv("CM_TEST_KEYRING");
    char dir[512];
    sess a, b;

    scratch_home(dir, sizeof(dir));
    ck_assert_int_eq(open_in(&a, dir, NULL), CM_OK);
    ck_assert(!has_key(&a, "outsider@example.com"));
    /* gpg rewrites pubring.kbx aside and renames it into place. */
    sh("GNUPGHOME='%s/outsider' gpg --batch --export outsider@example.com > '%s/o.pub'", kr, dir);
    sh("GNUPGHOME='%s' gpg --batch --quiet --import '%s/o.pub'", dir, dir);
    ck_assert_int_eq(open_in(&b, dir, NULL), CM_OK);
    ck_assert(has_key(&b, "outsider@example.com"));
    ck_assert(!has_key(&a, "outsider@example.com"));    /* keeps its ring */
    ck_assert(has_key(&a, "alice@example.org"));
    close_sess(&a);
    close_sess(&b);
    remove_home(dir);
}
END_TEST

START_TEST(disabling_a_key_is_seen)
{
    char dir[512];
    sess a, b;

    scratch_home(dir, sizeof(dir));
    ck_assert_int_eq(open_in(&a, dir, NULL), CM_OK);
    ck_assert(has_key(&a, "alice@example.org"));
    close_sess(&a);
    sh("GNUPGHOME='%s' gpg --batch --quiet --edit-key alice@example.org disable quit >/dev/null 2>&1%s", dir, "");
    ck_assert_int_eq(open_in(&b, dir, NULL), CM_OK);
    ck_assert(!has_key(&b, "alice@example.org"));
    ck_assert(has_key(&b, "bob@example.org"));
    close_sess(&b);
    remove_home(dir);
}
END_TEST

/* A damaged trust database: "nothing disabled" must not be assumed. */
START_TEST(damaged_trustdb_is_an_error)
{
    char dir[512];
    sess a;

    scratch_home(dir, sizeof(dir));
    sh("head -c 41 /dev/urandom > '%s/trustdb.gpg'%s", dir, "");
    ck_assert_int_eq(open_in(&a, dir, NULL), CM_ERR_KEYRING_DAMAGED);
    ck_assert_ptr_null(a.s);
    cm_config_free(a.cfg);
    remove_home(dir);
}
END_TEST

/* A FIFO in place of a keyring file (issue 22, item 9): librnp's load
 * waited on it for a writer past EngineTimeout, holding the ring's lock,
 * and the process stayed stuck after the file was put back. Refused at
 * once (4xx), and the next message after the repair works. */
static void fifo_in_place_of(const char *name)
{
    char dir[512];
    time_t t0;
    sess a;

    scratch_home(dir, sizeof(dir));
    ck_assert_int_eq(open_in(&a, dir, NULL), CM_OK);    /* a ring loaded before */
    close_sess(&a);
    sh("mv '%s/%s' '%s/saved' && mkfifo '%s/%s'", dir, name, dir, dir, name);
    t0 = time(NULL);
    ck_assert_int_eq(open_in(&a, dir, NULL), CM_ERR_KEYRING);
    ck_assert_ptr_null(a.s);
    cm_config_free(a.cfg);
    ck_assert_int_le(time(NULL) - t0, 5);
    sh("mv '%s/saved' '%s/%s'", dir, dir, name);      /* rename over the FIFO */
    ck_assert_int_eq(open_in(&a, dir, NULL), CM_OK);
    ck_assert(has_key(&a, "alice@example.org"));
    close_sess(&a);
    remove_home(dir);
}

START_TEST(fifo_keyring_is_refused_at_once)
{
    fifo_in_place_of("pubring.kbx");
}
END_TEST

START_TEST(fifo_trustdb_is_refused_at_once)
{
    fifo_in_place_of("trustdb.gpg");
}
END_TEST

static void add_cases(Suite *s)
{
    CM_ADD(s, new_key_seen_by_next_message_not_by_one_in_flight);
    CM_ADD(s, disabling_a_key_is_seen);
    CM_ADD(s, damaged_trustdb_is_an_error);
    CM_ADD(s, fifo_keyring_is_refused_at_once);
    CM_ADD(s, fifo_trustdb_is_refused_at_once);
}

CM_TEST_MAIN("cm_rnp_ring", add_cases)
