/* cm_mio - libmilter's socket reads read ahead, its replies written
 * together.
 *
 * libmilter reads each command of the milter protocol with two poll()s
 * and two read()s (its length, then the rest), and polls once more
 * between commands to see whether the next is already there. The MTA
 * sends every header field as two commands (its macros, then the field)
 * and, with the no-reply steps negotiated, sends them back to back: on a
 * 10 KiB message that is about a hundred system calls where two would
 * do, and on a paravirtualised machine each costs microseconds.
 *
 * The build links libmilter's static archive with its calls to accept,
 * close, read and poll renamed to the functions below (objcopy
 * --redefine-sym; see milter/CMakeLists.txt), so nothing else in the
 * process goes through them. A socket libmilter accepted gets a buffer:
 * a read that finds it empty fills it with what the socket holds, and a
 * poll for input is answered from it while it holds bytes. Bytes are
 * handed over in order and exactly once, so libmilter sees the stream it
 * would have read itself; any other descriptor goes straight to libc.
 *
 * Writes: libmilter writes each reply and each change it is asked for at
 * end of message (header edits, body pieces, the verdict) with a poll
 * for room and a writev of its own: 16 system calls a message where 1
 * or 2 would do, and the MTA reads them one by one. None is waited for
 * by the MTA before the session next waits for it, so cm_mio keeps them
 * (up to CM_MIO_OUT bytes) and writes them with one call when libmilter
 * next polls the socket for input, reads it, or closes it (a close sends
 * only what the socket has room for: libmilter closes holding the lock
 * of its worker pool, so it must not wait). A progress
 * frame, which keeps the MTA's time-out from firing during long work,
 * goes out at once; so does a write that does not fit, with what waits
 * before it. The frames go out in the order written and whole; a write
 * that fails ends the session, as it does in libmilter.
 *
 * Polls: a poll of one socket for input that the socket answered stays
 * answered until the socket is read (bytes and an end stay until read;
 * the pool controller's poll of many keeps nothing), so libmilter's
 * second poll before a read (its "is there more" check, then its wait)
 * is answered without a system call, as is a poll for room to write
 * (the write itself waits, with libmilter's time-out, if it must).
 *
 * Lingering: libmilter's look for the next command (a poll of one
 * session's socket for 1 ms, after which the session goes back to its
 * pool controller: a pipe write, the controller's polls, a condition
 * variable and often a thread started or ended) waits CM_MIO_LINGER_MS
 * instead while the session's commands come within that, so a quick MTA
 * keeps its worker; a session whose commands come later (an MTA waiting
 * on a distant client) goes back to libmilter's 1 ms, since a worker
 * held for nothing makes libmilter start another thread.
 *
 * libmilter hands a session's socket to one thread at a time (its own
 * locks order the handovers), so a buffer is never used by two threads
 * at once; the table of buffers is read and written atomically. */
#ifndef CM_MIO_H
#define CM_MIO_H

#include <poll.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>

/* What libmilter's objects call instead of accept, close, read, poll,
 * write and writev. */
int cm_mio_accept(int fd, struct sockaddr *addr, socklen_t *len);
int cm_mio_close(int fd);
ssize_t cm_mio_read(int fd, void *buf, size_t n);
int cm_mio_poll(struct pollfd *fds, nfds_t nfds, int timeout);
ssize_t cm_mio_write(int fd, const void *buf, size_t n);
ssize_t cm_mio_writev(int fd, const struct iovec *iov, int iovcnt);

/* Gives fd a read-ahead buffer (what cm_mio_accept does with a socket it
 * accepted); 0, or -1 when it cannot (fd stays unbuffered, and works). */
int cm_mio_adopt(int fd);

/* How many bytes are buffered for fd, read and not handed over, and
 * written and not sent (for tests). */
size_t cm_mio_buffered(int fd);
size_t cm_mio_pending(int fd);

/* How much one read asks of the socket; how much is kept to write. */
#define CM_MIO_BUF (32 * 1024)
#define CM_MIO_OUT (32 * 1024)
/* How long a session's thread waits for the MTA's next command before
 * the session goes back to libmilter's pool controller, in ms. */
#ifndef CM_MIO_LINGER_MS
#define CM_MIO_LINGER_MS 20
#endif

#endif
