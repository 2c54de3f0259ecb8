/* cm_mio: libmilter's socket reads, read ahead. Each case drives the
 * calls libmilter makes (poll, then read) on one end of a socket pair and
 * checks that the bytes arrive in order, once, and that a poll says
 * "ready" exactly when there is something to read. The writes are
 * test_cm_mio_write.c's. */
#include "cm_mio.h"
#include "cm_test.h"
#include "mio_test.h"

#include <errno.h>
#include <stdlib.h>
#include <poll.h>
#include <pthread.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

/* The build wraps malloc for this test (-Wl,--wrap=malloc): set, the
 * next allocation fails, as when memory runs out. */
void *__real_malloc(size_t n);
void *__wrap_malloc(size_t n);
static int fail_malloc;

void *__wrap_malloc(size_t n)
{
    if (fail_malloc) {
        fail_malloc = 0;
        errno = ENOMEM;
        return NULL;
    }
    return __real_malloc(n);
}

/* Three commands sent back to back arrive in one read of the socket and
 * are handed over in the pieces asked for. */
START_TEST(commands_sent_together_are_read_once)
{
    int sv[2];
    char got[16];
    struct pollfd raw;

    pair(sv);
    put(sv[1], "abcdefghijkl", 12);
    ck_assert(ready(sv[0], 1000));
    ck_assert_int_eq((int) cm_mio_read(sv[0], got, 5), 5);
    ck_assert_int_eq(memcmp(got, "abcde", 5), 0);
    /* The socket itself is empty now: the rest is in the buffer. */
    raw = (struct pollfd){.fd = sv[0], .events = POLLIN};
    ck_assert_int_eq(poll(&raw, 1, 0), 0);
    ck_assert_uint_eq(cm_mio_buffered(sv[0]), 7);
    /* ... and a poll still says it is ready, without waiting. */
    ck_assert(ready(sv[0], 0));
    ck_assert_int_eq((int) cm_mio_read(sv[0], got, 4), 4);
    ck_assert_int_eq(memcmp(got, "fghi", 4), 0);
    /* A read asks for more than is left: it gets what is left. */
    ck_assert_int_eq((int) cm_mio_read(sv[0], got, 10), 3);
    ck_assert_int_eq(memcmp(got, "jkl", 3), 0);
    ck_assert_uint_eq(cm_mio_buffered(sv[0]), 0);
    ck_assert(!ready(sv[0], 0));
    ck_assert_int_eq(cm_mio_close(sv[0]), 0);
    close(sv[1]);
}
END_TEST

/* Bytes come out in the order they were sent, across many writes and
 * reads of every size, with reads as large as the buffer taken straight
 * from the socket. */
START_TEST(a_long_stream_arrives_whole_and_in_order)
{
    enum { TOTAL = 3 * 1024 * 1024 };
    int sv[2];
    static unsigned char want[TOTAL], got[TOTAL];
    size_t sent = 0, have = 0, step = 1;

    pair(sv);
    for (size_t i = 0; i < TOTAL; i++)
        want[i] = (unsigned char) (i * 7 + i / 251);
    while (have < TOTAL) {
        /* Keep up to 64 KiB in flight, in uneven pieces. */
        while (sent < TOTAL && sent - have < 64 * 1024) {
            size_t n = (sent % 977) + 1;

            n = n > TOTAL - sent ? TOTAL - sent : n;
            put(sv[1], want + sent, n);
            sent += n;
        }
        ck_assert(ready(sv[0], 1000));
        step = step * 5 % 70001 + 1;    /* 1 byte to 70 KiB, above CM_MIO_BUF too */
        {
            ssize_t r = cm_mio_read(sv[0], got + have, step < TOTAL - have ? step : TOTAL - have);

            ck_assert_int_gt((int) r, 0);
            have += (size_t) r;
        }
    }
    ck_assert_int_eq(memcmp(got, want, TOTAL), 0);
    ck_assert_uint_eq(cm_mio_buffered(sv[0]), 0);
    cm_mio_close(sv[0]);
    close(sv[1]);
}
END_TEST

/* The MTA's last bytes and then its close: the bytes first, then end of
 * file, as read() itself would give them. */
START_TEST(end_of_file_comes_after_the_buffered_bytes)
{
    int sv[2];
    char got[8];
    struct pollfd p;

    pair(sv);
    put(sv[1], "QUIT", 4);
    close(sv[1]);
    ck_assert_int_eq((int) cm_mio_read(sv[0], got, 1), 1);
    ck_assert(ready(sv[0], 0));
    ck_assert_int_eq((int) cm_mio_read(sv[0], got, 8), 3);
    ck_assert_int_eq(memcmp(got, "UIT", 3), 0);
    /* Now the socket answers: its end. */
    p = (struct pollfd){.fd = sv[0], .events = POLLIN | POLLPRI};
    ck_assert_int_eq(cm_mio_poll(&p, 1, 1000), 1);
    ck_assert(p.revents & (POLLIN | POLLHUP));
    ck_assert_int_eq((int) cm_mio_read(sv[0], got, 8), 0);
    cm_mio_close(sv[0]);
}
END_TEST

/* An old socket with 7 bytes in its buffer, closed through cm_mio_close
 * or (closed_behind) behind its back, then a new pair on the same number:
 * the new pair in sv2, not yet adopted. */
static void reused_number(int closed_behind, int sv2[2])
{
    int sv[2];
    char got[1];

    pair(sv);
    put(sv[1], "oldbytes", 8);
    ck_assert_int_eq((int) cm_mio_read(sv[0], got, 1), 1);
    ck_assert_uint_eq(cm_mio_buffered(sv[0]), 7);
    if (closed_behind) {
        close(sv[0]);           /* not cm_mio_close: the buffer stays */
    } else {
        ck_assert_int_eq(cm_mio_close(sv[0]), 0);
        ck_assert_uint_eq(cm_mio_buffered(sv[0]), 0);
    }
    close(sv[1]);
    /* The kernel hands out the lowest free number: the one just closed. */
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv2), 0);
    ck_assert_int_eq(sv2[0], sv[0]);
}

/* The new socket's own bytes, and nothing of the old one's. */
static void reads_only_its_own(int sv2[2])
{
    char got[16];

    put(sv2[1], "new", 3);
    ck_assert(ready(sv2[0], 1000));
    ck_assert_int_eq((int) cm_mio_read(sv2[0], got, sizeof(got)), 3);
    ck_assert_int_eq(memcmp(got, "new", 3), 0);
    ck_assert_uint_eq(cm_mio_buffered(sv2[0]), 0);
    cm_mio_close(sv2[0]);
    close(sv2[1]);
}

/* Closing drops the buffer: the same number, adopted again for a new
 * socket, never hands over the old socket's bytes. */
START_TEST(close_drops_what_was_buffered)
{
    int sv2[2];

    reused_number(0, sv2);
    ck_assert_int_eq(cm_mio_adopt(sv2[0]), 0);
    reads_only_its_own(sv2);
}
END_TEST

/* A descriptor closed behind cm_mio's back leaves its buffer; when the
 * number comes back and no new buffer can be had, the socket is read
 * unbuffered, and never gets the old socket's bytes. */
START_TEST(a_failed_adopt_drops_a_stale_buffer)
{
    int sv2[2];

    reused_number(1, sv2);
    fail_malloc = 1;
    ck_assert_int_eq(cm_mio_adopt(sv2[0]), -1);
    fail_malloc = 0;
    reads_only_its_own(sv2);
}
END_TEST

/* A descriptor nobody adopted (libmilter's own pipe, the listening
 * socket) is read and polled by libc alone: nothing is kept back. */
START_TEST(other_descriptors_pass_straight_through)
{
    int p[2];
    char got[8];

    ck_assert_int_eq(pipe(p), 0);
    put(p[1], "abcdef", 6);
    ck_assert(ready(p[0], 0));
    ck_assert_int_eq((int) cm_mio_read(p[0], got, 2), 2);
    ck_assert_uint_eq(cm_mio_buffered(p[0]), 0);
    /* The rest is still in the pipe, for whoever reads it next. */
    ck_assert_int_eq((int) read(p[0], got, 8), 4);
    ck_assert_int_eq(memcmp(got, "cdef", 4), 0);
    ck_assert(!ready(p[0], 0));
    ck_assert_int_eq(cm_mio_close(p[0]), 0);
    close(p[1]);
    /* A number outside any table, and a closed one, fail as libc does. */
    errno = 0;
    ck_assert_int_eq((int) cm_mio_read(-1, got, 1), -1);
    ck_assert_int_eq(errno, EBADF);
}
END_TEST

/* libmilter's pool controller polls every waiting session at once. A
 * session with bytes in its buffer is ready then, and its neighbours'
 * states are the sockets' own. */
START_TEST(a_poll_of_many_sees_buffered_sessions)
{
    int a[2], b[2], c[2];
    char got[4];
    struct pollfd p[3];

    pair(a);
    pair(b);
    pair(c);
    put(a[1], "xyz", 3);
    ck_assert_int_eq((int) cm_mio_read(a[0], got, 1), 1);     /* "yz" buffered */
    put(c[1], "c", 1);                                        /* in c's socket */
    p[0] = (struct pollfd){.fd = a[0], .events = POLLIN | POLLPRI};
    p[1] = (struct pollfd){.fd = b[0], .events = POLLIN | POLLPRI};
    p[2] = (struct pollfd){.fd = c[0], .events = POLLIN | POLLPRI};
    ck_assert_int_eq(cm_mio_poll(p, 3, 5000), 2);
    ck_assert(p[0].revents & POLLIN);
    ck_assert_int_eq(p[1].revents, 0);
    ck_assert(p[2].revents & POLLIN);
    /* With nothing buffered and nothing sent, it waits its time out. */
    ck_assert_int_eq((int) cm_mio_read(a[0], got, 4), 2);
    ck_assert_int_eq((int) cm_mio_read(c[0], got, 4), 1);
    ck_assert_int_eq(cm_mio_poll(p, 3, 50), 0);
    cm_mio_close(a[0]);
    cm_mio_close(b[0]);
    cm_mio_close(c[0]);
    close(a[1]);
    close(b[1]);
    close(c[1]);
}
END_TEST

/* Sessions accepted through cm_mio_accept are adopted; a failed accept
 * keeps its errno. */
START_TEST(accept_adopts_the_session)
{
    char dir[] = "/tmp/cm_mio_XXXXXX";
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    int l, c, s;
    char got[4];

    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/s", dir);
    ck_assert_int_ge(l = socket(AF_UNIX, SOCK_STREAM, 0), 0);
    ck_assert_int_eq(bind(l, (struct sockaddr *) &sa, sizeof(sa)), 0);
    ck_assert_int_eq(listen(l, 1), 0);
    ck_assert_int_ge(c = socket(AF_UNIX, SOCK_STREAM, 0), 0);
    ck_assert_int_eq(connect(c, (struct sockaddr *) &sa, sizeof(sa)), 0);
    ck_assert_int_ge(s = cm_mio_accept(l, NULL, NULL), 0);
    put(c, "hello", 5);
    ck_assert_int_eq((int) cm_mio_read(s, got, 2), 2);
    ck_assert_uint_eq(cm_mio_buffered(s), 3);
    cm_mio_close(s);
    close(c);
    cm_mio_close(l);
    errno = 0;
    ck_assert_int_eq(cm_mio_accept(l, NULL, NULL), -1);
    ck_assert_int_eq(errno, EBADF);
    unlink(sa.sun_path);
    rmdir(dir);
}
END_TEST

/* Sessions adopted and closed in many threads at once, as libmilter's
 * listener and workers do: every stream still arrives whole. */
static void *session(void *arg)
{
    (void) arg;
    for (int round = 0; round < 200; round++) {
        int sv[2];
        char want[600], got[600];
        size_t have = 0;

        if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0 || cm_mio_adopt(sv[0]) != 0)
            return (void *) 1;
        for (size_t i = 0; i < sizeof(want); i++)
            want[i] = (char) (i + round + sv[0]);
        if (write(sv[1], want, sizeof(want)) != (ssize_t) sizeof(want))
            return (void *) 1;
        while (have < sizeof(want)) {
            ssize_t r = cm_mio_read(sv[0], got + have, 7);

            if (r <= 0)
                return (void *) 1;
            have += (size_t) r;
        }
        if (memcmp(got, want, sizeof(want)) != 0)
            return (void *) 1;
        cm_mio_close(sv[0]);
        close(sv[1]);
    }
    return NULL;
}

START_TEST(threads_adopt_and_close_at_once)
{
    pthread_t t[8];
    void *r;

    for (int i = 0; i < 8; i++)
        ck_assert_int_eq(pthread_create(&t[i], NULL, session, NULL), 0);
    for (int i = 0; i < 8; i++) {
        ck_assert_int_eq(pthread_join(t[i], &r), 0);
        ck_assert_ptr_null(r);
    }
}
END_TEST


static double ms_since(const struct timespec *t0)
{
    struct timespec t;

    ck_assert_int_eq(clock_gettime(CLOCK_MONOTONIC, &t), 0);
    return (double) (t.tv_sec - t0->tv_sec) * 1e3 + (double) (t.tv_nsec - t0->tv_nsec) / 1e6;
}

/* How long a poll of fds with time-out timeout waits when nothing comes;
 * the shortest of three (a poll never returns early, but a busy machine
 * may wake it late). */
static double shortest_empty_poll(struct pollfd *fds, nfds_t n, int timeout)
{
    double best = 1e9;

    for (int i = 0; i < 3; i++) {
        struct timespec t0;
        double ms;

        ck_assert_int_eq(clock_gettime(CLOCK_MONOTONIC, &t0), 0);
        ck_assert_int_eq(cm_mio_poll(fds, n, timeout), 0);
        if ((ms = ms_since(&t0)) < best)
            best = ms;
    }
    return best;
}

/* libmilter's look for the next command on a session's socket, when
 * nothing comes: how long it waited. */
static double empty_look_ms(int fd)
{
    struct pollfd one = {.fd = fd, .events = POLLIN | POLLPRI};
    struct timespec t0;

    ck_assert_int_eq(clock_gettime(CLOCK_MONOTONIC, &t0), 0);
    ck_assert_int_eq(cm_mio_poll(&one, 1, 1), 0);
    return ms_since(&t0);
}

/* The MTA sends a command now, and libmilter looks, finds and reads it. */
static void command_now(int sv[2])
{
    char c;

    put(sv[1], "x", 1);
    ck_assert(ready(sv[0], 1));
    ck_assert_int_eq((int) cm_mio_read(sv[0], &c, 1), 1);
}

/* libmilter looks for a session's next command for 1 ms before it hands
 * the session back to its pool controller (a pipe write, the
 * controller's polls and a wake-up of another thread). On a session's
 * socket that look waits CM_MIO_LINGER_MS; a wait of libmilter's own
 * length, a poll of many and any other descriptor keep their time-outs. */
START_TEST(the_look_for_the_next_command_lingers)
{
    int sv[2], p[2];
    struct pollfd one = {.fd = -1, .events = POLLIN | POLLPRI}, many[2];

    pair(sv);
    ck_assert(empty_look_ms(sv[0]) >= CM_MIO_LINGER_MS);
    /* What has come is seen at once, as before. */
    command_now(sv);
    ck_assert(!ready(sv[0], 0));

    ck_assert_int_eq(pipe(p), 0);
    one.fd = p[0];
    ck_assert(shortest_empty_poll(&one, 1, 1) < CM_MIO_LINGER_MS);
    many[0] = (struct pollfd){.fd = sv[0], .events = POLLIN | POLLPRI};
    many[1] = (struct pollfd){.fd = p[0], .events = POLLIN | POLLPRI};
    ck_assert(shortest_empty_poll(many, 2, 1) < CM_MIO_LINGER_MS);
    unpair(sv);
    close(p[0]);
    close(p[1]);
}
END_TEST

/* A session whose commands come later than the linger stops lingering:
 * its looks keep libmilter's 1 ms, and its worker goes back to the pool
 * at once. Commands that come quickly again bring the linger back. */
START_TEST(a_slow_session_stops_lingering_and_a_quick_one_starts_again)
{
    int sv[2], lingered = 0;
    struct pollfd one = {.fd = -1, .events = POLLIN | POLLPRI};

    pair(sv);
    one.fd = sv[0];
    ck_assert(empty_look_ms(sv[0]) >= CM_MIO_LINGER_MS);
    command_now(sv);            /* later than the linger */
    ck_assert(shortest_empty_poll(&one, 1, 1) < CM_MIO_LINGER_MS);
    /* Commands right after each look: quick, by the time since it began
     * (a busy machine may make one late: a few tries). */
    for (int i = 0; i < 8 && !lingered; i++) {
        command_now(sv);
        lingered = empty_look_ms(sv[0]) >= CM_MIO_LINGER_MS;
    }
    ck_assert(lingered);
    unpair(sv);
}
END_TEST

static void *hang_up_later(void *arg)
{
    const struct timespec pause = {.tv_sec = 0, .tv_nsec = 60 * 1000000};

    nanosleep(&pause, NULL);
    close(*(int *) arg);
    return NULL;
}

/* Only libmilter's short look lingers: a poll that asks without waiting
 * still does not wait, and one that waits for ever still waits for the
 * MTA (here its hang-up, after three lingers' time). */
START_TEST(polls_without_a_short_time_out_keep_theirs)
{
    int sv[2];
    struct pollfd one = {.fd = -1, .events = POLLIN | POLLPRI};
    pthread_t t;

    pair(sv);
    one.fd = sv[0];
    ck_assert(shortest_empty_poll(&one, 1, 0) < CM_MIO_LINGER_MS);
    ck_assert_int_eq(pthread_create(&t, NULL, hang_up_later, &sv[1]), 0);
    ck_assert_int_eq(cm_mio_poll(&one, 1, -1), 1);
    ck_assert(one.revents & (POLLIN | POLLHUP));
    ck_assert_int_eq(pthread_join(t, NULL), 0);
    cm_mio_close(sv[0]);
}
END_TEST

static void add_cases(Suite *s)
{
    CM_ADD(s, commands_sent_together_are_read_once);
    CM_ADD(s, a_long_stream_arrives_whole_and_in_order);
    CM_ADD(s, end_of_file_comes_after_the_buffered_bytes);
    CM_ADD(s, close_drops_what_was_buffered);
    CM_ADD(s, a_failed_adopt_drops_a_stale_buffer);
    CM_ADD(s, other_descriptors_pass_straight_through);
    CM_ADD(s, a_poll_of_many_sees_buffered_sessions);
    CM_ADD(s, accept_adopts_the_session);
    CM_ADD(s, threads_adopt_and_close_at_once);
    CM_ADD(s, the_look_for_the_next_command_lingers);
    CM_ADD(s, a_slow_session_stops_lingering_and_a_quick_one_starts_again);
    CM_ADD(s, polls_without_a_short_time_out_keep_theirs);
}

CM_TEST_MAIN("cm_mio", add_cases)
