/* The librnp engine's keyring as files change under it: a change is seen
 * by the next message while a message in flight keeps the keyring it
 * began with; the trust database's "disabled" is read again; a gateway
 * key librnp cannot use (passphrase) is the gateway's failure (4xx); a
 * gateway key is found under gpg-agent's name for it. */
#include "cm_rnp.h"
#include "cm_buf.h"
#include "cm_testbuf.h"
#include "cm_testkeys.h"
#include "cm_test.h"

#include <rnp/rnp.h>
#include <rnp/rnp_err.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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

/* The first line of a file, without its newline. */
static void first_line(const char *path, char *out, size_t len)
{
    FILE *fp;

    ck_assert_ptr_nonnull(fp = fopen(path, "r"));
    ck_assert_ptr_nonnull(fgets(out, (int) len, fp));
    ck_assert_int_eq(fclose(fp), 0);
    out[strcspn(out, "\n")] = 0;
}

/* The colon-listing field of the first "what" line of addr's key in dir. */
static void colon_field(const char *dir, const char *addr, const char *what, int field,
                        char *out, size_t len)
{
    char path[700];

    sh("GNUPGHOME='%s' gpg --with-colons --with-keygrip --list-keys '%s' "
       "| awk -F: '$1==\"%s\"{print $%d; exit}' > '%s/field'", dir, addr, what, field, dir);
    snprintf(path, sizeof(path), "%s/field", dir);
    first_line(path, out, len);
}

/* "secret", encrypted by gpg to addr in dir, decrypted by a session with
 * GatewayKeys gw: the decryption's answer; what came out in *plain. */
static cm_stat gateway_decrypts(const char *dir, const char *gw, const char *addr, cm_buf *plain)
{
    char path[700], line[256];
    cm_buf ct = CM_BUF_INIT;
    cm_reader rd = {buf_read, NULL, &ct};
    cm_writer wr = {buf_write, plain};
    cm_sigs sigs;
    cm_stat st;
    FILE *fp;
    sess a;
    int yes = 0;
    uint64_t id;

    /* The encryption subkey's ID, as the PKESK names it. */
    colon_field(dir, addr, "sub", 5, line, sizeof(line));
    ck_assert_int_eq(sscanf(line, "%16" SCNx64, &id), 1);
    sh("echo secret | GNUPGHOME='%s' gpg --batch --quiet --trust-model always -a -e "
       "-r '%s' > '%s/ct.asc'", dir, addr, dir);
    snprintf(path, sizeof(path), "%s/ct.asc", dir);
    ck_assert_ptr_nonnull(fp = fopen(path, "r"));
    while (fgets(line, sizeof(line), fp) != NULL)
        ck_assert_int_eq(cm_buf_append(&ct, line, strlen(line)), 0);
    fclose(fp);
    ck_assert_int_eq(open_in(&a, dir, gw), CM_OK);
    ck_assert_int_eq(cm_rnp_engine.gateway_match(a.s, &id, 1, &yes), CM_OK);
    ck_assert_int_eq(yes, 1);
    st = cm_rnp_engine.decrypt_verify(a.s, &rd, &wr, &sigs);
    close_sess(&a);
    cm_buf_free(&ct);
    return st;
}

/* A gateway key with a passphrase: librnp cannot use it (gpg-agent
 * would ask for the passphrase): 4xx, with the reason logged. */
START_TEST(passphrase_protected_gateway_key_is_ours)
{
    char dir[512], fpr[128];
    cm_buf plain = CM_BUF_INIT;

    scratch_home(dir, sizeof(dir));
    sh("GNUPGHOME='%s' gpg --batch --quiet --pinentry-mode loopback --passphrase pw "
       "--quick-gen-key 'GW2 <gw2@example.net>' ed25519 cert never%s", dir, "");
    colon_field(dir, "gw2@example.net", "fpr", 10, fpr, sizeof(fpr));
    sh("GNUPGHOME='%s' gpg --batch --quiet --pinentry-mode loopback --passphrase pw "
       "--quick-add-key %s cv25519 encr never", dir, fpr);
    ck_assert_int_eq(gateway_decrypts(dir, fpr, "gw2@example.net", &plain), CM_ERR_GATEWAY_KEY);
    ck_assert_uint_eq(plain.len, 0);
    cm_buf_free(&plain);
    remove_home(dir);
}
END_TEST

/* The whole of a small file into buf (NUL-terminated); its length. */
static size_t slurp(const char *path, char *buf, size_t cap)
{
    FILE *fp;
    size_t n;

    ck_assert_ptr_nonnull(fp = fopen(path, "rb"));
    n = fread(buf, 1, cap - 1, fp);
    ck_assert_int_eq(ferror(fp), 0);
    ck_assert(feof(fp));
    ck_assert_int_eq(fclose(fp), 0);
    buf[n] = 0;
    return n;
}

/* Replace the file's content in place (same inode), as gpg-agent does. */
static void rewrite_in_place(const char *path, const char *data, size_t n)
{
    struct stat before, after;
    FILE *fp;

    ck_assert_int_eq(stat(path, &before), 0);
    ck_assert_ptr_nonnull(fp = fopen(path, "r+b"));
    ck_assert_int_eq(ftruncate(fileno(fp), 0), 0);
    ck_assert_uint_eq(fwrite(data, 1, n, fp), n);
    ck_assert_int_eq(fclose(fp), 0);
    ck_assert_int_eq(stat(path, &after), 0);
    ck_assert(after.st_ino == before.st_ino);
}

/* gpg-agent's keygrip of addr's (last) encryption subkey, and the path
 * of its key file. */
static void agent_key_file(const char *dir, const char *addr, char *grip, size_t glen,
                           char *path, size_t plen)
{
    char field[700];

    sh("GNUPGHOME='%s' gpg --with-colons --with-keygrip --list-keys '%s' "
       "| awk -F: '$1==\"grp\"{g=$10} END{print g}' > '%s/field'", dir, addr, dir);
    snprintf(field, sizeof(field), "%s/field", dir);
    first_line(field, grip, glen);
    ck_assert_uint_eq(strlen(grip), 40);
    snprintf(path, plen, "%s/private-keys-v1.d/%s.key", dir, grip);
}

/* librnp's grip of a cv25519 key leaves out the zero bytes that begin the
 * point's x; gpg-agent names the key file by libgcrypt's, which keeps
 * them. One gateway key in 256 is such a key. librnp makes keys quickly,
 * so one is made here and handed to gpg with gpg --import, which leaves
 * it in OpenPGP's own form ("openpgp-native") until gpg-agent uses it:
 * it must decrypt as GatewayKeys as it is. */
START_TEST(imported_gateway_key_whose_point_begins_with_zero)
{
    char dir[512], path[700], fpr[128], agent_grip[64], file[8192];
    rnp_ffi_t ffi = NULL;
    rnp_key_handle_t key = NULL, sub = NULL;
    rnp_output_t out = NULL;
    char *json = NULL, *rnp_grip = NULL, *p = NULL;
    cm_buf plain = CM_BUF_INIT;
    int tries;

    scratch_home(dir, sizeof(dir));
    for (tries = 0; tries < 20000 && p == NULL; tries++) {
        rnp_buffer_destroy(json);
        json = NULL;
        (void) rnp_key_handle_destroy(sub);
        (void) rnp_key_handle_destroy(key);
        (void) rnp_ffi_destroy(ffi);
        ck_assert_int_eq(rnp_ffi_create(&ffi, "GPG", "GPG"), RNP_SUCCESS);
        ck_assert_int_eq(rnp_generate_key_25519(ffi, "GW3 <gw3@example.net>", NULL, &key),
                         RNP_SUCCESS);
        ck_assert_int_eq(rnp_key_get_subkey_at(key, 0, &sub), RNP_SUCCESS);
        ck_assert_int_eq(rnp_key_to_json(sub, RNP_JSON_PUBLIC_MPIS, &json), RNP_SUCCESS);
        ck_assert_ptr_nonnull(p = strstr(json, "\"point\":\"40"));
        if (strncmp(p + strlen("\"point\":\"40"), "00", 2) != 0)
            p = NULL;
    }
    ck_assert_ptr_nonnull(p);
    ck_assert_int_eq(rnp_key_get_grip(sub, &rnp_grip), RNP_SUCCESS);
    snprintf(path, sizeof(path), "%s/gw3.sec", dir);
    ck_assert_int_eq(rnp_output_to_path(&out, path), RNP_SUCCESS);
    ck_assert_int_eq(rnp_key_export(key, out, RNP_KEY_EXPORT_SECRET | RNP_KEY_EXPORT_SUBKEYS),
                     RNP_SUCCESS);
    ck_assert_int_eq(rnp_output_destroy(out), RNP_SUCCESS);
    sh("GNUPGHOME='%s' gpg --batch --quiet --import '%s'", dir, path);
    colon_field(dir, "gw3@example.net", "fpr", 10, fpr, sizeof(fpr));
    /* The case this is about: the grips differ, and the file is as
     * gpg --import left it. */
    agent_key_file(dir, "gw3@example.net", agent_grip, sizeof(agent_grip), path, sizeof(path));
    ck_assert_str_ne(agent_grip, rnp_grip);
    slurp(path, file, sizeof(file));
    ck_assert_ptr_nonnull(strstr(file, "openpgp-native"));
    ck_assert_int_eq(gateway_decrypts(dir, fpr, "gw3@example.net", &plain), CM_OK);
    ck_assert(plain.len == 7 && memcmp(plain.data, "secret\n", 7) == 0);
    cm_buf_free(&plain);
    rnp_buffer_destroy(rnp_grip);
    rnp_buffer_destroy(json);
    (void) rnp_key_handle_destroy(sub);
    (void) rnp_key_handle_destroy(key);
    (void) rnp_ffi_destroy(ffi);
    remove_home(dir);
}
END_TEST

/* A gateway key without a passphrase made by gpg in dir for addr: its
 * fingerprint, the path of its encryption key's file and that file's
 * content (its length returned). */
static size_t new_gateway_key(const char *dir, const char *addr, char *fpr, size_t flen,
                              char *path, size_t plen, char *file, size_t cap)
{
    char grip[64];

    sh("GNUPGHOME='%s' gpg --batch --quiet --pinentry-mode loopback --passphrase '' "
       "--quick-gen-key 'GW <%s>' future-default default never", dir, addr);
    colon_field(dir, addr, "fpr", 10, fpr, flen);
    agent_key_file(dir, addr, grip, sizeof(grip), path, plen);
    return slurp(path, file, cap);
}

/* gpg-agent rewrites a key file in place, which leaves the directory's
 * time as it was: the ring must see the file's own change, both ways. */
START_TEST(gateway_key_file_rewritten_in_place_is_seen)
{
    static const char broken[] = "Created: 20261202T000000\nKey: (private-key)\n";
    char dir[512], path[700], fpr[128], file[8192];
    cm_buf plain = CM_BUF_INIT;
    size_t n;

    scratch_home(dir, sizeof(dir));
    n = new_gateway_key(dir, "gw4@example.net", fpr, sizeof(fpr), path, sizeof(path), file,
                        sizeof(file));
    ck_assert_int_eq(gateway_decrypts(dir, fpr, "gw4@example.net", &plain), CM_OK);
    cm_buf_free(&plain);
    rewrite_in_place(path, broken, sizeof(broken) - 1);
    ck_assert_int_eq(gateway_decrypts(dir, fpr, "gw4@example.net", &plain), CM_ERR_GATEWAY_KEY);
    ck_assert_uint_eq(plain.len, 0);
    rewrite_in_place(path, file, n);
    ck_assert_int_eq(gateway_decrypts(dir, fpr, "gw4@example.net", &plain), CM_OK);
    ck_assert(plain.len == 7 && memcmp(plain.data, "secret\n", 7) == 0);
    cm_buf_free(&plain);
    remove_home(dir);
}
END_TEST

/* A key file whose secret value is damaged: gpg-agent would refuse it by
 * its checksum; handed to librnp it would be a wrong key, and every
 * message to it refused for good as undecryptable (5xx). It must be the
 * gateway's own failure (4xx), with nothing decrypted. */
START_TEST(damaged_gateway_key_is_ours_not_the_senders)
{
    char dir[512], path[700], fpr[128], file[8192], *d, *end;
    cm_buf plain = CM_BUF_INIT;
    size_t n;

    scratch_home(dir, sizeof(dir));
    n = new_gateway_key(dir, "gw5@example.net", fpr, sizeof(fpr), path, sizeof(path), file,
                        sizeof(file));
    ck_assert_ptr_nonnull(d = strstr(file, "(d #"));
    ck_assert_ptr_nonnull(end = strchr(d + 4, '#'));
    end[-1] = end[-1] == '0' ? '1' : '0';       /* the last hex digit of d */
    rewrite_in_place(path, file, n);
    ck_assert_int_eq(gateway_decrypts(dir, fpr, "gw5@example.net", &plain), CM_ERR_GATEWAY_KEY);
    ck_assert_uint_eq(plain.len, 0);
    cm_buf_free(&plain);
    remove_home(dir);
}
END_TEST

/* The fixture's users' secret keys (ECC: alice; RSA: bob), exported and
 * imported with gpg --import into a keyring of their own, as an
 * administrator brings in a gateway key made elsewhere. */
START_TEST(imported_gateway_keys_decrypt_ecc_and_rsa)
{
    static const char *const users[] = {"alice", "bob"};
    const char *kr = getenv("CM_TEST_KEYRING");
    char dir[512], fpr[128], addr[64];
    cm_buf plain = CM_BUF_INIT;
    size_t i;

    ck_assert_ptr_nonnull(kr);
    for (i = 0; i < sizeof(users) / sizeof(users[0]); i++) {
        ck_assert_ptr_nonnull(mkdtemp(cm_test_path(dir, sizeof(dir), "cm-rnp-")));
        sh("chmod 700 '%s'", dir);
        sh("GNUPGHOME='%s' gpg --batch --quiet --import '%s/export/%s.sec.asc'", dir, kr,
           users[i]);
        snprintf(addr, sizeof(addr), "%s@example.org", users[i]);
        colon_field(dir, addr, "fpr", 10, fpr, sizeof(fpr));
        ck_assert_int_eq(gateway_decrypts(dir, fpr, addr, &plain), CM_OK);
        ck_assert(plain.len == 7 && memcmp(plain.data, "secret\n", 7) == 0);
        cm_buf_free(&plain);
        remove_home(dir);
    }
}
END_TEST

static void add_cases(Suite *s)
{
    CM_ADD(s, new_key_seen_by_next_message_not_by_one_in_flight);
    CM_ADD(s, disabling_a_key_is_seen);
    CM_ADD(s, damaged_trustdb_is_an_error);
    CM_ADD(s, passphrase_protected_gateway_key_is_ours);
    CM_ADD(s, imported_gateway_key_whose_point_begins_with_zero);
    CM_ADD(s, gateway_key_file_rewritten_in_place_is_seen);
    CM_ADD(s, imported_gateway_keys_decrypt_ecc_and_rsa);
    CM_ADD(s, damaged_gateway_key_is_ours_not_the_senders);
}

CM_TEST_MAIN("cm_rnp_ring", add_cases)
