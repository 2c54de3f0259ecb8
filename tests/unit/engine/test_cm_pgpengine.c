/* Run against the OpenPGP engine the build names: test_cm_gpgme (GPGME) or,
 * with CM_TEST_RNP, test_cm_rnp (librnp). Same cases, same answers. */
#ifdef CM_TEST_RNP
#define _GNU_SOURCE         /* RTLD_NEXT: librnp calls wrapped to inject faults */
#include <dlfcn.h>
#include <rnp/rnp.h>
#include <rnp/rnp_err.h>
#include "cm_rnp.h"
#define ENGINE cm_rnp_engine
#define SUITE "cm_rnp"
#else
#include "cm_gpgme.h"
#define ENGINE cm_gpgme_engine
#define SUITE "cm_gpgme"
#endif
#include "cm_engcall.h"
#include "cm_pgpmime.h"
#include "cm_testengine.h"
#include "cm_testkeys.h"
#include "cm_test.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const struct {
    const char *addr;
    int found;
} lookups[] = {
    {"alice@example.org", 1},
    {"ALICE@Example.Org", 1},       /* address match ignores case */
    {"bob@example.org", 1},         /* RSA, encryption subkey */
    {"carol@example.org", 0},       /* signing key only */
    {"dave@example.org", 0},        /* expired */
    {"eve@example.org", 0},         /* revoked */
    {"frank@example.org", 0},       /* disabled */
    {"grace@example.org", 1},
    {"gracie@example.net", 0},      /* revoked user ID */
    {"lice@example.org", 0},        /* substring of alice's address */
    {"alice@example.org.evil", 0},
    {"nobody@example.org", 0},
    {"<alice@example.org>", 0},     /* not a bare address: never a pattern */
};

static char test_qid[] = "TESTQID";

static cm_stat session(const cm_config *cfg, cm_msgctx *mc, cm_engine_session **s)
{
    mc->cfg = cfg;
    mc->qid = test_qid;
    mc->no_gateway_keys = 0;
    *s = NULL;
    return ENGINE.session_new(cm_testengine(&ENGINE), mc, s);
}

/* Look addr up and, if it has a key, make it a recipient. */
static cm_stat add(cm_engine_session *s, const char *addr, int *found)
{
    const cm_key *key = NULL;
    cm_stat st = ENGINE.lookup(s, addr, &key);

    *found = key != NULL;
    if (st == CM_OK && key != NULL)
        st = ENGINE.add_recipient(s, key);
    return st;
}

START_TEST(key_lookup)
{
    cm_config *cfg = test_config("pass");
    cm_engine_session *s;
    cm_msgctx mc;
    int found = -1;

    ck_assert_int_eq(session(cfg, &mc, &s), CM_OK);
    ck_assert_int_eq(add(s, lookups[_i].addr, &found), CM_OK);
    ck_assert_msg(found == lookups[_i].found, "%s: found=%d, want %d", lookups[_i].addr, found,
                  lookups[_i].found);
    ENGINE.session_free(s);
    cm_config_free(cfg);
}
END_TEST

/* What `cryptmilter -n` prints of the fixture keyring, the same from both
 * engines: its 9 keys; the 5 addresses lookups find a key for (not eve's,
 * revoked, frank's, disabled, dave's, expired, carol's, sign-only, nor
 * grace's revoked second one); none expiring: dave's expired in 2020. */
START_TEST(keyring_summary)
{
    cm_config *cfg = test_config("pass");
    cm_engine_session *s;
    cm_keyring_summary sum;
    cm_msgctx mc;

    ck_assert_int_eq(session(cfg, &mc, &s), CM_OK);
    ck_assert_int_eq(ENGINE.keyring_summary(s, (int64_t) time(NULL), 30 * 86400, &sum), CM_OK);
    ck_assert_uint_eq(sum.keys, 9);
    ck_assert_uint_eq(sum.addrs, 5);
    ck_assert_uint_eq(sum.expiring, 0);
    ENGINE.session_free(s);
    cm_config_free(cfg);
}
END_TEST

/* The gateway's own key: a recipient inbound (else mail to its address
 * would go in the clear), never one for outbound external mail. The
 * engine finds it and names its fingerprint; the wrapper (cm_engcall)
 * leaves it out, asked of this engine as a message asks it. */
START_TEST(gateway_key_only_skipped_when_asked)
{
    cm_config *cfg = test_config("pass");
    cm_engines es = {.n = 1, .held = 1};
    cm_msgctx mc = {cfg, test_qid, 0};
    cm_engcall c;
    const cm_key *key = NULL;
    char fpr[128], err[256];
    int which;

    cm_testengine_keyring_file("export/gateway.fpr", fpr, sizeof(fpr));
    ck_assert_int_eq(cm_config_set(cfg, "GatewayKeys", fpr, err, sizeof(err)), 0);
    es.v[0].ops = &ENGINE;
    es.v[0].engine = cm_testengine(&ENGINE);
    cm_engcall_init(&c, &es, &mc);
    ck_assert_int_eq(cm_engcall_find_key(&c, "gateway@gw.example.net", &which, &key), CM_OK);
    ck_assert_ptr_nonnull(key);
    ck_assert_int_eq(strcasecmp(ENGINE.key_fpr(key), fpr), 0);
    mc.no_gateway_keys = 1;
    ck_assert_int_eq(cm_engcall_find_key(&c, "gateway@gw.example.net", &which, &key), CM_OK);
    ck_assert_ptr_null(key);
    ck_assert_int_eq(which, -1);
    ck_assert_int_eq(cm_engcall_find_key(&c, "alice@example.org", &which, &key), CM_OK);
    ck_assert_ptr_nonnull(key);
    cm_engcall_done(&c);
    cm_config_free(cfg);
}
END_TEST

START_TEST(missing_keyring_is_an_error_not_no_key)
{
    cm_config *cfg = test_config("pass");
    cm_engine_session *s = NULL;
    cm_msgctx mc;
    char err[256];

    ck_assert_int_eq(cm_config_set(cfg, "KeyringDir", "/nonexistent/gnupg", err, sizeof(err)), 0);
    ck_assert_int_eq(session(cfg, &mc, &s), CM_ERR_KEYRING);
    ck_assert_ptr_null(s);
    /* An empty directory is no keyring either. */
    ck_assert_int_eq(cm_config_set(cfg, "KeyringDir", "/", err, sizeof(err)), 0);
    ck_assert_int_eq(session(cfg, &mc, &s), CM_ERR_KEYRING);
    cm_config_free(cfg);
}
END_TEST

/* Remove a scratch keyring directory and whatever gpg left in it. */
static void remove_dir(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char path[1024];

    ck_assert_ptr_nonnull(d);
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        ck_assert_int_lt(snprintf(path, sizeof(path), "%s/%s", dir, e->d_name),
                         (int) sizeof(path));
        ck_assert_int_eq(unlink(path), 0);
    }
    ck_assert_int_eq(closedir(d), 0);
    ck_assert_int_eq(rmdir(dir), 0);
}

/* dir/pubring.kbx: a copy of the fixture keyring's, or (from NULL) size
 * bytes that are no keyring. */
static void write_pubring(const char *dir, const char *from, size_t size)
{
    const char *kr = getenv("CM_TEST_KEYRING");
    char path[1024], src[1024];
    unsigned char buf[512];
    FILE *in = NULL, *out;
    size_t i, n;

    snprintf(path, sizeof(path), "%s/pubring.kbx", dir);
    ck_assert_ptr_nonnull(out = fopen(path, "wb"));
    if (from != NULL) {
        ck_assert_ptr_nonnull(kr);
        snprintf(src, sizeof(src), "%s/gnupg/%s", kr, from);
        ck_assert_ptr_nonnull(in = fopen(src, "rb"));
        while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
            ck_assert_uint_eq(fwrite(buf, 1, n, out), n);
        ck_assert_int_eq(ferror(in), 0);
        ck_assert_int_eq(fclose(in), 0);
    } else {
        for (i = 0; i < sizeof(buf); i++)
            buf[i] = (unsigned char) (i * 167 + 13);
        for (; size > 0; size -= n) {
            n = size < sizeof(buf) ? size : sizeof(buf);
            ck_assert_uint_eq(fwrite(buf, 1, n, out), n);
        }
    }
    ck_assert_int_eq(fclose(out), 0);
}

/* Look addr up in a session of its own on the keyring in dir. */
static cm_stat lookup_in(const char *dir, const char *addr, int *found)
{
    cm_config *cfg = test_config("pass");
    cm_engine_session *s = NULL;
    cm_msgctx mc;
    char err[256];
    cm_stat st;

    ck_assert_int_eq(cm_config_set(cfg, "KeyringDir", dir, err, sizeof(err)), 0);
    *found = 0;
    if ((st = session(cfg, &mc, &s)) == CM_OK) {
        *found = -1;
        st = add(s, addr, found);
        ENGINE.session_free(s);
    }
    cm_config_free(cfg);
    return st;
}

/* A keyring file that is there and readable but that gpg cannot list a key
 * from: GPGME reports that as a clean, empty listing, the same as "no such
 * key". The lookup must fail (4xx), never report "no key" (plaintext under
 * MissingKeyAction pass). An empty keyring cannot be told from it. */
static const struct {
    const char *what;
    size_t size;
} bad_keyrings[] = {
    {"damaged", 8192},
    {"zero-length", 0},
};

START_TEST(unlistable_keyring_is_an_error_not_no_key)
{
    char dir[512];
    int found;

    ck_assert_ptr_nonnull(mkdtemp(cm_test_path(dir, sizeof(dir), "cm-kr-")));
    write_pubring(dir, NULL, bad_keyrings[_i].size);
    ck_assert_msg(lookup_in(dir, "alice@example.org", &found) == CM_ERR_KEYRING_DAMAGED,
                  "%s keyring: lookup did not fail", bad_keyrings[_i].what);
    ck_assert_int_eq(found, 0);
    remove_dir(dir);
}
END_TEST

/* The check remembers a key it has seen; once the keyring is damaged that
 * key is gone too, and the lookup fails rather than finding "no key". */
START_TEST(keyring_damaged_after_use_is_an_error)
{
    char dir[512];
    int found;

    ck_assert_ptr_nonnull(mkdtemp(cm_test_path(dir, sizeof(dir), "cm-kr-")));
    write_pubring(dir, "pubring.kbx", 0);
    ck_assert_int_eq(lookup_in(dir, "alice@example.org", &found), CM_OK);
    ck_assert_int_eq(found, 1);
    ck_assert_int_eq(lookup_in(dir, "nobody@example.org", &found), CM_OK);
    ck_assert_int_eq(found, 0);
    write_pubring(dir, NULL, 8192);
    ck_assert_int_eq(lookup_in(dir, "nobody@example.org", &found), CM_ERR_KEYRING_DAMAGED);
    ck_assert_int_eq(found, 0);
    remove_dir(dir);
}
END_TEST

/* A FIFO in place of pubring.kbx (issue 22, item 9): opening it waited for
 * a writer that never came, past EngineTimeout, and every later message
 * with it. Refused at once (4xx); once the file is back, lookups work. */
START_TEST(fifo_keyring_is_refused_at_once)
{
    char dir[512], path[600];
    time_t t0;
    int found;

    ck_assert_ptr_nonnull(mkdtemp(cm_test_path(dir, sizeof(dir), "cm-kr-")));
    snprintf(path, sizeof(path), "%s/pubring.kbx", dir);
    ck_assert_int_eq(mkfifo(path, 0600), 0);
    t0 = time(NULL);
    ck_assert_int_eq(lookup_in(dir, "alice@example.org", &found), CM_ERR_KEYRING);
    ck_assert_int_le(time(NULL) - t0, 5);
    ck_assert_int_eq(unlink(path), 0);
    write_pubring(dir, "pubring.kbx", 0);
    ck_assert_int_eq(lookup_in(dir, "alice@example.org", &found), CM_OK);
    ck_assert_int_eq(found, 1);
    remove_dir(dir);
}
END_TEST

/* A keyring cut short (an in-place copy caught half-way): the keys before
 * the cut still list, so "no key" for the others must not be believed. */
START_TEST(truncated_keyring_is_an_error)
{
    char dir[512], path[600];
    struct stat st;
    int found;

    ck_assert_ptr_nonnull(mkdtemp(cm_test_path(dir, sizeof(dir), "cm-kr-")));
    write_pubring(dir, "pubring.kbx", 0);
    snprintf(path, sizeof(path), "%s/pubring.kbx", dir);
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_int_eq(truncate(path, st.st_size / 2), 0);
    ck_assert_int_eq(lookup_in(dir, "grace@example.org", &found), CM_ERR_KEYRING_DAMAGED);
    ck_assert_int_eq(found, 0);
    remove_dir(dir);
}
END_TEST

/* A well-formed keybox with no key in it: a gateway with nothing to
 * encrypt to answers 4xx rather than pass everything in plaintext. */
START_TEST(keyring_without_keys_is_an_error)
{
    char dir[512], cmd[1200];
    int found;

    ck_assert_ptr_nonnull(mkdtemp(cm_test_path(dir, sizeof(dir), "cm-kr-")));
    snprintf(cmd, sizeof(cmd), "gpg --batch --homedir %s --list-keys >/dev/null 2>&1", dir);
    ck_assert_int_eq(system(cmd), 0);
    ck_assert_int_eq(lookup_in(dir, "alice@example.org", &found), CM_ERR_KEYRING);
    ck_assert_int_eq(found, 0);
    snprintf(cmd, sizeof(cmd), "GNUPGHOME=%s gpgconf --kill all", dir);
    ck_assert_int_eq(system(cmd), 0);
    remove_dir(dir);
}
END_TEST

/* A key whose user ID spells its IDN domain in upper case: the index holds
 * it in the form lookups ask in (cm_idn_fold, the A-label, Unicode case
 * folded), so cm_engcall finds it for mail to the domain in any form; the
 * sender check takes the domain in any form too. */
START_TEST(idn_user_id_in_upper_case)
{
    cm_config *cfg = test_config("pass");
    cm_engine_session *s = NULL;
    const cm_key *key = NULL;
    char dir[512], cmd[1200], err[256], *fpr;
    cm_msgctx mc;
    int yes = 0;

    ck_assert_ptr_nonnull(mkdtemp(cm_test_path(dir, sizeof(dir), "cm-idn-")));
    snprintf(cmd, sizeof(cmd), "GNUPGHOME=%s gpg --batch --quiet --utf8-strings --passphrase '' "
             "--quick-gen-key 'Up <up@B\xc3\x9c" "CHER.example>' future-default default never "
             "2>/dev/null", dir);
    ck_assert_int_eq(system(cmd), 0);
    ck_assert_int_eq(cm_config_set(cfg, "KeyringDir", dir, err, sizeof(err)), 0);
    ck_assert_int_eq(session(cfg, &mc, &s), CM_OK);
    ck_assert_int_eq(ENGINE.lookup(s, "UP@xn--bcher-kva.example", &key), CM_OK);
    ck_assert_ptr_nonnull(key);
    ck_assert_ptr_nonnull(fpr = strdup(ENGINE.key_fpr(key)));
    ck_assert_int_eq(ENGINE.key_has_addr(s, fpr, "up@b\xc3\xbc" "cher.example", &yes), CM_OK);
    ck_assert_int_eq(yes, 1);
    ck_assert_int_eq(ENGINE.key_has_addr(s, fpr, "up@xn--bcher-kva.example", &yes), CM_OK);
    ck_assert_int_eq(yes, 1);
    ck_assert_int_eq(ENGINE.key_has_addr(s, fpr, "up@bucher.example", &yes), CM_OK);
    ck_assert_int_eq(yes, 0);
    free(fpr);
    ENGINE.session_free(s);
    cm_config_free(cfg);
    snprintf(cmd, sizeof(cmd), "GNUPGHOME=%s gpgconf --kill all; rm -rf '%s'", dir, dir);
    ck_assert_int_eq(system(cmd), 0);
}
END_TEST

/* Encrypt to alice and bob; gpg must decrypt it to the exact entity. */
START_TEST(encrypt_round_trip)
{
    cm_config *cfg = test_config("pass");
    cm_engine_session *s;
    cm_msgctx mc;
    cm_hdrs h;
    cm_spool *body = cm_spool_new(4096, NULL), *out = cm_spool_new(1 << 20, NULL);
    cm_entity ent;
    cm_envelope env;
    char path[512], cmd[1200], got[4096];
    unsigned char outbuf[1 << 16];
    ssize_t n;
    int found, fd;
    FILE *fp;
    size_t len;

    ck_assert_int_eq(session(cfg, &mc, &s), CM_OK);
    ck_assert_int_eq(add(s, "alice@example.org", &found), CM_OK);
    ck_assert_int_eq(add(s, "bob@example.org", &found), CM_OK);
    cm_hdrs_init(&h, 10, 1000);
    cm_hdrs_add(&h, "Content-Type", " text/plain", 11);
    ck_assert_int_eq(cm_spool_write(body, "secret\nline\n", 12), 0);
    ck_assert_int_eq(cm_entity_open(&ent, &h, body), 0);
    ck_assert_int_eq(cm_pgpmime_envelope(&env), CM_OK);
    ck_assert_int_eq(cm_pgpmime_encrypt(&ENGINE, s, &mc, &ent, out, &env), CM_OK);
    cm_entity_close(&ent);
    ck_assert_str_eq(env.trace, "encrypted pgp-mime");
    ck_assert_ptr_nonnull(strstr(env.content_type, "multipart/encrypted"));
    n = cm_spool_read(out, outbuf, sizeof(outbuf) - 1);
    ck_assert_int_gt(n, 0);
    outbuf[n] = 0;
    ck_assert_ptr_null(strstr((char *) outbuf, "secret"));
    /* Hand the armored part to gpg. */
    {
        char *b = strstr((char *) outbuf, "-----BEGIN PGP MESSAGE-----");
        char *e = strstr((char *) outbuf, "-----END PGP MESSAGE-----");

        ck_assert(b != NULL && e != NULL);
        fd = mkstemp(cm_test_path(path, sizeof(path), "cm_engine_"));
        ck_assert_int_eq(write(fd, b, (size_t) (e - b) + 25), (ssize_t) (e - b) + 25);
        close(fd);
    }
    snprintf(cmd, sizeof(cmd), "gpg --batch --quiet --decrypt %s 2>/dev/null", path);
    fp = popen(cmd, "r");
    len = fread(got, 1, sizeof(got) - 1, fp);
    got[len] = 0;
    ck_assert_int_eq(pclose(fp), 0);
    unlink(path);
    ck_assert_str_eq(got, "Content-Type: text/plain\r\n\r\nsecret\r\nline\r\n");
    cm_envelope_free(&env);
    cm_spool_free(body);
    cm_spool_free(out);
    cm_hdrs_free(&h);
    ENGINE.session_free(s);
    cm_config_free(cfg);
}
END_TEST

/* Size of the ciphertext of 256 KiB of one letter, Compress on or off. */
static uint64_t ciphertext_size(const char *compress)
{
    cm_config *cfg = test_config("pass");
    cm_engine_session *s;
    cm_msgctx mc;
    cm_hdrs h;
    cm_spool *body = cm_spool_new(1 << 20, NULL), *out = cm_spool_new(1 << 20, NULL);
    cm_entity ent;
    cm_envelope env;
    char err[256], line[1024];
    uint64_t size;
    int found, i;

    ck_assert_int_eq(cm_config_set(cfg, "Compress", compress, err, sizeof(err)), 0);
    ck_assert_int_eq(session(cfg, &mc, &s), CM_OK);
    ck_assert_int_eq(add(s, "alice@example.org", &found), CM_OK);
    cm_hdrs_init(&h, 10, 1000);
    cm_hdrs_add(&h, "Content-Type", " text/plain", 11);
    memset(line, 'a', sizeof(line) - 2);
    line[sizeof(line) - 2] = '\n';
    line[sizeof(line) - 1] = 0;
    for (i = 0; i < 256; i++)
        ck_assert_int_eq(cm_spool_write(body, line, strlen(line)), 0);
    ck_assert_int_eq(cm_entity_open(&ent, &h, body), 0);
    ck_assert_int_eq(cm_pgpmime_envelope(&env), CM_OK);
    ck_assert_int_eq(cm_pgpmime_encrypt(&ENGINE, s, &mc, &ent, out, &env), CM_OK);
    cm_entity_close(&ent);
    size = cm_spool_size(out);
    cm_envelope_free(&env);
    cm_spool_free(body);
    cm_spool_free(out);
    cm_hdrs_free(&h);
    ENGINE.session_free(s);
    cm_config_free(cfg);
    return size;
}

START_TEST(no_compression_unless_asked)
{
    /* Uncompressed, the armored ciphertext is larger than the 256 KiB it
     * holds; compressed, a run of one letter shrinks to almost nothing. */
    ck_assert_uint_gt(ciphertext_size("no"), 256 * 1024);
    ck_assert_uint_lt(ciphertext_size("yes"), 16 * 1024);
}
END_TEST

#ifdef CM_TEST_RNP
/* librnp questions about a key that fail on demand (the test binary's
 * definition wins for the engine linked into it; the real one is found
 * with RTLD_NEXT). A failed answer must fail the keyring load (4xx),
 * never read as "no": a key not valid or not for encryption would be
 * "no key", and plaintext under MissingKeyAction pass. */
static const char *failing;     /* name of the call that fails, or NULL */

#define WRAP(name, type)                                                          \
    rnp_result_t name(type h, bool *out)                                          \
    {                                                                             \
        rnp_result_t (*real)(type, bool *) =                                      \
            (rnp_result_t (*)(type, bool *)) dlsym(RTLD_NEXT, #name);             \
        return failing != NULL && strcmp(failing, #name) == 0 ? RNP_ERROR_GENERIC \
                                                               : real(h, out);    \
    }

WRAP(rnp_uid_is_valid, rnp_uid_handle_t)
WRAP(rnp_uid_is_revoked, rnp_uid_handle_t)
WRAP(rnp_key_is_valid, rnp_key_handle_t)
WRAP(rnp_key_is_revoked, rnp_key_handle_t)

rnp_result_t rnp_key_allows_usage(rnp_key_handle_t h, const char *usage, bool *out)
{
    rnp_result_t (*real)(rnp_key_handle_t, const char *, bool *) =
        (rnp_result_t (*)(rnp_key_handle_t, const char *, bool *)) dlsym(RTLD_NEXT, __func__);

    return failing != NULL && strcmp(failing, __func__) == 0 ? RNP_ERROR_GENERIC
                                                              : real(h, usage, out);
}

static const char *const failing_calls[] = {
    "rnp_uid_is_valid", "rnp_uid_is_revoked", "rnp_key_is_valid", "rnp_key_is_revoked",
    "rnp_key_allows_usage",
};

START_TEST(key_questions_librnp_cannot_answer_fail_the_load)
{
    cm_config *cfg = test_config("pass");
    cm_engine *e = NULL;
    cm_engine_session *s = NULL;
    cm_msgctx mc = {cfg, test_qid, 0};
    char err[256];

    /* An engine of its own: nothing loaded before the fault. */
    ck_assert_int_eq(ENGINE.create(&e, err, sizeof(err)), CM_OK);
    failing = failing_calls[_i];
    ck_assert_msg(ENGINE.session_new(e, &mc, &s) == CM_ERR_ENGINE, "%s failing", failing);
    ck_assert_ptr_null(s);
    failing = NULL;
    ck_assert_int_eq(ENGINE.session_new(e, &mc, &s), CM_OK);
    ENGINE.session_free(s);
    ENGINE.destroy(e);
    cm_config_free(cfg);
}
END_TEST
#endif

static void add_cases(Suite *s)
{
    CM_ADD_LOOP(s, key_lookup, NELEM(lookups));
    CM_ADD(s, keyring_summary);
    CM_ADD(s, missing_keyring_is_an_error_not_no_key);
    CM_ADD_LOOP(s, unlistable_keyring_is_an_error_not_no_key, NELEM(bad_keyrings));
    CM_ADD(s, keyring_damaged_after_use_is_an_error);
    CM_ADD(s, fifo_keyring_is_refused_at_once);
    CM_ADD(s, truncated_keyring_is_an_error);
    CM_ADD(s, keyring_without_keys_is_an_error);
    CM_ADD(s, idn_user_id_in_upper_case);
    CM_ADD(s, encrypt_round_trip);
    CM_ADD(s, gateway_key_only_skipped_when_asked);
    CM_ADD(s, no_compression_unless_asked);
#ifdef CM_TEST_RNP
    CM_ADD_LOOP(s, key_questions_librnp_cannot_answer_fail_the_load, NELEM(failing_calls));
#endif
}

CM_TEST_MAIN(SUITE, add_cases)
