#include "cm_config.h"
#include "cm_test.h"

#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

static char conf_path[64];

static const char *write_conf(const char *text)
{
    int fd;
    FILE *fp;

    cm_test_path(conf_path, sizeof(conf_path), "cm_conf_");
    fd = mkstemp(conf_path);
    ck_assert_int_ge(fd, 0);
    fp = fdopen(fd, "w");
    fputs(text, fp);
    fclose(fp);
    return conf_path;
}

START_TEST(defaults)
{
    cm_config *cfg = cm_config_new();

    ck_assert_ptr_nonnull(cfg);
    ck_assert_int_eq(cfg->missing_key_action, CM_MISSING_SPLIT);
    ck_assert_int_eq(cfg->on_error, CM_ONERROR_TEMPFAIL);
    ck_assert_int_eq(cfg->require_signature, 1);
    ck_assert_uint_eq(cfg->signature_max_age, 3600);
    ck_assert_uint_eq(cfg->memory_buffer_size, 1024 * 1024);
    /* Encryption in-process (issue 23); decryption stays gpg-agent's. */
    ck_assert_int_eq(cfg->openpgp_backend, CM_BACKEND_RNP);
    /* No internal hosts unless named: mail the MTA makes itself (bounces,
     * sendmail(1)) comes from 127.0.0.1 and must count as inbound. */
    ck_assert(!cm_cidr_list_match(&cfg->internal_hosts, "127.0.0.1"));
    ck_assert(!cm_cidr_list_match(&cfg->internal_hosts, "::1"));
    ck_assert(!cm_cidr_list_match(&cfg->internal_hosts, "192.0.2.1"));
    cm_config_free(cfg);
}
END_TEST

START_TEST(keys_case_insensitive_with_comments)
{
    char err[512];
    cm_config *cfg = cm_config_load(write_conf(
        "# cryptmilter\n"
        "keyringdir /srv/gnupg   # keys\n"
        "MISSINGKEYACTION Reject\n"
        "\tMemoryBufferSize 512K\n"
        "SignatureMaxAge 30m\n"
        "LocalDomains example.org, example.net\n"
        "InternalHosts 192.0.2.0/24 2001:db8::/32\n"
        "LogLevel debug\n"
        "OnError reject\n"), err, sizeof(err));

    unlink(conf_path);
    ck_assert_msg(cfg != NULL, "%s", err);
    ck_assert_str_eq(cfg->keyring_dir, "/srv/gnupg");
    ck_assert_int_eq(cfg->missing_key_action, CM_MISSING_REJECT);
    ck_assert_uint_eq(cfg->memory_buffer_size, 512 * 1024);
    ck_assert_uint_eq(cfg->signature_max_age, 1800);
    ck_assert_uint_eq(cfg->local_domains.n, 2);
    ck_assert(cm_cidr_list_match(&cfg->internal_hosts, "2001:db8::9"));
    ck_assert(!cm_cidr_list_match(&cfg->internal_hosts, "127.0.0.1"));
    ck_assert_int_eq(cfg->log_level, LOG_DEBUG);
    ck_assert_int_eq(cfg->on_error, CM_ONERROR_REJECT);
    cm_config_free(cfg);
}
END_TEST

static const struct {
    const char *text, *want;
} bad[] = {
    {"Socket local:/x\nFrobnicate yes\n", ":2: unknown key \"Frobnicate\""},
    {"RequireSignature maybe\n", ":1: RequireSignature: expected yes or no"},
    {"MissingKeyAction drop\n", ":1: MissingKeyAction: \"drop\" is not one of pass, tempfail, reject, split"},
    {"MemoryBufferSize 12Q\n", ":1: MemoryBufferSize: expected a size"},
    {"MemoryBufferSize 1\n", ":1: MemoryBufferSize: 1 is out of range"},
    {"MaxMessageSize 99999999999999999999999\n", ":1: MaxMessageSize: expected a size"},
    {"SignatureMaxAge 0\n", ":1: SignatureMaxAge: 0 is out of range"},
    {"InternalHosts 10.0.0.0/8, bogus\n", ":1: InternalHosts: \"bogus\" is not an address"},
    {"\n\nKeyringDir\n", ":3: key \"KeyringDir\" has no value"},
    {"OnError tempfail\nonerror reject\n", ":2: OnError is set twice"},
    {"LocalDomains file:/nonexistent/domains\n", ":1: cannot open list file /nonexistent/domains"},
    /* Checked once the file is read, still named by its line. */
    {"OnError tempfail\n\nGatewayKeys 0123ABCD\n",
     ":3: GatewayKeys: \"0123ABCD\" is not a fingerprint"},
};

START_TEST(errors_name_file_and_line)
{
    char err[512];
    const char *path = write_conf(bad[_i].text);
    cm_config *cfg = cm_config_load(path, err, sizeof(err));

    unlink(path);
    ck_assert_ptr_null(cfg);
    ck_assert_msg(strncmp(err, path, strlen(path)) == 0, "no file name in: %s", err);
    ck_assert_msg(strstr(err, bad[_i].want) != NULL, "got \"%s\", want \"%s\"", err, bad[_i].want);
}
END_TEST

/* Where each key was set, for the messages about its value. */
START_TEST(where_names_the_line_of_each_key)
{
    char err[512], where[256], want[256];
    const char *path = write_conf("# comment\nUserID nobody\n\n  spooldir /tmp\n");
    cm_config *cfg = cm_config_load(path, err, sizeof(err));

    ck_assert_msg(cfg != NULL, "%s", err);
    snprintf(want, sizeof(want), "%s:2", path);
    ck_assert_str_eq(cm_config_where(cfg, "UserID", where, sizeof(where)), want);
    snprintf(want, sizeof(want), "%s:4", path);
    ck_assert_str_eq(cm_config_where(cfg, "SpoolDir", where, sizeof(where)), want);
    /* Left at its default: the file only. */
    ck_assert_str_eq(cm_config_where(cfg, "KeyringDir", where, sizeof(where)), path);
    unlink(path);
    cm_config_free(cfg);
    /* Made without a file: nothing to name. */
    cfg = cm_config_new();
    ck_assert_str_eq(cm_config_where(cfg, "UserID", where, sizeof(where)), "");
    cm_config_free(cfg);
}
END_TEST

START_TEST(missing_file)
{
    char err[512];

    ck_assert_ptr_null(cm_config_load("/nonexistent/cryptmilter.conf", err, sizeof(err)));
    ck_assert_ptr_nonnull(strstr(err, "/nonexistent/cryptmilter.conf: cannot open"));
}
END_TEST

static void collect(const char *line, void *arg)
{
    strcat(arg, line);
    strcat(arg, "\n");
}

START_TEST(dump_round_trips)
{
    static char text[8192];
    char err[512];
    cm_config *cfg = cm_config_new(), *again;

    ck_assert_int_eq(cm_config_set(cfg, "OversizeAction", "pass", err, sizeof(err)), 0);
    ck_assert_int_eq(cm_config_set(cfg, "InternalHosts", "192.0.2.0/24", err, sizeof(err)), 0);
    text[0] = 0;
    cm_confdump(cfg, collect, text);
    ck_assert_ptr_nonnull(strstr(text, "OversizeAction pass\n"));
    /* Empty values cannot be written back; drop those lines and reload. */
    {
        char *p, *out = text, *line;

        for (line = p = text; *p; p++) {
            if (*p == '\n') {
                size_t n = (size_t) (p - line) + 1;

                if (memchr(line, ' ', n) != NULL && line[n - 2] != ' ') {
                    memmove(out, line, n);
                    out += n;
                }
                line = p + 1;
            }
        }
        *out = 0;
    }
    again = cm_config_load(write_conf(text), err, sizeof(err));
    unlink(conf_path);
    ck_assert_msg(again != NULL, "%s", err);
    ck_assert_int_eq(again->oversize_action, CM_OVERSIZE_PASS);
    ck_assert(cm_cidr_list_match(&again->internal_hosts, "192.0.2.5"));
    ck_assert(!cm_cidr_list_match(&again->internal_hosts, "127.0.0.1"));
    cm_config_free(cfg);
    cm_config_free(again);
}
END_TEST

/* A scratch file holding text; its path in buf. */
static const char *scratch(char *buf, size_t len, const char *name, const char *text)
{
    int fd;
    FILE *fp;

    cm_test_path(buf, len, name);
    ck_assert_int_ge(fd = mkstemp(buf), 0);
    ck_assert_ptr_nonnull(fp = fdopen(fd, "w"));
    fputs(text, fp);
    fclose(fp);
    return buf;
}

/* The files EncryptionPolicy and KeyAliases name are read with the file;
 * a bad line in them fails the load, naming both files' lines. */
START_TEST(maps_read_with_the_configuration)
{
    char pol[512], ali[512], conf[2048], err[2048], want[2048];
    cm_config *cfg;

    scratch(pol, sizeof(pol), "cm_pol_", "@example.org require\npostmaster@ never\n");
    scratch(ali, sizeof(ali), "cm_ali_", "sales@example.org alice@example.org, bob@example.org\n");
    snprintf(conf, sizeof(conf), "KeyringDir none\nEncryptionPolicy file:%s\nKeyAliases file:%s\n",
             pol, ali);
    cfg = cm_config_load(write_conf(conf), err, sizeof(err));
    ck_assert_msg(cfg != NULL, "%s", err);
    ck_assert_uint_eq(cm_addrpol_count(cfg->policy), 2);
    ck_assert_uint_eq(cm_alias_count(cfg->aliases), 1);
    /* A failed reload of the maps leaves those in use. */
    ck_assert_int_eq(cm_config_set(cfg, "KeyAliases", "file:/nonexistent", err, sizeof(err)), 0);
    ck_assert_int_eq(cm_config_load_maps(cfg, err, sizeof(err)), -1);
    ck_assert_str_eq(err, "KeyAliases: /nonexistent: No such file or directory");
    ck_assert_uint_eq(cm_alias_count(cfg->aliases), 1);
    cm_config_free(cfg);

    scratch(pol, sizeof(pol), "cm_pol_", "@example.org require\nexample.org never\n");
    snprintf(conf, sizeof(conf), "KeyringDir none\n\nEncryptionPolicy file:%s\n", pol);
    ck_assert_ptr_null(cfg = cm_config_load(write_conf(conf), err, sizeof(err)));
    snprintf(want, sizeof(want), "%s:3: EncryptionPolicy: %s:2: \"example.org\" is not a pattern "
             "(write @example.org or .example.org)", conf_path, pol);
    ck_assert_str_eq(err, want);
    ck_assert_ptr_null(cfg = cm_config_load(write_conf("EncryptionPolicy /etc/p\n"), err,
                                            sizeof(err)));
    snprintf(want, sizeof(want), "%s:1: EncryptionPolicy: \"/etc/p\" is not file:/absolute/path",
             conf_path);
    ck_assert_str_eq(err, want);
}
END_TEST

static void add(Suite *s)
{
    CM_ADD(s, maps_read_with_the_configuration);
    CM_ADD(s, defaults);
    CM_ADD(s, keys_case_insensitive_with_comments);
    CM_ADD_LOOP(s, errors_name_file_and_line, NELEM(bad));
    CM_ADD(s, where_names_the_line_of_each_key);
    CM_ADD(s, missing_file);
    CM_ADD(s, dump_round_trips);
}

CM_TEST_MAIN("cm_config", add)
