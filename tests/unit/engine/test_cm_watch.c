#include "cm_watch.h"
#include "cm_test.h"

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* As GPGME starts gpg: a child that forks the worker and exits at once.
 * The worker writes its pid to a pipe and sleeps; the pipe ends (EOF)
 * when it dies. Returns the read end; *pid is the worker's. */
static int double_fork(pid_t *pid)
{
    int fd[2], status;
    pid_t p;

    ck_assert(pipe(fd) == 0);
    ck_assert((p = fork()) >= 0);
    if (p == 0) {
        if (fork() == 0) {
            pid_t me = getpid();

            close(fd[0]);
            if (write(fd[1], &me, sizeof(me)) != (ssize_t) sizeof(me))
                _exit(1);
            sleep(30);
            _exit(0);
        }
        _exit(0);
    }
    close(fd[1]);
    ck_assert(waitpid(p, &status, 0) == p);
    ck_assert(read(fd[0], pid, sizeof(*pid)) == (ssize_t) sizeof(*pid));
    return fd[0];
}

/* Has the worker died within ms? */
static int died(int fd, int ms)
{
    struct pollfd p = {fd, POLLIN, 0};
    char c;

    return poll(&p, 1, ms) == 1 && read(fd, &c, 1) == 0;
}

START_TEST(stopped_in_time_kills_nothing)
{
    cm_watch *w;
    pid_t pid;
    int fd;

    ck_assert_int_eq(cm_watch_init(), 0);
    ck_assert_ptr_nonnull(w = cm_watch_start(5, NULL, NULL, "t"));
    fd = double_fork(&pid);
    ck_assert_int_eq(cm_watch_stop(w), 0);
    ck_assert_int_eq(died(fd, 300), 0);
    kill(pid, SIGKILL);
    close(fd);
}
END_TEST

START_TEST(the_watchdog_kills_at_the_deadline)
{
    cm_watch *w;
    pid_t pid;
    int fd;

    ck_assert_int_eq(cm_watch_init(), 0);
    ck_assert_ptr_nonnull(w = cm_watch_start(1, NULL, NULL, "t"));
    fd = double_fork(&pid);
    ck_assert_int_eq(died(fd, 5000), 1);        /* while the caller still waits */
    ck_assert_int_eq(cm_watch_stop(w), 1);
    close(fd);
}
END_TEST

/* The caller's own deadline may fire before the watchdog thread runs
 * (a loaded machine): a watch stopped past its deadline has killed its
 * workers when the stop returns, whoever got there first. Here the
 * watchdog cannot have run: it is stopped in the same instant. */
START_TEST(stopped_past_the_deadline_kills_too)
{
    struct timespec d = {1, 0};
    cm_watch *w;
    pid_t pid;
    int fd;

    ck_assert_int_eq(cm_watch_init(), 0);
    ck_assert_ptr_nonnull(w = cm_watch_start(1, NULL, NULL, "t"));
    fd = double_fork(&pid);
    (void) clock_nanosleep(CLOCK_MONOTONIC, 0, &d, NULL);
    ck_assert_int_eq(cm_watch_stop(w), 1);
    ck_assert_int_eq(died(fd, 2000), 1);
    close(fd);
}
END_TEST

START_TEST(workers_outside_a_watch_are_not_touched)
{
    struct timespec d = {1, 300000000};
    cm_watch *w;
    pid_t pid;
    int fd;

    ck_assert_int_eq(cm_watch_init(), 0);
    fd = double_fork(&pid);
    ck_assert_ptr_nonnull(w = cm_watch_start(1, NULL, NULL, "t"));
    (void) nanosleep(&d, NULL);
    ck_assert_int_eq(cm_watch_stop(w), 1);
    ck_assert_int_eq(died(fd, 300), 0);
    kill(pid, SIGKILL);
    close(fd);
}
END_TEST

static void add(Suite *s)
{
    CM_ADD(s, stopped_in_time_kills_nothing);
    CM_ADD(s, the_watchdog_kills_at_the_deadline);
    CM_ADD(s, stopped_past_the_deadline_kills_too);
    CM_ADD(s, workers_outside_a_watch_are_not_touched);
}

CM_TEST_MAIN("cm_watch", add)
