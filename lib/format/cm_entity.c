/* cm_entity - reads the MIME entity to encrypt: the Content-* fields of the
 * message, an empty line, then the body, all with CRLF line endings. */
#include "cm_entity.h"

#include <errno.h>
#include <string.h>

#include "cm_hp.h"
#include "cm_hplegacy.h"

#define CHUNK 65536
/* Reads at least this large take the body straight from the spool. */
#define CM_ENTITY_DIRECT 4096

/* The body from its start; on failure nothing is left held (errno). */
static int rewind_body(cm_entity *e)
{
    int saved;

    if (cm_spool_rewind(e->body) == 0)
        return 0;
    saved = errno;
    cm_buf_free(&e->pending);
    errno = saved;
    return -1;
}

int cm_entity_open(cm_entity *e, const cm_hdrs *h, cm_spool *body)
{
    size_t i;

    memset(e, 0, sizeof(*e));
    cm_buf_init(&e->pending);
    cm_crlf_init(&e->crlf);
    e->body = body;
    for (i = 0; i < h->n; i++)
        if (cm_hdr_is_content(h->v[i].name) && cm_hdr_write(&h->v[i], "\r\n", &e->pending) < 0)
            goto nomem;
    if (cm_buf_append(&e->pending, "\r\n", 2) < 0)
        goto nomem;
    return rewind_body(e);

nomem:
    cm_buf_free(&e->pending);
    errno = ENOMEM;
    return -1;
}

int cm_entity_open_hp(cm_entity *e, const cm_hdrs *outer, const cm_hdrs *h, cm_spool *body,
                      int legacy, const char **why_not)
{
    cm_buf lde;
    int made = 0;

    memset(e, 0, sizeof(*e));
    cm_buf_init(&e->pending);
    cm_buf_init(&lde);
    cm_crlf_init(&e->crlf);
    e->body = body;
    *why_not = legacy ? NULL : "turned off";
    if (legacy && (made = cm_hp_declared(h)) != 0) {
        if (made < 0)
            goto nomem;
        made = 0;
        *why_not = "the sender's own protected payload";
    } else if (legacy && (made = cm_hplegacy_make(outer, h, &lde, why_not)) < 0)
        goto nomem;
    if (cm_hp_payload_header(outer, h, made, &e->pending) < 0
        || cm_buf_append(&e->pending, "\r\n", 2) < 0
        || (lde.len > 0 && cm_buf_append(&e->pending, lde.data, lde.len) < 0))
        goto nomem;
    cm_buf_free(&lde);
    return rewind_body(e);

nomem:
    cm_buf_free(&lde);
    cm_buf_free(&e->pending);
    errno = ENOMEM;
    return -1;
}

void cm_entity_set_progress(cm_entity *e, void (*fn)(void *), void *arg)
{
    e->progress = fn;
    e->progress_arg = arg;
    e->last_progress = time(NULL);
}

void cm_entity_tick(cm_entity *e)
{
    time_t now;

    if (e->progress == NULL || (now = time(NULL)) == e->last_progress)
        return;
    e->last_progress = now;
    e->progress(e->progress_arg);
}

void cm_entity_close(cm_entity *e)
{
    cm_buf_free(&e->pending);
}

ssize_t cm_entity_read(cm_entity *e, void *buf, size_t n)
{
    unsigned char chunk[CHUNK];
    size_t avail;

    cm_entity_tick(e);
    if (e->pending_off == e->pending.len && !e->body_eof && n >= CM_ENTITY_DIRECT) {
        /* The body as the MTA sends it (CRLF already): straight from the
         * spool into the engine's buffer, not through pending. */
        ssize_t r = cm_spool_read(e->body, buf, n);

        if (r <= 0) {
            e->body_eof = r == 0;
            return r;
        }
        if (cm_crlf_canonical(&e->crlf, buf, (size_t) r))
            return r;
        cm_buf_reset(&e->pending);
        e->pending_off = 0;
        if (cm_crlf_push(&e->crlf, buf, (size_t) r, &e->pending) < 0) {
            errno = ENOMEM;
            return -1;
        }
    }
    while (e->pending_off == e->pending.len && !e->body_eof) {
        ssize_t r = cm_spool_read(e->body, chunk, sizeof(chunk));

        cm_buf_reset(&e->pending);
        e->pending_off = 0;
        if (r < 0)
            return -1;
        if (r == 0) {
            e->body_eof = 1;
            break;
        }
        if (cm_crlf_push(&e->crlf, chunk, (size_t) r, &e->pending) < 0) {
            errno = ENOMEM;
            return -1;
        }
    }
    avail = e->pending.len - e->pending_off;
    if (avail == 0)
        return 0;
    if (n > avail)
        n = avail;
    memcpy(buf, e->pending.data + e->pending_off, n);
    e->pending_off += n;
    return (ssize_t) n;
}

static ssize_t reader_read(void *arg, void *buf, size_t n)
{
    return cm_entity_read(arg, buf, n);
}

static void reader_tick(void *arg)
{
    cm_entity_tick(arg);
}

cm_reader cm_entity_reader(cm_entity *e)
{
    cm_reader rd = {reader_read, reader_tick, e};

    return rd;
}
