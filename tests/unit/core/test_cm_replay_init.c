/* The epoch guard (cm_replay_init) on LMDB, and a PostgreSQL store that
 * cannot be reached: deferred in time, never a pass. */
#include "cm_testreplay.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <time.h>

/* A directory the daemon creates takes any signature the gate lets by. */
START_TEST(fresh_directory_needs_no_init)
{
    char dir[512];
    cm_replay_id old = make_id("AAAA", NOW - 3000, 1);

    cache_dir(dir, sizeof(dir));
    ck_assert_int_eq(cm_replay_record(rp(), dir, MAP, &old, NOW - 3000, NOW, 3600, "t"), CM_OK);
    rp_close();
}
END_TEST

START_TEST(init_refuses_what_came_before)
{
    char dir[512], err[256] = "";
    cm_replay_id before = make_id("AAAA", NOW - 1, 1), at = make_id("AAAA", NOW, 2);
    cm_replay_id after = make_id("AAAA", NOW + 5, 3);

    cache_dir(dir, sizeof(dir));
    ck_assert_msg(cm_replay_init(rp(), dir, MAP, NOW, err, sizeof(err)) == 0, "%s", err);
    ck_assert_int_eq(cm_replay_record(rp(), dir, MAP, &before, NOW - 1, NOW + 10, 3600, "t"),
                     CM_GATE_REPLAY);
    ck_assert_int_eq(cm_replay_record(rp(), dir, MAP, &at, NOW, NOW + 10, 3600, "t"), CM_OK);
    /* An earlier stamp never lowers it: run twice, or by an older clock. */
    ck_assert_int_eq(cm_replay_init(rp(), dir, MAP, NOW - 100, err, sizeof(err)), 0);
    ck_assert_int_eq(cm_replay_record(rp(), dir, MAP, &before, NOW - 1, NOW + 10, 3600, "t"),
                     CM_GATE_REPLAY);
    ck_assert_int_eq(cm_replay_record(rp(), dir, MAP, &after, NOW + 5, NOW + 10, 3600, "t"),
                     CM_OK);
    /* Stamped again later: what was recorded stays refused, newer passes. */
    ck_assert_int_eq(cm_replay_init(rp(), dir, MAP, NOW + 6, err, sizeof(err)), 0);
    ck_assert_int_eq(cm_replay_record(rp(), dir, MAP, &after, NOW + 5, NOW + 10, 3600, "t"),
                     CM_GATE_REPLAY);
    rp_close();
}
END_TEST

/* The stamp is on disk: another process (a daemon started later) sees it. */
START_TEST(init_survives_reopen)
{
    char dir[512], err[256] = "";
    cm_replay_id before = make_id("BBBB", NOW - 1, 1);

    cache_dir(dir, sizeof(dir));
    ck_assert_int_eq(cm_replay_init(rp(), dir, MAP, NOW, err, sizeof(err)), 0);
    rp_close();
    ck_assert_int_eq(cm_replay_record(rp(), dir, MAP, &before, NOW - 1, NOW, 3600, "t"),
                     CM_GATE_REPLAY);
    ck_assert_int_eq(cm_replay_count(rp(), dir, MAP), 0);
    rp_close();
}
END_TEST

/* A loopback port nobody listens on. */
static int closed_port(void)
{
    struct sockaddr_in a;
    socklen_t len = sizeof(a);
    int fd = socket(AF_INET, SOCK_STREAM, 0), port;

    ck_assert_int_ge(fd, 0);
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert_int_eq(bind(fd, (struct sockaddr *) &a, sizeof(a)), 0);
    ck_assert_int_eq(getsockname(fd, (struct sockaddr *) &a, &len), 0);
    port = ntohs(a.sin_port);
    close(fd);
    return port;
}

START_TEST(server_down_defers)
{
    char uri[128], err[256] = "", warn[256];
    cm_replay_id id = make_id("CCCC", NOW, 1);
    struct timespec t0, t1;

    snprintf(uri, sizeof(uri), "postgresql://cm@127.0.0.1:%d/cm", closed_port());
    cm_replay_configure(rp(), "a", 1);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    ck_assert_int_eq(cm_replay_record(rp(), uri, MAP, &id, NOW, NOW, 3600, "t"), CM_ERR_REPLAY);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    ck_assert_int_lt(t1.tv_sec - t0.tv_sec, 2);
    ck_assert_int_eq(cm_replay_count(rp(), uri, MAP), -1);
    ck_assert_int_eq(cm_replay_init(rp(), uri, MAP, NOW, err, sizeof(err)), -1);
    ck_assert_ptr_nonnull(strstr(err, "connect"));
    /* -n: a server down for now is a loud warning, not a mistake in the file. */
    ck_assert_int_eq(cm_replay_check(rp(), uri, MAP, err, sizeof(err), warn, sizeof(warn)), 0);
    ck_assert_ptr_nonnull(strstr(warn, "deferred"));
    rp_close();
}
END_TEST

/* A server that accepts and never answers: the deadline holds. */
START_TEST(silent_server_times_out)
{
    struct sockaddr_in a;
    socklen_t len = sizeof(a);
    char uri[128];
    cm_replay_id id = make_id("DDDD", NOW, 1);
    struct timespec t0, t1;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    double took;

    ck_assert_int_ge(fd, 0);
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert_int_eq(bind(fd, (struct sockaddr *) &a, sizeof(a)), 0);
    ck_assert_int_eq(listen(fd, 4), 0);
    ck_assert_int_eq(getsockname(fd, (struct sockaddr *) &a, &len), 0);
    snprintf(uri, sizeof(uri), "postgresql://cm@127.0.0.1:%d/cm?sslmode=disable",
             ntohs(a.sin_port));
    cm_replay_configure(rp(), "a", 1);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    ck_assert_int_eq(cm_replay_record(rp(), uri, MAP, &id, NOW, NOW, 3600, "t"), CM_ERR_REPLAY);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    took = (double) (t1.tv_sec - t0.tv_sec) + (double) (t1.tv_nsec - t0.tv_nsec) / 1e9;
    ck_assert_msg(took >= 0.9 && took < 1.5, "took %.2f s for a 1 s ReplayTimeout", took);
    close(fd);
    rp_close();
}
END_TEST

static void add(Suite *s)
{
    CM_ADD(s, fresh_directory_needs_no_init);
    CM_ADD(s, init_refuses_what_came_before);
    CM_ADD(s, init_survives_reopen);
    CM_ADD(s, server_down_defers);
    CM_ADD(s, silent_server_times_out);
}

CM_TEST_MAIN("cm_replay_init", add)
