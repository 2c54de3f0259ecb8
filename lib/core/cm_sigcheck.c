/* cm_sigcheck - the signatures a decrypted outbound message carries,
 * gathered for the gate. */
#include "cm_sigcheck.h"
#include "cm_log.h"
#include "cm_smimedecrypt.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

void cm_sigset_keep(cm_sigset *set, const cm_sigs *add, size_t e, const unsigned char *dg)
{
    size_t i;

    set->sigs.seen += add->seen;
    for (i = 0; i < add->n && set->sigs.n < CM_SIGS_MAX; i++) {
        memcpy(set->digests[set->sigs.n], dg, CM_DIGEST_LEN);
        set->engine[set->sigs.n] = e;
        set->sigs.v[set->sigs.n++] = add->v[i];
    }
}

/* A signature no engine here can check (OpenPGP inside S/MIME on a site
 * without a keyring): one that cannot be checked. */
static void unchecked(cm_sigset *set, size_t e, const char *why)
{
    cm_sigs one;

    memset(&one, 0, sizeof(one));
    one.seen = one.n = 1;
    one.v[0].status = CM_SIG_ERROR;
    one.v[0].created = -1;
    snprintf(one.v[0].note, sizeof(one.v[0].note), "%s", why);
    cm_sigset_keep(set, &one, e, set->digests[0]);
}

/* The signed part of an inner multipart/signed, read for verification
 * and digested on the way. A failed read or digest is kept (r.err): the
 * engine would take the cut-short part for a signature that does not
 * verify. */
typedef struct part_reader {
    cm_spool_range r;
    cm_digest *dg;
} part_reader;

static ssize_t part_read(void *arg, void *buf, size_t n)
{
    part_reader *p = arg;
    ssize_t got = cm_spool_range_read(&p->r, buf, n);

    if (got > 0 && cm_digest_update(p->dg, buf, (size_t) got) < 0) {
        errno = ENOMEM;
        if (p->r.err == 0)
            p->r.err = ENOMEM;
        got = -1;
    }
    return got;
}

/* Keep the inner detached signature's verdicts, checked by the engine of
 * its kind. */
static cm_stat verify_inner(cm_msg *m, const cm_stripped *x, cm_spool *plain, size_t e_dec,
                            cm_sigset *set)
{
    int e = cm_engcall_verifier(&m->eng, x->sig_cms ? CM_KEY_SMIME : CM_KEY_OPENPGP);
    cm_reader rd = {part_read, NULL, NULL};
    unsigned char dg[CM_DIGEST_LEN];
    part_reader pr;
    cm_sigs inner;
    cm_stat st;

    if (e < 0) {
        unchecked(set, e_dec, "an OpenPGP signature, and the gateway has no OpenPGP keyring");
        return CM_OK;
    }
    cm_spool_range_init(&pr.r, plain, x->signed_part.off, x->signed_part.len);
    if ((pr.dg = cm_digest_new()) == NULL)
        return CM_ERR_NOMEM;
    rd.arg = &pr;
    st = cm_engcall_verify_detached(&m->eng, (size_t) e, &rd, x->sig.data, x->sig.len, &inner);
    if (pr.r.err != 0) {
        /* Ours, whatever the engine made of it: never "bad signature". */
        errno = pr.r.err;
        cm_log_errno("%s: reading the signed part from the spool", CM_QID(&m->ctx));
        st = cm_stat_of_errno(pr.r.err);
    }
    if (st == CM_OK && cm_digest_final(pr.dg, dg) < 0)
        st = CM_ERR_NOMEM;
    cm_digest_free(pr.dg);
    if (st != CM_OK)
        return st;
    cm_sigset_keep(set, &inner, (size_t) e, dg);
    return CM_OK;
}

/* S/MIME opaque signed data's content: digested, not kept (the signed
 * data itself goes out, intact), but for its header, which may carry
 * protected fields (RFC 9788) to restore outside. */
typedef struct content_sink {
    cm_digest *dg;
    cm_buf head;            /* its first HEAD_MAX bytes */
    uint64_t total;
} content_sink;

#define HEAD_MAX (CM_HDR_MAX_BYTES + 4)

static int content_write(void *arg, const void *buf, size_t n)
{
    content_sink *c = arg;
    size_t room = c->head.len < HEAD_MAX ? HEAD_MAX - c->head.len : 0;

    if (cm_digest_update(c->dg, buf, n) < 0
        || cm_buf_append(&c->head, buf, n < room ? n : room) < 0) {
        errno = ENOMEM;
        return -1;
    }
    c->total += n;
    return 0;
}

/* Keep the verdicts of the entity's opaque signed data. */
static cm_stat verify_opaque(cm_msg *m, cm_stripped *x, cm_spool *plain, cm_sigset *set)
{
    int e = cm_engcall_verifier(&m->eng, CM_KEY_SMIME);
    unsigned char dg[CM_DIGEST_LEN];
    cm_der_reader d;
    cm_reader rd = {cm_der_reader_read, NULL, &d};
    content_sink c = {NULL, CM_BUF_INIT, 0};
    cm_writer wr = {content_write, &c};
    cm_sigs inner;
    cm_stat st;

    if (e < 0)
        return CM_ERR_INTERNAL;     /* the registry always has it */
    if ((c.dg = cm_digest_new()) == NULL)
        return CM_ERR_NOMEM;
    cm_der_reader_init(&d, plain, x->opaque_body.off, x->opaque_body.len,
                       x->opaque_b64 ? CM_CTE_BASE64 : CM_CTE_IDENTITY);
    st = cm_engcall_decrypt_verify(&m->eng, (size_t) e, &rd, &wr, &inner);
    if (d.err != 0) {
        errno = d.err;
        cm_log_errno("%s: reading the signed data from the spool", CM_QID(&m->ctx));
        st = cm_stat_of_errno(d.err);
    }
    if (st == CM_OK && cm_digest_final(c.dg, dg) < 0)
        st = CM_ERR_NOMEM;
    cm_digest_free(c.dg);
    cm_der_reader_free(&d);
    if (st == CM_OK)
        st = cm_strip_content_header(x, c.head.data, c.head.len, c.total == c.head.len);
    cm_buf_free(&c.head);
    if (st == CM_OK)
        cm_sigset_keep(set, &inner, (size_t) e, dg);
    return st;
}

cm_stat cm_sigcheck_structure(cm_msg *m, cm_stripped *x, cm_spool *plain, size_t e_dec,
                              cm_sigset *set)
{
    if (x->is_signed)
        return verify_inner(m, x, plain, e_dec, set);
    if (x->opaque)
        return verify_opaque(m, x, plain, set);
    return CM_OK;
}
