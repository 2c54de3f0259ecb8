/* cm_strip - the decrypted entity of an outbound message, and the edits
 * that make it the message (SPEC §4.4). */
#include "cm_strip.h"
#include "cm_addr.h"
#include "cm_ctype.h"
#include "cm_detect.h"
#include "cm_rewrite.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cm_hp.h"

void cm_stripped_free(cm_stripped *x)
{
    cm_hdrs_free(&x->ehdrs);
    cm_hdrs_free(&x->phdrs);
    cm_hdrs_free(&x->shdrs);
    cm_buf_free(&x->sig);
}

/* The charset of the outer Content-Type, if it names one. */
static cm_stat outer_charset(const cm_hdrs *outer, char **cs)
{
    const cm_hdr *f = cm_hdrs_find(outer, "Content-Type", 0);
    const char *v;
    cm_ctype ct;

    *cs = NULL;
    if (f == NULL)
        return CM_OK;
    if (cm_ctype_parse(f->value, &ct) < 0)
        return CM_ERR_NOMEM;
    if (ct.type != NULL && (v = cm_ctype_param(&ct, "charset")) != NULL && *v
        && strspn(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.:") == strlen(v)
        && (*cs = strdup(v)) == NULL) {
        cm_ctype_free(&ct);
        return CM_ERR_NOMEM;
    }
    cm_ctype_free(&ct);
    return CM_OK;
}

/* A chunk sink: 1 (stop) at the first byte with the high bit set. */
static int has_eight_bit(void *arg, const void *p, size_t n)
{
    const unsigned char *b = p;
    size_t i;

    (void) arg;
    for (i = 0; i < n; i++)
        if (b[i] >= 0x80)
            return 1;
    return 0;
}

/* Inline: the plaintext is text; its fields are made up here. */
static cm_stat inline_fields(cm_stripped *x, cm_spool *plain, const cm_hdrs *outer)
{
    int eight = cm_spool_range_feed(plain, 0, UINT64_MAX, has_eight_bit, NULL);
    char *cs;
    cm_buf v = CM_BUF_INIT;
    cm_stat st;

    if (eight < 0)
        return cm_stat_of_errno(errno);
    if ((st = outer_charset(outer, &cs)) != CM_OK)
        return st;
    if (cm_buf_printf(&v, " text/plain; charset=\"%s\"", cs ? cs : eight ? "utf-8" : "us-ascii") < 0)
        st = CM_ERR_NOMEM;
    free(cs);
    if (st == CM_OK)
        st = cm_hdrs_add(&x->ehdrs, "Content-Type", cm_buf_str(&v), v.len);
    if (st == CM_OK)
        st = cm_hdrs_add(&x->ehdrs, "Content-Transfer-Encoding", eight ? " 8bit" : " 7bit", eight ? 5 : 5);
    cm_buf_free(&v);
    x->body_off = 0;
    return st;
}

/* The signature types a multipart/signed's protocol may name (RFC 3156,
 * RFC 8551 and its older x- spelling): 1 OpenPGP, 2 S/MIME, 0 neither. */
static int sig_kind(const char *type)
{
    if (type == NULL)
        return 0;
    if (strcasecmp(type, "application/pgp-signature") == 0)
        return 1;
    if (strcasecmp(type, "application/pkcs7-signature") == 0
        || strcasecmp(type, "application/x-pkcs7-signature") == 0)
        return 2;
    return 0;
}

/* Read part 2 of a multipart/signed: a signature part of the kind the
 * protocol named; its header is kept in x->shdrs. */
static cm_stat read_sigpart(cm_stripped *x, cm_spool *plain, const cm_part64 *p, int kind, int *ok)
{
    cm_buf b = CM_BUF_INIT;
    size_t body_off;
    cm_stat st = CM_OK;
    const cm_hdr *f;
    cm_ctype ct;
    ssize_t n;

    *ok = 0;
    if (p->len > CM_STRIP_MAX_SIGPART)
        return CM_OK;
    if (cm_buf_reserve(&b, (size_t) p->len + 1) < 0)
        return CM_ERR_NOMEM;
    if ((n = cm_spool_read_full_at(plain, p->off, b.data, (size_t) p->len)) < 0
        || (uint64_t) n != p->len) {
        cm_buf_free(&b);
        return n < 0 ? cm_stat_of_errno(errno) : CM_ERR_SPOOL;
    }
    b.len = (size_t) n;
    if (cm_hdrs_parse(&x->shdrs, (unsigned char *) b.data, b.len, 1, &body_off, &st) == CM_HPARSE_DONE
        && (f = cm_hdrs_find(&x->shdrs, "Content-Type", 0)) != NULL) {
        if (cm_ctype_parse(f->value, &ct) < 0) {
            st = CM_ERR_NOMEM;
        } else {
            char t[64];

            snprintf(t, sizeof(t), "%s/%s", ct.type ? ct.type : "", ct.subtype ? ct.subtype : "");
            if (sig_kind(t) == kind) {
                cm_buf_reset(&x->sig);
                if (cm_buf_append(&x->sig, b.data + body_off, b.len - body_off) < 0)
                    st = CM_ERR_NOMEM;
                else
                    *ok = 1;
                x->sig_b64 = cm_detect_cte(&x->shdrs) == 2;
            }
            cm_ctype_free(&ct);
        }
    } else if (st != CM_ERR_NOMEM) {
        st = CM_OK;         /* not a signature part: not signed */
    }
    cm_buf_free(&b);
    return st;
}

/* The header section of the part at [off, off + avail) of plain, read up
 * to the header limit (never cut short: a short read taken for the end
 * would move the header's rest into the body) and parsed into h; the
 * body's offset from off into *body_off; its Content-Type parsed into ct
 * (type NULL without one; freed by the caller whatever the outcome). A
 * header that cannot be read: CM_HEADER_LIMIT or the parser's status. */
static cm_stat part_header(cm_spool *plain, uint64_t off, uint64_t avail, cm_hdrs *h,
                           size_t *body_off, cm_ctype *ct)
{
    size_t want = CM_HDR_MAX_BYTES + 4, len = avail < want ? (size_t) avail : want;
    cm_buf b = CM_BUF_INIT;
    const cm_hdr *f;
    cm_hparse r;
    cm_stat st = CM_OK;
    ssize_t n;

    memset(ct, 0, sizeof(*ct));
    *body_off = 0;
    if (cm_buf_reserve(&b, len + 1) < 0)
        return CM_ERR_NOMEM;
    if ((n = cm_spool_read_full_at(plain, off, b.data, len)) < 0 || (size_t) n != len) {
        cm_buf_free(&b);
        return n < 0 ? cm_stat_of_errno(errno) : CM_ERR_SPOOL;
    }
    r = cm_hdrs_parse(h, (unsigned char *) b.data, len, len < want, body_off, &st);
    cm_buf_free(&b);
    if (r == CM_HPARSE_MORE)
        return CM_HEADER_LIMIT;
    if (r == CM_HPARSE_ERROR)
        return st;
    if ((f = cm_hdrs_find(h, "Content-Type", 0)) != NULL && cm_ctype_parse(f->value, ct) < 0)
        return CM_ERR_NOMEM;
    return CM_OK;
}

/* Does the Content-Type declare protected headers: RFC 9788's hp="cipher"
 * or hp="clear", or the draft's protected-headers="v1" that Thunderbird
 * and Enigmail wrote before it? */
static int declares_protected(const cm_ctype *ct)
{
    const char *ph = ct->type != NULL ? cm_ctype_param(ct, "protected-headers") : NULL;
    const char *hp = ct->type != NULL ? cm_ctype_param(ct, "hp") : NULL;

    return (ph != NULL && strcasecmp(ph, "v1") == 0)
           || (hp != NULL && (strcasecmp(hp, "cipher") == 0 || strcasecmp(hp, "clear") == 0));
}

/* The signed part's header, if it declares protected headers (RFC 9788:
 * the header of the signed content, inside a multipart/signed, is what a
 * reader shows). A header that cannot be read is refused as the entity's
 * own would be (cm_strip_parse): passed over, a protected From: behind a
 * bad line would go unchecked. */
static cm_stat signed_headers(cm_stripped *x, cm_spool *plain)
{
    size_t body_off;
    cm_ctype ct;
    cm_stat st;

    st = part_header(plain, x->signed_part.off, x->signed_part.len, &x->phdrs, &body_off, &ct);
    if (st == CM_OK)
        x->signed_protected = declares_protected(&ct);
    cm_ctype_free(&ct);
    return st;
}

cm_stat cm_strip_content_header(cm_stripped *x, const void *p, size_t n, int eof)
{
    size_t body_off;
    const cm_hdr *f;
    cm_ctype ct;
    cm_hparse r;
    cm_stat st = CM_OK;

    r = cm_hdrs_parse(&x->phdrs, p, n, eof, &body_off, &st);
    if (r == CM_HPARSE_MORE)
        return CM_HEADER_LIMIT;
    if (r == CM_HPARSE_ERROR)
        return st;
    if ((f = cm_hdrs_find(&x->phdrs, "Content-Type", 0)) == NULL)
        return CM_OK;
    if (cm_ctype_parse(f->value, &ct) < 0)
        return CM_ERR_NOMEM;
    x->signed_protected = declares_protected(&ct);
    cm_ctype_free(&ct);
    return CM_OK;
}

/* A chunk sink: into the MIME scanner arg. */
static int scan_push(void *arg, const void *p, size_t n)
{
    cm_mime_scan_push(arg, p, n);
    return 0;
}

/* Is the entity an RFC 3156 multipart/signed? Find its two parts. */
static cm_stat find_signed(cm_stripped *x, cm_spool *plain, const cm_ctype *ct)
{
    const char *proto = cm_ctype_param(ct, "protocol"), *b = cm_ctype_param(ct, "boundary");
    cm_mime_scan sc;
    cm_stat st;
    int ok;

    int kind = sig_kind(proto);

    if (!cm_ctype_is(ct, "multipart", "signed") || kind == 0 || b == NULL
        || cm_mime_scan_init(&sc, b) < 0)
        return CM_OK;
    if (cm_spool_range_feed(plain, x->body_off, UINT64_MAX, scan_push, &sc) < 0)
        return cm_stat_of_errno(errno);
    cm_mime_scan_finish(&sc);
    if (sc.n != 2 || sc.extra != 0 || !sc.closed || !sc.parts[0].complete || !sc.parts[1].complete)
        return CM_OK;
    x->signed_part = sc.parts[0];
    x->signed_part.off += x->body_off;
    x->preamble.off = x->body_off;
    x->preamble.len = sc.preamble;
    x->epilogue.off = x->body_off + sc.start;
    x->epilogue.len = sc.pos - sc.start;
    sc.parts[1].off += x->body_off;
    if ((st = read_sigpart(x, plain, &sc.parts[1], kind, &ok)) != CM_OK)
        return st;
    x->is_signed = ok;
    x->sig_cms = ok && kind == 2;
    return ok ? signed_headers(x, plain) : CM_OK;
}

/* Is the entity S/MIME opaque signed data? Its body is the SignedData. */
static void find_opaque(cm_stripped *x, cm_spool *plain, const cm_ctype *ct)
{
    const char *st = cm_ctype_param(ct, "smime-type");
    int cte;

    if (!(cm_ctype_is(ct, "application", "pkcs7-mime") || cm_ctype_is(ct, "application", "x-pkcs7-mime"))
        || st == NULL || strcasecmp(st, "signed-data") != 0 || (cte = cm_detect_cte(&x->ehdrs)) == 0)
        return;
    x->opaque = 1;
    x->opaque_b64 = cte == 2;
    x->opaque_body.off = x->body_off;
    x->opaque_body.len = cm_spool_size(plain) - x->body_off;
    x->opaque_body.complete = 1;
}

cm_stat cm_strip_parse(cm_stripped *x, cm_spool *plain, int inline_text, const cm_hdrs *outer)
{
    size_t body_off;
    cm_ctype ct;
    cm_stat st;

    memset(x, 0, sizeof(*x));
    cm_hdrs_init(&x->ehdrs, CM_HDR_MAX_FIELDS, CM_HDR_MAX_BYTES);
    cm_hdrs_init(&x->phdrs, CM_HDR_MAX_FIELDS, CM_HDR_MAX_BYTES);
    cm_hdrs_init(&x->shdrs, 64, CM_STRIP_MAX_SIGPART);
    cm_buf_init(&x->sig);
    if (inline_text)
        return inline_fields(x, plain, outer);
    st = part_header(plain, 0, cm_spool_size(plain), &x->ehdrs, &body_off, &ct);
    if (st == CM_OK) {
        x->body_off = body_off;
        x->protected_hdrs = declares_protected(&ct);
        if (ct.type != NULL) {
            st = find_signed(x, plain, &ct);
            find_opaque(x, plain, &ct);
        }
    }
    cm_ctype_free(&ct);
    return st;
}

/* The one address of a From: value, or NULL (none, several, a group). */
static char *from_addr(const char *value, int *nomem)
{
    char *u = cm_hdr_unfold(value), *lt = NULL, *gt = NULL, *a, *p, *w;
    int quote = 0, depth = 0, angle = 0;

    if (u == NULL) {
        *nomem = 1;
        return NULL;
    }
    /* Drop comments, find the angle-addr, refuse a list or a group. */
    for (p = w = u; *p; p++) {
        if (quote) {
            if (*p == '\\' && p[1])
                *w++ = *p++;
            else if (*p == '"')
                quote = 0;
            *w++ = *p;
            continue;
        }
        if (depth > 0) {
            if (*p == '\\' && p[1])
                p++;
            else if (*p == '(')
                depth++;
            else if (*p == ')')
                depth--;
            continue;
        }
        if (*p == '"')
            quote = 1;
        else if (*p == '(') {
            depth = 1;
            continue;
        } else if (*p == '<') {
            if (angle++)
                break;
            lt = w;
        } else if (*p == '>')
            gt = w;
        else if (*p == ',' || *p == ':' || *p == ';')
            break;
        *w++ = *p;
    }
    if (*p != 0 || quote || depth > 0 || (lt != NULL) != (gt != NULL) || (lt && gt < lt)) {
        free(u);
        return NULL;
    }
    *w = 0;
    if (lt != NULL) {
        *gt = 0;
        a = lt + 1;
    } else {
        a = u;
    }
    while (*a == ' ' || *a == '\t')
        a++;
    for (w = a + strlen(a); w > a && (w[-1] == ' ' || w[-1] == '\t'); w--)
        w[-1] = 0;
    p = malloc(strlen(a) + 3);
    if (p == NULL) {
        *nomem = 1;
        free(u);
        return NULL;
    }
    strcpy(p, "<");
    strcat(p, a);
    strcat(p, ">");
    free(u);
    a = cm_addr_bare(p);
    free(p);
    if (a == NULL)
        *nomem = 1;
    else if (*a == 0 || strchr(a, '@') == NULL || strpbrk(a, " \t<>") != NULL) {
        free(a);
        a = NULL;
    }
    return a;
}

char *cm_strip_from(const cm_hdrs *h, int *nomem)
{
    const cm_hdr *f = cm_hdrs_find(h, "From", 0);

    *nomem = 0;
    if (f == NULL || cm_hdrs_count(h, "From") != 1)
        return NULL;
    return from_addr(f->value, nomem);
}

int cm_strip_second_originator(const cm_hdrs *h, char *why, size_t len)
{
    static const char *const originators[] = {"From", "Sender", "Reply-To", NULL};
    size_t i, k;

    for (k = 0; originators[k] != NULL; k++) {
        if (cm_hdrs_count(h, originators[k]) > 1) {
            snprintf(why, len, "%s: appears more than once", originators[k]);
            return 1;
        }
        for (i = 0; i < h->n; i++)
            if (strcasecmp(h->v[i].name, originators[k]) == 0 && cm_hdr_obsolete(&h->v[i])) {
                snprintf(why, len, "%s : written with space before the colon", originators[k]);
                return 1;
            }
    }
    return 0;
}

static int is_content(const char *name)
{
    return cm_hdr_is_content(name);
}

cm_stat cm_strip_restore(const cm_stripped *x, const cm_hdrs *outer, cm_edits *e)
{
    const cm_hdrs *in = x->signed_protected ? &x->phdrs : x->protected_hdrs ? &x->ehdrs : NULL;
    size_t i;
    cm_stat st = CM_OK;

    for (i = 0; in != NULL && st == CM_OK && i < in->n; i++) {
        const cm_hdr *f = &in->v[i];

        if (!cm_hp_protected(f->name) || cm_hdrs_find(in, f->name, 0) != f)
            continue;
        /* A CR outside a fold would travel on as a line break of its own
         * to whoever reads the header next: refused, as inbound. */
        if (strchr(f->value, '\r') != NULL)
            return CM_BAD_INPUT;
        st = cm_edits_add(e, cm_hdrs_find(outer, f->name, 0) ? CM_EDIT_CHANGE : CM_EDIT_ADD,
                          f->name, 1, f->value);
    }
    return st;
}

cm_stat cm_strip_edits(const cm_stripped *x, const cm_hdrs *outer, const char *trace, int restore,
                       cm_edits *e)
{
    const cm_hdr *mv = cm_hdrs_find(outer, "MIME-Version", 0);
    size_t i, j;
    cm_stat st = CM_OK;

    /* Outer Content-* out (last first, so indices hold). */
    for (i = outer->n; st == CM_OK && i-- > 0;) {
        size_t idx = 0;

        if (!is_content(outer->v[i].name))
            continue;
        for (j = 0; j <= i; j++)
            if (strcasecmp(outer->v[j].name, outer->v[i].name) == 0)
                idx++;
        st = cm_edits_add(e, CM_EDIT_DELETE, outer->v[i].name, idx, NULL);
    }
    for (i = 0; st == CM_OK && i < x->ehdrs.n; i++)
        if (is_content(x->ehdrs.v[i].name))
            st = cm_edits_add(e, CM_EDIT_ADD, x->ehdrs.v[i].name, 0, x->ehdrs.v[i].value);
    if (st == CM_OK && mv == NULL)
        st = cm_edits_add(e, CM_EDIT_ADD, "MIME-Version", 0, " 1.0");
    if (st == CM_OK && restore)
        st = cm_strip_restore(x, outer, e);
    if (st == CM_OK)
        st = cm_rewrite_trace(outer, trace, e);
    return st;
}

/* A chunk sink: onto the spool arg. */
static int spool_push(void *arg, const void *p, size_t n)
{
    return cm_spool_write(arg, p, n);
}

cm_stat cm_strip_body(const cm_stripped *x, cm_spool *plain, cm_spool *out)
{
    if (cm_spool_range_feed(plain, x->body_off, UINT64_MAX, spool_push, out) < 0)
        return cm_stat_of_errno(errno);
    return CM_OK;
}
