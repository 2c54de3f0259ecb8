#include "cm_preflight.h"
#include "cm_test.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

/* What a check emitted: every line, "E "/"W "/"I " before each. */
typedef struct seen {
    char text[8192];
    size_t errors, warnings;
} seen;

static void collect(int level, const char *line, void *arg)
{
    seen *s = arg;
    size_t n = strlen(s->text);

    snprintf(s->text + n, sizeof(s->text) - n, "%s %s\n",
             level == LOG_ERR ? "E" : level == LOG_WARNING ? "W" : "I", line);
    s->errors += level == LOG_ERR;
    s->warnings += level == LOG_WARNING;
}

static char dir[256], conf[300];

/* A scratch directory and, in it, a configuration of text (each '@' the
 * scratch directory), loaded. */
static cm_config *load(const char *text)
{
    char err[512];
    FILE *fp;
    cm_config *cfg;

    ck_assert_ptr_nonnull(mkdtemp(cm_test_path(dir, sizeof(dir), "cm_preflight_")));
    snprintf(conf, sizeof(conf), "%s/c.conf", dir);
    ck_assert_ptr_nonnull(fp = fopen(conf, "w"));
    for (; *text; text++)
        if (*text == '@')
            fputs(dir, fp);
        else
            fputc(*text, fp);
    fclose(fp);
    cfg = cm_config_load(conf, err, sizeof(err));
    ck_assert_msg(cfg != NULL, "%s", err);
    return cfg;
}

static void run_dirs(cm_config *cfg, seen *s)
{
    cm_preflight p = {cfg, "milter", collect, s, 0};

    memset(s, 0, sizeof(*s));
    cm_preflight_dirs(&p);
    ck_assert_uint_eq(p.errors, s->errors);
}

START_TEST(socket_paths)
{
    ck_assert_str_eq(cm_preflight_socket_path("local:/run/x.sock"), "/run/x.sock");
    ck_assert_str_eq(cm_preflight_socket_path("unix:/run/y.sock"), "/run/y.sock");
    ck_assert_str_eq(cm_preflight_socket_path("/run/z.sock"), "/run/z.sock");
    ck_assert_ptr_null(cm_preflight_socket_path("inet:8891@localhost"));
}
END_TEST

START_TEST(socket_directory_must_exist)
{
    char why[512], sock[400];
    cm_config *cfg = load("Socket local:@/nodir/s.sock\n");
    cm_preflight p = {cfg, "milter", collect, NULL, 0};
    seen s;

    memset(&s, 0, sizeof(s));
    p.arg = &s;
    ck_assert_int_eq(cm_preflight_socket_dir(cfg->socket, why, sizeof(why)), -1);
    ck_assert_msg(strstr(why, "/nodir: No such file or directory") != NULL, "%s", why);
    cm_preflight_socket(&p);
    ck_assert_uint_eq(p.errors, 1);
    ck_assert_msg(strstr(s.text, ":1: Socket local:") != NULL, "%s", s.text);
    ck_assert_msg(strstr(s.text, "install -d -o milter -g GROUP -m 2750 ") != NULL, "%s", s.text);
    /* There: nothing to say. inet: nothing to check. */
    snprintf(sock, sizeof(sock), "local:%s/s.sock", dir);
    ck_assert_int_eq(cm_preflight_socket_dir(sock, why, sizeof(why)), 0);
    ck_assert_int_eq(cm_preflight_socket_dir("inet:8891@localhost", why, sizeof(why)), 0);
    cm_config_free(cfg);
}
END_TEST

/* A socket takes a setgid directory's group, else the process's. */
START_TEST(socket_group_from_a_setgid_directory)
{
    cm_config *cfg = load("Socket local:@/s.sock\n");   /* makes dir */
    struct stat st;

    ck_assert_int_eq(chmod(dir, 0750), 0);
    ck_assert_int_eq(stat(dir, &st), 0);
    ck_assert_uint_eq(cm_preflight_socket_gid(dir, st.st_gid + 1), st.st_gid + 1);
    ck_assert_int_eq(chmod(dir, 02750), 0);
    ck_assert_int_eq(stat(dir, &st), 0);
    ck_assert_msg(st.st_mode & S_ISGID, "this file system keeps no setgid bit on directories");
    ck_assert_uint_eq(cm_preflight_socket_gid(dir, st.st_gid + 1), st.st_gid);
    ck_assert_uint_eq(cm_preflight_socket_gid("/nonexistent-cm", 7), 7);
    ck_assert_int_eq(chmod(dir, 0700), 0);
    cm_config_free(cfg);
}
END_TEST

START_TEST(good_directories_pass)
{
    cm_config *cfg = load("KeyringDir @\nSpoolDir @\nPidFile @/m.pid\nReplayCache @/replay\n"
                          "GatewayCertificates /x.pem\n");
    seen s;

    run_dirs(cfg, &s);
    ck_assert_msg(s.errors == 0, "%s", s.text);
    cm_config_free(cfg);
}
END_TEST

START_TEST(keyring_dir_missing)
{
    cm_config *cfg = load("SpoolDir @\nKeyringDir @/gnupg\n");
    seen s;

    run_dirs(cfg, &s);
    ck_assert_uint_eq(s.errors, 1);
    ck_assert_msg(strstr(s.text, "c.conf:2: KeyringDir ") != NULL, "%s", s.text);
    ck_assert_msg(strstr(s.text, "/gnupg: No such file or directory; create it: install -d -o "
                         "milter -m 0700 ") != NULL, "%s", s.text);
    cm_config_free(cfg);
}
END_TEST

START_TEST(spool_dir_not_writable)
{
    char file[300];
    cm_config *cfg = load("KeyringDir none\nSpoolDir @/c.conf\n");
    seen s;

    run_dirs(cfg, &s);
    ck_assert_uint_eq(s.errors, 1);
    ck_assert_msg(strstr(s.text, "c.conf:2: SpoolDir ") != NULL, "%s", s.text);
    ck_assert_msg(strstr(s.text, "Not a directory") != NULL, "%s", s.text);
    cm_config_free(cfg);
    /* Missing: made, with the owner. */
    cfg = load("KeyringDir none\nSpoolDir @/spool\n");
    run_dirs(cfg, &s);
    ck_assert_msg(strstr(s.text, "No such file or directory; create it: install -d -o milter "
                         "-m 0700 ") != NULL, "%s", s.text);
    /* Nothing left behind in a good one. */
    snprintf(file, sizeof(file), "%s/spool", dir);
    ck_assert_int_eq(mkdir(file, 0700), 0);
    run_dirs(cfg, &s);
    ck_assert_msg(s.errors == 0, "%s", s.text);
    ck_assert_int_eq(rmdir(file), 0);
    cm_config_free(cfg);
}
END_TEST

START_TEST(replay_cache_only_with_outbound_decryption)
{
    cm_config *cfg = load("KeyringDir none\nSpoolDir @\nReplayCache @/no/replay\n");
    seen s;

    run_dirs(cfg, &s);
    ck_assert_msg(s.errors == 0, "not used, yet checked: %s", s.text);
    cm_config_free(cfg);
    cfg = load("KeyringDir none\nSpoolDir @\nReplayCache @/no/replay\n"
               "GatewayCertificates /x.pem\n");
    run_dirs(cfg, &s);
    ck_assert_uint_eq(s.errors, 1);
    ck_assert_msg(strstr(s.text, "c.conf:3: ReplayCache ") != NULL, "%s", s.text);
    ck_assert_msg(strstr(s.text, "it cannot be created") != NULL, "%s", s.text);
    cm_config_free(cfg);
    /* Its parent there: the daemon makes it. */
    cfg = load("KeyringDir none\nSpoolDir @\nReplayCache @/replay\nGatewayCertificates /x\n");
    run_dirs(cfg, &s);
    ck_assert_msg(s.errors == 0, "%s", s.text);
    cm_config_free(cfg);
}
END_TEST

START_TEST(pid_file_directory)
{
    cm_config *cfg = load("KeyringDir none\nSpoolDir @\n\nPidFile @/run/m.pid\n");
    seen s;

    run_dirs(cfg, &s);
    ck_assert_uint_eq(s.errors, 1);
    ck_assert_msg(strstr(s.text, "c.conf:4: PidFile ") != NULL, "%s", s.text);
    ck_assert_msg(strstr(s.text, "install -d -o milter -m 0755 ") != NULL, "%s", s.text);
    cm_config_free(cfg);
}
END_TEST

/* What a SIGHUP refuses, -n refuses. */
START_TEST(what_a_reload_refuses)
{
    cm_config *cfg = load("KeyringDir none\nSpoolDir @\nCertificateDir @/certs\n");
    seen s;

    run_dirs(cfg, &s);
    ck_assert_uint_eq(s.errors, 1);
    ck_assert_msg(strstr(s.text, "CertificateDir") != NULL
                  && strstr(s.text, "a reload would refuse") != NULL, "%s", s.text);
    cm_config_free(cfg);
}
END_TEST

START_TEST(empty_keyring_warns)
{
    cm_config *cfg = load("KeyringDir @\n");
    cm_preflight p = {cfg, "milter", collect, NULL, 0};
    seen s;

    memset(&s, 0, sizeof(s));
    p.arg = &s;
    cm_preflight_keyring(&p, 0);
    ck_assert_uint_eq(s.errors, 0);
    ck_assert_uint_eq(s.warnings, 1);
    ck_assert_msg(strstr(s.text, "holds no keys") != NULL, "%s", s.text);
    cm_config_free(cfg);
}
END_TEST

static void add(Suite *s)
{
    CM_ADD(s, socket_paths);
    CM_ADD(s, socket_directory_must_exist);
    CM_ADD(s, socket_group_from_a_setgid_directory);
    CM_ADD(s, good_directories_pass);
    CM_ADD(s, keyring_dir_missing);
    CM_ADD(s, spool_dir_not_writable);
    CM_ADD(s, replay_cache_only_with_outbound_decryption);
    CM_ADD(s, pid_file_directory);
    CM_ADD(s, what_a_reload_refuses);
    CM_ADD(s, empty_keyring_warns);
}

CM_TEST_MAIN("cm_preflight", add)
