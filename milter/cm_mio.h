/* cm_mio - libmilter's socket reads, read ahead.
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
 * libmilter hands a session's socket to one thread at a time (its own
 * locks order the handovers), so a buffer is never used by two threads
 * at once; the table of buffers is read and written atomically. */
#ifndef CM_MIO_H
#define CM_MIO_H

#include <poll.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/types.h>

/* What libmilter's objects call instead of accept, close, read, poll. */
int cm_mio_accept(int fd, struct sockaddr *addr, socklen_t *len);
int cm_mio_close(int fd);
ssize_t cm_mio_read(int fd, void *buf, size_t n);
int cm_mio_poll(struct pollfd *fds, nfds_t nfds, int timeout);

/* Gives fd a read-ahead buffer (what cm_mio_accept does with a socket it
 * accepted); 0, or -1 when it cannot (fd stays unbuffered, and works). */
int cm_mio_adopt(int fd);

/* How many bytes are buffered for fd (for tests). */
size_t cm_mio_buffered(int fd);

/* How much one read asks of the socket. */
#define CM_MIO_BUF (32 * 1024)

#endif
