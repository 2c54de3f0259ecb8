/* The librnp engine's keyring as files change under it: a change is seen
 * by the next message while a message in flight keeps the keyring it
 * began with; the trust database's "disabled" is read again; a gateway
 * key librnp cannot use (passphrase) is the gateway's failure (4xx). */
#include "cm_rnp.h"
#include "cm_buf.h"
#include "cm_testbuf.h"
#include "cm_testkeys.h"
#include "cm_test.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
    sh("chmod 700 '%s' && mkdir -m 700 '%s/private-keys-v1.d'", dir, dir);
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

/* A gateway key with a passphrase: librnp cannot use it (gpg-agent
 * would ask for the passphrase): 4xx, with the reason logged. */
START_TEST(passphrase_protected_gateway_key_is_ours)
{
    char dir[512], path[700], fpr[128];
    cm_buf ct = CM_BUF_INIT, plain = CM_BUF_INIT;
    cm_reader rd = {buf_read, NULL, &ct};
    cm_writer wr = {buf_write, &plain};
    cm_sigs sigs;
    FILE *fp;
    sess a;
    int yes = 0;
    uint64_t id;
    char line[256];

    scratch_home(dir, sizeof(dir));
    sh("GNUPGHOME='%s' gpg --batch --quiet --pinentry-mode loopback --passphrase pw "
       "--quick-gen-key 'GW2 <gw2@example.net>' ed25519 cert never%s", dir, "");
    sh("GNUPGHOME='%s' gpg --batch --quiet --pinentry-mode loopback --passphrase pw "
       "--quick-add-key $(GNUPGHOME='%s' gpg --with-colons --list-keys gw2@example.net "
       "| awk -F: '/^fpr/{print $10; exit}') cv25519 encr never", dir, dir);
    snprintf(path, sizeof(path), "%s/fpr", dir);
    sh("GNUPGHOME='%s' gpg --with-colons --list-keys gw2@example.net "
       "| awk -F: '/^fpr/{print $10; exit}' > '%s/fpr'", dir, dir);
    ck_assert_ptr_nonnull(fp = fopen(path, "r"));
    ck_assert_ptr_nonnull(fgets(fpr, sizeof(fpr), fp));
    fclose(fp);
    fpr[strcspn(fpr, "\n")] = 0;
    /* Its encryption subkey's ID, as the PKESK names it. */
    sh("GNUPGHOME='%s' gpg --with-colons --list-keys gw2@example.net "
       "| awk -F: '/^sub/{print $5; exit}' > '%s/kid'", dir, dir);
    snprintf(path, sizeof(path), "%s/kid", dir);
    ck_assert_ptr_nonnull(fp = fopen(path, "r"));
    ck_assert_ptr_nonnull(fgets(line, sizeof(line), fp));
    fclose(fp);
    ck_assert_int_eq(sscanf(line, "%16" SCNx64, &id), 1);
    sh("echo secret | GNUPGHOME='%s' gpg --batch --quiet --trust-model always -a -e "
       "-r gw2@example.net > '%s/ct.asc'", dir, dir);
    snprintf(path, sizeof(path), "%s/ct.asc", dir);
    ck_assert_ptr_nonnull(fp = fopen(path, "r"));
    while (fgets(line, sizeof(line), fp) != NULL)
        ck_assert_int_eq(cm_buf_append(&ct, line, strlen(line)), 0);
    fclose(fp);
    ck_assert_int_eq(open_in(&a, dir, fpr), CM_OK);
    ck_assert_int_eq(cm_rnp_engine.gateway_match(a.s, &id, 1, &yes), CM_OK);
    ck_assert_int_eq(yes, 1);
    ck_assert_int_eq(cm_rnp_engine.decrypt_verify(a.s, &rd, &wr, &sigs), CM_ERR_GATEWAY_KEY);
    ck_assert_uint_eq(plain.len, 0);
    close_sess(&a);
    cm_buf_free(&ct);
    cm_buf_free(&plain);
    remove_home(dir);
}
END_TEST

static void add_cases(Suite *s)
{
    CM_ADD(s, new_key_seen_by_next_message_not_by_one_in_flight);
    CM_ADD(s, disabling_a_key_is_seen);
    CM_ADD(s, damaged_trustdb_is_an_error);
    CM_ADD(s, passphrase_protected_gateway_key_is_ours);
}

CM_TEST_MAIN("cm_rnp_ring", add_cases)
