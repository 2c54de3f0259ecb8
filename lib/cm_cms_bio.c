/* cm_cms_bio - OpenSSL BIOs over the engine interface's reader and writer,
 * so that CMS streams: the plaintext is read as it is encrypted and the
 * DER written as it is made, never all of it in memory. */
#include "cm_cms_int.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <time.h>

static BIO_METHOD *reader_method, *writer_method;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static int64_t mono_now(void)
{
    struct timespec ts;

    if (clock_gettime(CLOCK_MONOTONIC, &ts) < 0)
        return 0;
    return (int64_t) ts.tv_sec;
}

void cm_cms_io_init(cm_cms_io *io, const cm_msgctx *mc, cm_reader *in, cm_writer *out)
{
    memset(io, 0, sizeof(*io));
    io->in = in;
    io->out = out;
    io->deadline = mono_now() + (int64_t) mc->cfg->engine_timeout;
}

static int bio_create(BIO *b)
{
    BIO_set_init(b, 1);
    return 1;
}

static int reader_read(BIO *b, char *buf, size_t n, size_t *got)
{
    cm_cms_io *io = BIO_get_data(b);
    ssize_t r;

    *got = 0;
    /* OpenSSL works in this thread: the deadline is checked as it reads. */
    if (mono_now() >= io->deadline) {
        io->timed_out = 1;
        return 0;
    }
    if (io->in->tick != NULL)
        io->in->tick(io->in->arg);
    do
        r = io->in->read(io->in->arg, buf, n);
    while (r < 0 && errno == EINTR);
    if (r < 0) {
        io->read_errno = errno ? errno : EIO;
        return 0;
    }
    if (r == 0)
        return 0;
    *got = (size_t) r;
    return 1;
}

static int writer_write(BIO *b, const char *buf, size_t n, size_t *done)
{
    cm_cms_io *io = BIO_get_data(b);

    *done = 0;
    if (io->write_errno != 0)
        return 0;
    if (io->out->write(io->out->arg, buf, n) < 0) {
        io->write_errno = errno ? errno : EIO;
        return 0;
    }
    *done = n;
    return 1;
}

static long bio_ctrl(BIO *b, int cmd, long num, void *ptr)
{
    (void) b;
    (void) num;
    (void) ptr;
    return cmd == BIO_CTRL_FLUSH ? 1 : 0;
}

static void make_methods(void)
{
    BIO_METHOD *r = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "cm reader");
    BIO_METHOD *w = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "cm writer");

    if (r == NULL || w == NULL || BIO_meth_set_create(r, bio_create) != 1
        || BIO_meth_set_read_ex(r, reader_read) != 1 || BIO_meth_set_ctrl(r, bio_ctrl) != 1
        || BIO_meth_set_create(w, bio_create) != 1 || BIO_meth_set_write_ex(w, writer_write) != 1
        || BIO_meth_set_ctrl(w, bio_ctrl) != 1) {
        BIO_meth_free(r);
        BIO_meth_free(w);
        return;
    }
    reader_method = r;
    writer_method = w;
}

int cm_cms_bios(cm_cms_io *io, BIO **in, BIO **out)
{
    *in = *out = NULL;
    if (pthread_once(&once, make_methods) != 0 || reader_method == NULL)
        return -1;
    if (io->in != NULL && (*in = BIO_new(reader_method)) == NULL)
        return -1;
    if (io->out != NULL && (*out = BIO_new(writer_method)) == NULL) {
        BIO_free(*in);
        *in = NULL;
        return -1;
    }
    if (*in != NULL)
        BIO_set_data(*in, io);
    if (*out != NULL)
        BIO_set_data(*out, io);
    return 0;
}
