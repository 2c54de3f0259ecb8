/* cm_fakeengine - an engine for unit tests of the core: no gpg. Addresses
 * in its table have keys; encryption records the exact bytes it was handed
 * and writes a well-formed binary message with one PKESK per recipient
 * (so the PGP/MIME format's checks pass), or fails as told. */
#ifndef CM_FAKEENGINE_H
#define CM_FAKEENGINE_H

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cm_buf.h"
#include "cm_engines.h"
#include "cm_pgpfake.h"

typedef struct fake_state {
    const char *const *keyed;   /* addresses with a key, NULL-terminated */
    cm_stat lookup_fails;       /* CM_OK, or what lookup answers */
    int write_garbage;          /* encrypt writes something that is no message:
                                 * 1 an armor (text, not packets), 2 the
                                 * packets less their last byte, 3 the
                                 * plaintext in a literal data packet, 4 a
                                 * first session key packet of 1 MiB */
    cm_buf seen;                /* the plaintext the last encryption read */
    size_t sessions, lookups;
    char last_qid[64];
} fake_state;

static fake_state fake;

#define FAKE_PIECE 16384    /* what encrypt writes at a time */

/* A fresh fake for each test (check may run them in one process). */
static void fake_reset(const char *const *keyed)
{
    cm_buf_free(&fake.seen);
    memset(&fake, 0, sizeof(fake));
    fake.keyed = keyed;
}

struct cm_engine {
    int unused;
};

struct cm_engine_session {
    const cm_msgctx *mc;
    size_t nkeys;
    const cm_key *keys[16];
};

static cm_stat fake_create(cm_engine **out, char *err, size_t errlen)
{
    (void) err;
    (void) errlen;
    *out = calloc(1, sizeof(**out));
    return *out ? CM_OK : CM_ERR_NOMEM;
}

static void fake_destroy(cm_engine *e)
{
    free(e);
}

static cm_stat fake_session_new(cm_engine *e, const cm_msgctx *mc, cm_engine_session **out)
{
    (void) e;
    fake.sessions++;
    *out = calloc(1, sizeof(**out));
    if (*out == NULL)
        return CM_ERR_NOMEM;
    (*out)->mc = mc;
    return CM_OK;
}

static void fake_session_free(cm_engine_session *s)
{
    free(s);
}

static cm_stat fake_lookup(cm_engine_session *s, const char *addr, const cm_key **key)
{
    size_t i;

    fake.lookups++;
    snprintf(fake.last_qid, sizeof(fake.last_qid), "%s", CM_QID(s->mc));
    *key = NULL;
    if (fake.lookup_fails != CM_OK)
        return fake.lookup_fails;
    for (i = 0; fake.keyed != NULL && fake.keyed[i] != NULL; i++)
        if (strcasecmp(fake.keyed[i], addr) == 0)
            *key = (const cm_key *) fake.keyed[i];
    return CM_OK;
}

static cm_stat fake_add(cm_engine_session *s, const cm_key *key)
{
    size_t i;

    for (i = 0; i < s->nkeys; i++)
        if (s->keys[i] == key)
            return CM_OK;
    if (s->nkeys == 16)
        return CM_ERR_NOMEM;
    s->keys[s->nkeys++] = key;
    return CM_OK;
}

static size_t fake_recipients(const cm_engine_session *s)
{
    return s->nkeys;
}

static cm_stat fake_encrypt(cm_engine_session *s, cm_reader *in, cm_writer *out)
{
    unsigned char buf[4096];
    cm_buf pk = CM_BUF_INIT, text = CM_BUF_INIT;
    ssize_t r;
    size_t i;
    int w;

    cm_buf_reset(&fake.seen);
    while ((r = in->read(in->arg, buf, sizeof(buf))) > 0)
        cm_buf_append(&fake.seen, buf, (size_t) r);
    if (r < 0)
        return CM_ERR_INTERNAL;
    for (i = 0; i < s->nkeys; i++)
        fake_packet(&pk, 1, i == 0 && fake.write_garbage == 4 ? (size_t) 1 << 20 : 20);
    fake_packet(&pk, 18, fake.seen.len + 1);
    if (fake.write_garbage == 1) {
        fake_armor(&pk, &text);
    } else if (fake.write_garbage == 3) {
        cm_buf_reset(&pk);
        cm_buf_putc(&pk, 0xc0 | 11);
        cm_buf_putc(&pk, 0xff);
        for (i = 0; i < 4; i++)
            cm_buf_putc(&pk, (int) ((fake.seen.len + 6) >> (24 - 8 * i) & 0xff));
        cm_buf_puts(&pk, "b");
        cm_buf_append(&pk, "\0\0\0\0\0", 5);
        cm_buf_append(&pk, fake.seen.data, fake.seen.len);
        cm_buf_append(&text, pk.data, pk.len);
    } else {
        cm_buf_append(&text, pk.data, pk.len - (fake.write_garbage == 2));
    }
    /* In pieces, as the engines write: the gate judges each as it comes. */
    for (i = 0, w = 0; i < text.len && w >= 0; i += FAKE_PIECE)
        w = out->write(out->arg, text.data + i, text.len - i < FAKE_PIECE ? text.len - i : FAKE_PIECE);
    cm_buf_free(&pk);
    cm_buf_free(&text);
    return w < 0 ? CM_ERR_SPOOL : CM_OK;
}

static const cm_engine_ops fake_ops = {
    .name = "fake",
    .key_class = CM_KEY_OPENPGP,
    .create = fake_create,
    .destroy = fake_destroy,
    .session_new = fake_session_new,
    .session_free = fake_session_free,
    .lookup = fake_lookup,
    .add_recipient = fake_add,
    .recipients = fake_recipients,
    .encrypt = fake_encrypt,
};

/* Engines with the fake as the OpenPGP engine. */
static cm_engines *fake_engines(void)
{
    static cm_engines e;
    char err[64];

    if (e.n == 0) {
        e.v[0].ops = &fake_ops;
        if (fake_ops.create(&e.v[0].engine, err, sizeof(err)) != CM_OK)
            abort();
        e.n = 1;
    }
    return &e;
}

#endif
