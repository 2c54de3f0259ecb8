#include "cm_config.h"
#include "cm_replayuri.h"
#include "cm_test.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

START_TEST(path_or_uri)
{
    ck_assert_int_eq(cm_replayuri_is_pg("/var/lib/cryptmilter/replay"), 0);
    ck_assert_int_eq(cm_replayuri_is_pg("replay"), 0);
    ck_assert_int_eq(cm_replayuri_is_pg("postgresql:/x"), 0);
    ck_assert_int_eq(cm_replayuri_is_pg("postgresql://db.example.org/cm"), 1);
    ck_assert_int_eq(cm_replayuri_is_pg("postgres://db/cm"), 1);
    ck_assert_int_eq(cm_replayuri_is_pg("PostgreSQL://db/cm"), 1);
}
END_TEST

static const char *const fine[] = {
    "/var/lib/cryptmilter/replay",
    "/srv/user:secret@host",                /* a path, whatever it holds */
    "postgresql://db.example.org/cm",
    "postgresql://cm@db.example.org:5433/cm?sslmode=verify-full",
    "postgresql://cm@[2001:db8::1]:5432/cm",
    "postgresql://db/cm?sslcert=/etc/cm/c.pem&sslkey=/etc/cm/k.pem",
    "postgresql://db/cm?passfile=/etc/cryptmilter/pgpass",
    "postgresql://db/a:b@c",                /* '@' in the path, not the authority */
};

static const char *const refused[] = {
    "postgresql://cm:secret@db.example.org/cm",
    "postgres://cm:@db/cm",
    "postgresql://db/cm?password=secret",
    "postgresql://db/cm?sslmode=require&password=secret",
    "postgresql://db/cm?sslmode=require&PASSWORD=secret",
};

START_TEST(fine_uris)
{
    char err[256] = "";

    ck_assert_msg(cm_replayuri_check(fine[_i], err, sizeof(err)) == 0, "%s: %s", fine[_i], err);
}
END_TEST

START_TEST(password_refused)
{
    char err[256] = "";

    ck_assert_int_eq(cm_replayuri_check(refused[_i], err, sizeof(err)), -1);
    ck_assert_ptr_nonnull(strstr(err, "password"));
    ck_assert_ptr_nonnull(strstr(err, "passfile"));
    ck_assert_ptr_null(strstr(err, "secret"));
}
END_TEST

/* The configuration is refused at load, naming the file and the line. */
START_TEST(load_names_file_and_line)
{
    char path[512], err[1024], want[600];
    cm_config *cfg;
    FILE *fp;
    int fd;

    cm_test_path(path, sizeof(path), "cm_uri_");
    ck_assert_int_ge(fd = mkstemp(path), 0);
    ck_assert_ptr_nonnull(fp = fdopen(fd, "w"));
    fputs("LogLevel info\nReplayCache postgresql://cm:secret@db/cm\n", fp);
    ck_assert_int_eq(fclose(fp), 0);
    cfg = cm_config_load(path, err, sizeof(err));
    ck_assert_ptr_null(cfg);
    snprintf(want, sizeof(want), "%s:2: ReplayCache: the URI holds a password", path);
    ck_assert_msg(strncmp(err, want, strlen(want)) == 0, "%s", err);
    ck_assert_ptr_null(strstr(err, "secret"));
    ck_assert_int_eq(unlink(path), 0);
}
END_TEST

START_TEST(load_takes_node_and_timeout)
{
    char path[512], err[1024];
    cm_config *cfg;
    FILE *fp;
    int fd;

    cm_test_path(path, sizeof(path), "cm_uri_");
    ck_assert_int_ge(fd = mkstemp(path), 0);
    ck_assert_ptr_nonnull(fp = fdopen(fd, "w"));
    fputs("ReplayCache postgresql://cm@db/cm?hostaddr=192.0.2.10\nReplayNode gw1\nReplayTimeout 5s\n", fp);
    ck_assert_int_eq(fclose(fp), 0);
    ck_assert_msg((cfg = cm_config_load(path, err, sizeof(err))) != NULL, "%s", err);
    ck_assert_str_eq(cfg->replay_node, "gw1");
    ck_assert_int_eq(cfg->replay_timeout, 5);
    cm_config_free(cfg);
    ck_assert_int_eq(unlink(path), 0);
}
END_TEST

/* Hosts libpq reaches without a name lookup, or named with hostaddr=. */
static const char *const host_fine[] = {
    "/var/lib/cryptmilter/replay",
    "/srv/db.example.org",                  /* a path, whatever it holds */
    "postgresql://cm@192.0.2.10/cm",
    "postgresql://cm@192.0.2.10:5433/cm",
    "postgresql://cm@[2001:db8::1]:5432/cm",
    "postgresql://[::1]/cm",
    "postgresql://127.0.0.1:5432,127.0.0.1:5433/cm",
    "postgresql://[2001:db8::1]:5432,192.0.2.11/cm",
    "postgresql:///cm",                     /* the default Unix socket */
    "postgresql://cm@/cm",
    "postgresql://%2Fvar%2Frun%2Fpostgresql/cm",
    "postgresql://%2fvar%2frun%2fpostgresql:5433/cm",
    "postgresql:///cm?host=/var/run/postgresql",
    "postgresql:///cm?host=%2Fvar%2Frun%2Fpostgresql",
    "postgresql:///cm?host=@cm-abstract",
    "postgresql:///cm?host=192.0.2.10,2001:db8::2",
    "postgresql://cm@db.example.org/cm?hostaddr=192.0.2.10",
    "postgresql://db1.example.org,db2.example.org/cm?sslmode=verify-full"
    "&hostaddr=192.0.2.10,192.0.2.11",
    "postgresql:///cm?service=cm&hostaddr=192.0.2.10",
    "postgresql://cm@192.0.2.10/cm?sslmode=verify-full&sslrootcert=/etc/cm/ca.pem",
};

static const struct {
    const char *uri, *named;                /* named NULL: service= */
} host_refused[] = {
    {"postgresql://db.example.org/cm", "db.example.org"},
    {"postgresql://cm@db.example.org:5433/cm?sslmode=verify-full", "db.example.org"},
    {"postgres://localhost/cm", "localhost"},
    {"postgresql://127.0.0.1:5432,db2.example.org:5432/cm", "db2.example.org"},
    {"postgresql://[2001:db8::1]:5432,db2/cm", "db2"},
    {"postgresql:///cm?host=db.example.org", "db.example.org"},
    {"postgresql://192.0.2.10/cm?host=db.example.org", "db.example.org"},
    {"postgresql:///cm?host=/run/postgresql,db3", "db3"},
    {"postgresql://db.example.org/cm?hostaddr=", "db.example.org"},     /* empty: no address */
    {"postgresql://192.0.2.1.5/cm", "192.0.2.1.5"},
    {"postgresql://[db.example.org]/cm", "db.example.org"},
    {"postgresql://%64b/cm", "db"},                                      /* decoded for the message */
    {"postgresql:///cm?service=cm", NULL},
};

START_TEST(host_fine_uris)
{
    char err[512] = "";

    ck_assert_msg(cm_replayuri_check_host(host_fine[_i], err, sizeof(err)) == 0, "%s: %s",
                  host_fine[_i], err);
}
END_TEST

START_TEST(host_name_refused)
{
    char err[512] = "", want[128];

    ck_assert_msg(cm_replayuri_check_host(host_refused[_i].uri, err, sizeof(err)) == -1, "%s",
                  host_refused[_i].uri);
    ck_assert_ptr_nonnull(strstr(err, "hostaddr="));
    if (host_refused[_i].named != NULL) {
        snprintf(want, sizeof(want), "host %s is a name", host_refused[_i].named);
        ck_assert_msg(strstr(err, want) != NULL, "%s: %s", host_refused[_i].uri, err);
    } else {
        ck_assert_ptr_nonnull(strstr(err, "service="));
    }
}
END_TEST

/* At load: file:line, the key, the fix. */
START_TEST(load_refuses_host_name)
{
    char path[512], err[1024], want[600];
    cm_config *cfg;
    FILE *fp;
    int fd;

    cm_test_path(path, sizeof(path), "cm_uri_");
    ck_assert_int_ge(fd = mkstemp(path), 0);
    ck_assert_ptr_nonnull(fp = fdopen(fd, "w"));
    fputs("LogLevel info\nReplayNode gw1\nReplayCache postgresql://cm@db.example.org/cm\n", fp);
    ck_assert_int_eq(fclose(fp), 0);
    cfg = cm_config_load(path, err, sizeof(err));
    ck_assert_ptr_null(cfg);
    snprintf(want, sizeof(want), "%s:3: ReplayCache: host db.example.org is a name", path);
    ck_assert_msg(strncmp(err, want, strlen(want)) == 0, "%s", err);
    ck_assert_ptr_nonnull(strstr(err, "hostaddr="));
    ck_assert_int_eq(unlink(path), 0);
}
END_TEST

static void add(Suite *s)
{
    CM_ADD(s, path_or_uri);
    CM_ADD_LOOP(s, fine_uris, NELEM(fine));
    CM_ADD_LOOP(s, password_refused, NELEM(refused));
    CM_ADD(s, load_names_file_and_line);
    CM_ADD(s, load_takes_node_and_timeout);
    CM_ADD_LOOP(s, host_fine_uris, NELEM(host_fine));
    CM_ADD_LOOP(s, host_name_refused, NELEM(host_refused));
    CM_ADD(s, load_refuses_host_name);
}

CM_TEST_MAIN("cm_replayuri", add)
