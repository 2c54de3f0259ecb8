/* cm_cms_bio - OpenSSL BIOs over the engine interface's reader and writer,
 * so that CMS streams: the plaintext is read as it is encrypted and the
 * DER written as it is made, never all of it in memory. */
#include "cm_cms_int.h"

#include <pthread.h>

static BIO_METHOD *reader_method, *writer_method;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static int bio_create(BIO *b)
{
    BIO_set_init(b, 1);
    return 1;
}

static int reader_read(BIO *b, char *buf, size_t n, size_t *got)
{
    ssize_t r = cm_engine_io_read(BIO_get_data(b), buf, n);

    /* A failure reads as the end for OpenSSL; the caller finds it in io. */
    *got = r > 0 ? (size_t) r : 0;
    return r > 0;
}

static int writer_write(BIO *b, const char *buf, size_t n, size_t *done)
{
    int r = cm_engine_io_write(BIO_get_data(b), buf, n);

    *done = r == 0 ? n : 0;
    return r == 0;
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

int cm_cms_bios(cm_engine_io *io, BIO **in, BIO **out)
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
