/* cm_mio: libmilter's writes, kept until it waits for the MTA, and its
 * polls answered from what the socket last said. Each case drives the
 * calls libmilter makes (poll for room, then writev; poll for input, then
 * read) on one end of a socket pair and checks that what libmilter wrote
 * reaches the MTA whole, in order, and before libmilter waits for it. */
#include "cm_mio.h"
#include "cm_test.h"
#include "mio_test.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The changes and the verdict of an end of message stay in the buffer
 * while libmilter writes them, and go out together, in order, when it
 * next waits for the MTA. */
START_TEST(replies_wait_for_the_next_poll_and_go_out_together)
{
    int sv[2];
    unsigned char got[256];
    static const unsigned char want[] = "\0\0\0\x0chSubject\0 x\0" "\0\0\0\x04" "bbod"
                                        "\0\0\0\x01" "c";

    pair(sv);
    ck_assert_int_eq((int) frame(sv[0], SMFIR_ADDHEADER, "Subject\0 x", 11, 1000), 16);
    ck_assert_int_eq((int) frame(sv[0], SMFIR_REPLBODY, "bod", 3, 1000), 8);
    ck_assert_int_eq((int) frame(sv[0], SMFIR_CONTINUE, NULL, 0, 1000), 5);
    ck_assert_uint_eq(cm_mio_pending(sv[0]), 29);
    ck_assert_uint_eq(arrived(sv[1], got, sizeof(got)), 0);
    /* libmilter waits for the next command: everything goes first. */
    ck_assert(!ready(sv[0], 0));
    ck_assert_uint_eq(cm_mio_pending(sv[0]), 0);
    ck_assert_uint_eq(arrived(sv[1], got, sizeof(got)), 29);
    ck_assert_int_eq(memcmp(got, want, 29), 0);
    cm_mio_close(sv[0]);
    close(sv[1]);
}
END_TEST

/* A progress frame keeps the MTA waiting while the milter works: it goes
 * out at once, after what waited before it. */
START_TEST(a_progress_frame_goes_at_once)
{
    int sv[2];
    unsigned char got[64];

    pair(sv);
    ck_assert_int_eq((int) frame(sv[0], SMFIR_CHGHEADER, "abc", 3, 1000), 8);
    ck_assert_uint_eq(arrived(sv[1], got, sizeof(got)), 0);
    ck_assert_int_eq((int) frame(sv[0], SMFIR_PROGRESS, NULL, 0, 1000), 5);
    ck_assert_uint_eq(cm_mio_pending(sv[0]), 0);
    ck_assert_uint_eq(arrived(sv[1], got, sizeof(got)), 13);
    ck_assert_int_eq(got[4], SMFIR_CHGHEADER);
    ck_assert_int_eq(got[12], SMFIR_PROGRESS);
    cm_mio_close(sv[0]);
    close(sv[1]);
}
END_TEST

/* Reading the socket, and closing it, send what waits first; a write
 * larger than what is left of the buffer goes at once, after it. */
START_TEST(a_read_a_close_and_a_large_write_send_what_waits)
{
    int sv[2];
    static unsigned char big[CM_MIO_OUT], got[CM_MIO_OUT + 64];
    char in[4];

    pair(sv);
    memset(big, 'B', sizeof(big));
    ck_assert_int_eq((int) frame(sv[0], SMFIR_CONTINUE, NULL, 0, 1000), 5);
    ck_assert_int_eq((int) frame(sv[0], SMFIR_REPLBODY, big, sizeof(big), 1000),
                     (int) sizeof(big) + 5);
    ck_assert_uint_eq(cm_mio_pending(sv[0]), 0);
    ck_assert_uint_eq(arrived(sv[1], got, sizeof(got)), sizeof(big) + 10);
    ck_assert_int_eq(got[4], SMFIR_CONTINUE);
    ck_assert_int_eq(got[9], SMFIR_REPLBODY);
    ck_assert_int_eq(got[10 + sizeof(big) - 1], 'B');
    /* A read of an empty buffer. */
    ck_assert_int_eq((int) frame(sv[0], SMFIR_ACCEPT, NULL, 0, 1000), 5);
    put(sv[1], "Q", 1);
    ck_assert_int_eq((int) cm_mio_read(sv[0], in, sizeof(in)), 1);
    ck_assert_uint_eq(arrived(sv[1], got, sizeof(got)), 5);
    ck_assert_int_eq(got[4], SMFIR_ACCEPT);
    /* The close. */
    ck_assert_int_eq((int) frame(sv[0], SMFIR_TEMPFAIL, NULL, 0, 1000), 5);
    ck_assert_int_eq(cm_mio_close(sv[0]), 0);
    ck_assert_int_eq((int) recv(sv[1], got, sizeof(got), 0), 5);
    ck_assert_int_eq(got[4], SMFIR_TEMPFAIL);
    ck_assert_int_eq((int) recv(sv[1], got, sizeof(got), 0), 0);
    close(sv[1]);
}
END_TEST

/* The MTA is gone: the write that finds it so ends the session. The next
 * wait for input says so at once, reads fail, and writes too. */
START_TEST(a_failed_write_ends_the_session)
{
    int sv[2];
    char in[4];
    struct pollfd p;

    pair(sv);
    close(sv[1]);
    ck_assert_int_eq((int) frame(sv[0], SMFIR_CONTINUE, NULL, 0, 1000), 5);
    p = (struct pollfd){.fd = sv[0], .events = POLLIN | POLLPRI};
    ck_assert_int_eq(cm_mio_poll(&p, 1, 5000), 1);
    ck_assert(p.revents & POLLERR);
    errno = 0;
    ck_assert_int_eq((int) cm_mio_read(sv[0], in, sizeof(in)), -1);
    ck_assert_int_eq(errno, EPIPE);
    p = (struct pollfd){.fd = sv[0], .events = POLLOUT};
    ck_assert_int_eq(cm_mio_poll(&p, 1, 1000), 1);
    ck_assert_int_eq(p.revents, POLLERR);
    ck_assert_int_eq((int) cm_mio_write(sv[0], "x", 1), -1);
    ck_assert_int_eq(cm_mio_close(sv[0]), 0);
}
END_TEST

/* The socket full to the last byte, behind cm_mio's back: the MTA has
 * stopped reading. */
static void fill(int fd)
{
    static unsigned char junk[CM_MIO_OUT];

    while (send(fd, junk, sizeof(junk), MSG_DONTWAIT) > 0)
        ;
    while (send(fd, junk, 1, MSG_DONTWAIT) > 0)
        ;
}

static double ms_since(const struct timespec *t0)
{
    struct timespec t1;

    ck_assert_int_eq(clock_gettime(CLOCK_MONOTONIC, &t1), 0);
    return (double) (t1.tv_sec - t0->tv_sec) * 1e3 + (double) (t1.tv_nsec - t0->tv_nsec) / 1e6;
}

/* An MTA that stops reading: a write waits for room no longer than
 * libmilter's time-out (the one its poll for room gave), then fails. */
START_TEST(a_write_to_a_full_socket_times_out)
{
    int sv[2];
    static unsigned char big[CM_MIO_OUT + 1];
    struct timespec t0;
    double ms;

    pair(sv);
    fill(sv[0]);
    ck_assert_int_eq(clock_gettime(CLOCK_MONOTONIC, &t0), 0);
    errno = 0;
    ck_assert_int_eq((int) frame(sv[0], SMFIR_REPLBODY, big, sizeof(big), 200), -1);
    ck_assert_int_eq(errno, ETIMEDOUT);
    ms = ms_since(&t0);
    ck_assert(ms >= 150 && ms < 5000);
    cm_mio_close(sv[0]);
    close(sv[1]);
}
END_TEST

/* libmilter closes a session's socket holding its pool's one lock (worker.c:
 * mi_close_session under TASKMGR_LOCK), so a close must not wait for room:
 * it sends what fits and drops the rest (the MTA sees the stream end inside
 * a reply, never a verdict without the changes before it). */
START_TEST(a_close_does_not_wait_for_room)
{
    int sv[2];
    struct timespec t0;
    double ms;

    pair(sv);
    fill(sv[0]);
    ck_assert_int_eq((int) frame(sv[0], SMFIR_ACCEPT, NULL, 0, 3000), 5);
    ck_assert_uint_eq(cm_mio_pending(sv[0]), 5);
    ck_assert_int_eq(clock_gettime(CLOCK_MONOTONIC, &t0), 0);
    ck_assert_int_eq(cm_mio_close(sv[0]), 0);
    ms = ms_since(&t0);
    ck_assert_msg(ms < 1000, "close waited %.0f ms for room", ms);
    close(sv[1]);
}
END_TEST

/* A poll the socket answered stays answered until the socket is read:
 * the bytes are there until then. (Taken behind cm_mio's back here, to
 * show that the second poll does not ask the socket.) */
START_TEST(a_poll_answered_stays_answered_until_read)
{
    int sv[2];
    char got[8];

    pair(sv);
    put(sv[1], "ab", 2);
    ck_assert(ready(sv[0], 1000));
    ck_assert_int_eq((int) recv(sv[0], got, sizeof(got), 0), 2);
    ck_assert(ready(sv[0], 0));
    /* A read asks the socket, and forgets the answer. */
    put(sv[1], "c", 1);
    ck_assert_int_eq((int) cm_mio_read(sv[0], got, sizeof(got)), 1);
    ck_assert(!ready(sv[0], 0));
    cm_mio_close(sv[0]);
    close(sv[1]);
}
END_TEST

/* Frames of every size, some held and some sent at once, with waits for
 * input between them: the MTA gets every byte, in order. */
typedef struct sink {
    int fd;
    unsigned char *buf;
    size_t cap, have;
} sink;

static void *drain(void *arg)
{
    sink *k = arg;
    ssize_t r;

    while (k->have < k->cap && (r = recv(k->fd, k->buf + k->have, k->cap - k->have, 0)) > 0)
        k->have += (size_t) r;
    return NULL;
}

START_TEST(a_long_reply_stream_arrives_whole_and_in_order)
{
    enum { FRAMES = 400 };
    int sv[2];
    static unsigned char want[FRAMES * (70000 + 5)], data[70000];
    size_t wlen = 0, step = 1;
    sink k;
    pthread_t t;

    pair(sv);
    for (size_t i = 0; i < sizeof(data); i++)
        data[i] = (unsigned char) (i * 13 + i / 253);
    for (int f = 0; f < FRAMES; f++) {
        char cmd = f % 17 == 0 ? SMFIR_PROGRESS : SMFIR_REPLBODY;
        size_t n;

        step = step * 7 % 69997 + 1;
        n = cmd == SMFIR_PROGRESS ? 0 : step;
        want[wlen] = (unsigned char) ((n + 1) >> 24);
        want[wlen + 1] = (unsigned char) ((n + 1) >> 16);
        want[wlen + 2] = (unsigned char) ((n + 1) >> 8);
        want[wlen + 3] = (unsigned char) (n + 1);
        want[wlen + 4] = (unsigned char) cmd;
        memcpy(want + wlen + 5, data, n);
        wlen += n + 5;
    }
    k = (sink){.fd = sv[1], .buf = malloc(wlen), .cap = wlen};
    ck_assert_ptr_nonnull(k.buf);
    ck_assert_int_eq(pthread_create(&t, NULL, drain, &k), 0);
    step = 1;
    for (int f = 0; f < FRAMES; f++) {
        char cmd = f % 17 == 0 ? SMFIR_PROGRESS : SMFIR_REPLBODY;
        size_t n;

        step = step * 7 % 69997 + 1;
        n = cmd == SMFIR_PROGRESS ? 0 : step;
        ck_assert_int_eq((int) frame(sv[0], cmd, data, n, 10000), (int) n + 5);
        if (f % 5 == 4)
            ck_assert(!ready(sv[0], 0));
    }
    ck_assert(!ready(sv[0], 0));
    ck_assert_int_eq(pthread_join(t, NULL), 0);
    ck_assert_uint_eq(k.have, wlen);
    ck_assert_int_eq(memcmp(k.buf, want, wlen), 0);
    free(k.buf);
    cm_mio_close(sv[0]);
    close(sv[1]);
}
END_TEST

static void add_cases(Suite *s)
{
    CM_ADD(s, replies_wait_for_the_next_poll_and_go_out_together);
    CM_ADD(s, a_progress_frame_goes_at_once);
    CM_ADD(s, a_read_a_close_and_a_large_write_send_what_waits);
    CM_ADD(s, a_failed_write_ends_the_session);
    CM_ADD(s, a_write_to_a_full_socket_times_out);
    CM_ADD(s, a_close_does_not_wait_for_room);
    CM_ADD(s, a_poll_answered_stays_answered_until_read);
    CM_ADD(s, a_long_reply_stream_arrives_whole_and_in_order);
}

CM_TEST_MAIN("cm_mio_write", add_cases)
