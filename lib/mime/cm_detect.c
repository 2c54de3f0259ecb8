/* cm_detect - is this message already encrypted (SPEC §3.1)? */
#include "cm_detect.h"
#include "cm_armor.h"
#include "cm_base64.h"
#include "cm_ctype.h"
#include "cm_der.h"
#include "cm_lines.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef enum { M_NONE, M_PGP_MIME, M_INLINE, M_SMIME_B64, M_SMIME_BIN } det_mode;

/* PGP/MIME states. */
enum { P_PREAMBLE, P_HDR1, P_BODY1, P_HDR2, P_BODY2, P_EPILOGUE };

struct cm_detector {
    det_mode mode;
    int bad;                /* decided: not encrypted */
    int state;
    char *boundary;
    cm_lines lines;
    cm_buf part_hdr;        /* the header section of the current part */
    size_t note;            /* text in the preamble or epilogue */
    int version_seen;
    cm_armor armor;
    cm_b64 b64;
    cm_buf der_out;
    cm_der der;
    uint64_t pos;           /* body offset of the line being handled */
    uint64_t total;         /* body bytes pushed */
    size_t prev_eol;        /* line break length before the current line */
    uint64_t part_off, part_end;    /* PGP/MIME part 2's body */
};

const char *cm_enc_kind_name(cm_enc_kind kind)
{
    switch (kind) {
    case CM_ENC_PGP_MIME: return "pgp-mime";
    case CM_ENC_PGP_INLINE: return "pgp-inline";
    case CM_ENC_SMIME: return "smime";
    default: return "none";
    }
}

/* The Content-Type of a header list, which must have at most one: 1 parsed
 * (type NULL if absent), 0 more than one, -1 out of memory. */
static int header_ctype(const cm_hdrs *h, cm_ctype *ct)
{
    const cm_hdr *f = cm_hdrs_find(h, "Content-Type", 0);
    char *v;
    int r;

    memset(ct, 0, sizeof(*ct));
    if (cm_hdrs_count(h, "Content-Type") > 1)
        return 0;
    if (f == NULL)
        return 1;
    if ((v = cm_hdr_unfold(f->value)) == NULL)
        return -1;
    r = cm_ctype_parse(v, ct);
    free(v);
    return r < 0 ? -1 : 1;
}

int cm_detect_cte(const cm_hdrs *h)
{
    const cm_hdr *f = cm_hdrs_find(h, "Content-Transfer-Encoding", 0);
    char *v;
    int r = 0;

    if (f == NULL)
        return 1;
    if (cm_hdrs_count(h, "Content-Transfer-Encoding") > 1 || (v = cm_hdr_unfold(f->value)) == NULL)
        return 0;
    if (strcasecmp(v, "7bit") == 0 || strcasecmp(v, "8bit") == 0 || strcasecmp(v, "binary") == 0)
        r = 1;
    else if (strcasecmp(v, "base64") == 0)
        r = 2;
    free(v);
    return r;
}

static int choose_mode(cm_detector *d, const cm_hdrs *h)
{
    const char *proto, *b, *st;
    cm_ctype ct;
    int r, cte = cm_detect_cte(h);

    if ((r = header_ctype(h, &ct)) <= 0)
        return r;
    if (cm_ctype_is(&ct, "multipart", "encrypted")) {
        proto = cm_ctype_param(&ct, "protocol");
        b = cm_ctype_param(&ct, "boundary");
        if (cte == 1 && proto != NULL && b != NULL && *b
            && strcasecmp(proto, "application/pgp-encrypted") == 0) {
            if ((d->boundary = strdup(b)) == NULL)
                r = -1;
            else
                d->mode = M_PGP_MIME;
        }
    } else if (cm_ctype_is(&ct, "application", "pkcs7-mime")
               || cm_ctype_is(&ct, "application", "x-pkcs7-mime")) {
        st = cm_ctype_param(&ct, "smime-type");
        if (st == NULL || strcasecmp(st, "enveloped-data") == 0
            || strcasecmp(st, "authenveloped-data") == 0)
            d->mode = cte == 2 ? M_SMIME_B64 : cte == 1 ? M_SMIME_BIN : M_NONE;
    } else if (ct.type == NULL || cm_ctype_is(&ct, "text", "plain")) {
        /* An unparsable Content-Type is not text/plain to every reader. */
        if (cte == 1 && (ct.type != NULL || cm_hdrs_find(h, "Content-Type", 0) == NULL))
            d->mode = M_INLINE;
    }
    cm_ctype_free(&ct);
    return r;
}

cm_detector *cm_detector_new(const cm_hdrs *h)
{
    cm_detector *d = calloc(1, sizeof(*d));

    if (d == NULL)
        return NULL;
    cm_armor_init(&d->armor);
    cm_lines_init(&d->lines, CM_ARMOR_MAX_LINE);   /* no line of real ciphertext is longer */
    cm_b64_init(&d->b64);
    cm_der_init(&d->der);
    if (choose_mode(d, h) < 0) {
        cm_detector_free(d);
        return NULL;
    }
    if (d->mode == M_NONE)
        d->bad = 1;
    return d;
}

void cm_detector_free(cm_detector *d)
{
    if (d == NULL)
        return;
    free(d->boundary);
    cm_lines_free(&d->lines);
    cm_buf_free(&d->part_hdr);
    cm_buf_free(&d->der_out);
    cm_armor_free(&d->armor);
    free(d);
}

int cm_detector_decided(const cm_detector *d)
{
    return d->bad;
}

static int is_ws(int c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* 1 "--boundary", 2 "--boundary--", 0 neither (transport padding allowed). */
static int delimiter(const cm_detector *d, const unsigned char *p, size_t n)
{
    size_t bl = strlen(d->boundary);

    if (n < bl + 2 || p[0] != '-' || p[1] != '-' || memcmp(p + 2, d->boundary, bl) != 0)
        return 0;
    p += bl + 2;
    n -= bl + 2;
    if (n >= 2 && p[0] == '-' && p[1] == '-')
        return 2;
    return n == 0 ? 1 : 0;
}

/* The header section of a PGP/MIME part is complete: is it the right type? */
static int part_header_ok(cm_detector *d, const char *type, const char *subtype)
{
    cm_hdrs h;
    cm_ctype ct;
    size_t off;
    cm_stat st;
    int r = 0;

    cm_hdrs_init(&h, 32, CM_DETECT_MAX_PART_HEADER * 2);
    if (cm_hdrs_parse(&h, d->part_hdr.data, d->part_hdr.len, 1, &off, &st) == CM_HPARSE_DONE
        && off == d->part_hdr.len) {
        if ((r = header_ctype(&h, &ct)) == 1) {
            r = cm_ctype_is(&ct, type, subtype) && cm_detect_cte(&h) == 1;
            cm_ctype_free(&ct);
        }
    } else if (st == CM_ERR_NOMEM) {
        r = -1;
    }
    cm_hdrs_free(&h);
    cm_buf_reset(&d->part_hdr);
    return r;
}

static int note(cm_detector *d, size_t n)
{
    d->note += n;
    return d->note <= CM_DETECT_MAX_NOTE;
}

/* One line of a PGP/MIME body, without its line break; trailing white
 * space is trimmed for the structure, kept for the armor. */
static int pgp_mime_line(cm_detector *d, const unsigned char *p, size_t n)
{
    size_t t = n;
    int delim, r;

    while (t > 0 && is_ws(p[t - 1]))
        t--;
    delim = delimiter(d, p, t);
    switch (d->state) {
    case P_PREAMBLE:
        if (delim == 1)
            d->state = P_HDR1;
        else if (delim == 2 || !note(d, t))
            d->bad = 1;
        break;
    case P_HDR1:
    case P_HDR2:
        if (delim) {
            d->bad = 1;
        } else if (t == 0) {
            if ((r = part_header_ok(d, "application", d->state == P_HDR1 ? "pgp-encrypted"
                                    : "octet-stream")) < 0)
                return -1;
            if (r == 0)
                d->bad = 1;
            d->state = d->state == P_HDR1 ? P_BODY1 : P_BODY2;
        } else if (d->part_hdr.len + n + 1 > CM_DETECT_MAX_PART_HEADER) {
            d->bad = 1;
        } else if (cm_buf_append(&d->part_hdr, p, n) < 0 || cm_buf_putc(&d->part_hdr, '\n') < 0) {
            return -1;
        }
        break;
    case P_BODY1:
        if (delim == 1 && d->version_seen)
            d->state = P_HDR2;
        else if (delim != 0)
            d->bad = 1;
        else if (t != 0 && !d->version_seen && t == 10
                 && strncasecmp((const char *) p, "Version: 1", 10) == 0)
            d->version_seen = 1;
        else if (t != 0)
            d->bad = 1;
        break;
    case P_BODY2:
        if (delim == 1) {
            d->bad = 1;         /* a third part */
        } else if (delim == 2) {
            if ((r = cm_armor_finish(&d->armor)) < 0)
                return -1;
            d->bad = r == 0;
            d->state = P_EPILOGUE;
        } else {
            if (cm_armor_line(&d->armor, p, n) < 0)
                return -1;
            d->bad = cm_armor_failed(&d->armor);
        }
        break;
    default:
        if (!note(d, t))
            d->bad = 1;
        break;
    }
    return 0;
}

static int smime_line(cm_detector *d, const unsigned char *p, size_t n)
{
    int r;

    while (n > 0 && is_ws(p[n - 1]))
        n--;
    if (n == 0) {
        d->state = 1;           /* only blank lines may follow */
        return 0;
    }
    if (d->state == 1) {
        d->bad = 1;
        return 0;
    }
    cm_buf_reset(&d->der_out);
    if ((r = cm_b64_decode(&d->b64, (const char *) p, n, &d->der_out, (size_t) -1)) == -2)
        return -1;
    if (r < 0 || memchr(p, ' ', n) != NULL || memchr(p, '\t', n) != NULL) {
        d->bad = 1;
        return 0;
    }
    cm_der_push(&d->der, d->der_out.data, d->der_out.len);
    d->bad = d->der.bad;
    return 0;
}

static int dispatch(cm_detector *d, const unsigned char *p, size_t n)
{
    switch (d->mode) {
    case M_PGP_MIME:
        return pgp_mime_line(d, p, n);
    case M_INLINE:
        if (cm_armor_line(&d->armor, p, n) < 0)
            return -1;
        d->bad = cm_armor_failed(&d->armor);
        return 0;
    default:
        return smime_line(d, p, n);
    }
}

/* Each line, with its offset in the body kept for cm_detector_where. */
static int one_line(void *arg, const unsigned char *p, size_t n)
{
    cm_detector *d = arg;
    int state = d->state, r = dispatch(d, p, n);

    if (d->mode == M_PGP_MIME && state != d->state) {
        if (d->state == P_BODY2)
            d->part_off = d->pos + n + 1;       /* after the blank line */
        else if (state == P_BODY2)
            d->part_end = d->pos >= d->part_off + d->prev_eol ? d->pos - d->prev_eol : d->part_off;
    }
    d->prev_eol = n > 0 && p[n - 1] == '\r' ? 2 : 1;
    d->pos += n + 1;
    return r;
}

int cm_detector_push(cm_detector *d, const unsigned char *p, size_t n)
{
    int r;

    if (d->bad)
        return 0;
    d->total += n;
    if (d->mode == M_SMIME_BIN) {
        cm_der_push(&d->der, p, n);
        d->bad = d->der.bad;
        return 0;
    }
    r = cm_lines_push(&d->lines, p, n, one_line, d, &d->bad);
    if (d->lines.too_long)
        d->bad = 1;
    return r;
}

int cm_detector_finish(cm_detector *d, cm_enc_kind *kind)
{
    int r;

    *kind = CM_ENC_NONE;
    if (!d->bad && cm_lines_finish(&d->lines, one_line, d) < 0)
        return -1;
    if (d->bad)
        return 0;
    switch (d->mode) {
    case M_PGP_MIME:
        if (d->state == P_EPILOGUE)
            *kind = CM_ENC_PGP_MIME;
        break;
    case M_INLINE:
        if ((r = cm_armor_finish(&d->armor)) < 0)
            return -1;
        if (r == 1)
            *kind = CM_ENC_PGP_INLINE;
        break;
    case M_SMIME_B64:
        if (d->b64.bits >= 6)
            break;
        /* fall through */
    case M_SMIME_BIN:
        if (cm_der_is_enveloped(&d->der))
            *kind = CM_ENC_SMIME;
        break;
    default:
        break;
    }
    return 0;
}

void cm_detector_where(const cm_detector *d, cm_detect_where *w)
{
    w->cte = d->mode == M_SMIME_B64 ? CM_CTE_BASE64 : CM_CTE_IDENTITY;
    w->pkt = d->armor.pkt;
    if (d->mode == M_PGP_MIME) {
        w->off = d->part_off;
        w->len = d->part_end - d->part_off;
    } else {
        w->off = 0;
        w->len = d->total;
    }
}

int cm_detect(const cm_hdrs *h, const unsigned char *body, size_t n, cm_enc_kind *kind)
{
    cm_detector *d = cm_detector_new(h);
    int r;

    *kind = CM_ENC_NONE;
    if (d == NULL)
        return -1;
    r = cm_detector_push(d, body, n);
    if (r == 0)
        r = cm_detector_finish(d, kind);
    cm_detector_free(d);
    return r;
}
