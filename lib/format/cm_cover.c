/* cm_cover - is a decrypted outbound entity exactly what its signature
 * covers (SPEC §4.2)? */
#include "cm_cover.h"
#include "cm_ctype.h"
#include "cm_der.h"
#include "cm_smimedecrypt.h"
#include "cm_wrapfield.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int is_ws(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static int all_ws(const unsigned char *p, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (!is_ws(p[i]))
            return 0;
    return 1;
}


/* CM_GATE_UNCOVERED, with what is unsigned in why. */
__attribute__((format(printf, 3, 4)))
static cm_stat uncovered(char *why, size_t len, const char *what, ...);

static cm_stat uncovered(char *why, size_t len, const char *what, ...)
{
    va_list ap;

    va_start(ap, what);
    vsnprintf(why, len, what, ap);
    va_end(ap);
    return CM_GATE_UNCOVERED;
}

/* A chunk sink: 1 (stop) at the first byte that is not whitespace. */
static int not_ws(void *arg, const void *p, size_t n)
{
    (void) arg;
    return !all_ws(p, n);
}

/* Is the range of plain empty or whitespace? 1, 0, or -1 (errno). */
static int range_ws(cm_spool *plain, const cm_part64 *r)
{
    int rc = cm_spool_range_feed(plain, r->off, r->len, not_ws, NULL);

    return rc < 0 ? -1 : !rc;
}

/* Do a and b hold the field name the same number of times, with the same
 * values (unfolded, so a refolded copy is the same field)? */
static cm_stat same_fields(const cm_hdrs *a, const cm_hdrs *b, const char *name, int *same)
{
    size_t i, n = cm_hdrs_count(a, name);
    cm_stat st = CM_OK;

    *same = n == cm_hdrs_count(b, name);
    for (i = 0; *same && i < n && st == CM_OK; i++) {
        char *va = cm_hdr_unfold(cm_hdrs_find(a, name, i)->value);
        char *vb = cm_hdr_unfold(cm_hdrs_find(b, name, i)->value);

        if (va == NULL || vb == NULL)
            st = CM_ERR_NOMEM;
        else
            *same = strcmp(va, vb) == 0;
        free(va);
        free(vb);
    }
    return st;
}

/* What the wrappers may hold (cm_wrapfield). */
static const char *const file_names[] = {
    "signature.asc", "OpenPGP_signature.asc", "OpenPGP_signature", "signature.sig",
    "smime.p7s", "smime.p7m", NULL
};
static const char *const sig_types[] = {
    "application/pgp-signature", "application/pkcs7-signature", "application/x-pkcs7-signature",
    NULL
};
static const char *const v1[] = {"v1", NULL};
static const char *const hp[] = {"cipher", "clear", NULL};
static const char *const signed_data[] = {"signed-data", NULL};
static const char *const attachment[] = {"attachment", "inline", NULL};
static const char *const identity[] = {"7bit", "8bit", "binary", NULL};
static const char *const any_cte[] = {"7bit", "8bit", "binary", "base64", NULL};
static const char *const multipart_signed_type[] = {"multipart/signed", NULL};
static const char *const opaque_types[] = {"application/pkcs7-mime", "application/x-pkcs7-mime",
                                           NULL};

static const cm_wrap_param signed_params[] = {
    {"protocol", NULL, 0, sig_types},
    {"micalg", CM_WRAP_ALNUM "-,", 64, NULL},
    {"boundary", CM_WRAP_BCHARS, 70, NULL},
    {"protected-headers", NULL, 0, v1},
    {"hp", NULL, 0, hp},
    {NULL, NULL, 0, NULL}
};
static const cm_wrap_param name_params[] = {
    {"name", NULL, 0, file_names},
    {"smime-type", NULL, 0, signed_data},
    {NULL, NULL, 0, NULL}
};
static const cm_wrap_param filename_params[] = {
    {"filename", NULL, 0, file_names},
    {NULL, NULL, 0, NULL}
};

/* The multipart/signed's own header; its signature part's; the S/MIME
 * opaque wrapper's. */
static const cm_wrap_rules signed_rules = {
    multipart_signed_type, signed_params, NULL, NULL, identity, 0
};
static const cm_wrap_rules sigpart_rules = {
    sig_types, name_params, attachment, filename_params, any_cte, 1
};
static const cm_wrap_rules opaque_rules = {
    opaque_types, name_params, attachment, filename_params, any_cte, 1
};

/* The multipart/signed's own header: its wrapper fields, and protected
 * fields that its signed part carries too, with the same values. */
static cm_stat signed_header(const cm_stripped *x, char *why, size_t len)
{
    size_t i;
    int same;
    cm_stat st;

    if ((st = cm_wrapfield_check(&x->ehdrs, &signed_rules, 0, "outside the signed part", why,
                                 len)) != CM_OK)
        return st;
    for (i = 0; i < x->ehdrs.n; i++) {
        const char *name = x->ehdrs.v[i].name;

        if (cm_hdr_is_content(name) || strcasecmp(name, "MIME-Version") == 0)
            continue;
        if (!x->signed_protected)
            return uncovered(why, len, "the header field %s outside the signed part", name);
        if ((st = same_fields(&x->ehdrs, &x->phdrs, name, &same)) != CM_OK)
            return st;
        if (!same)
            return uncovered(why, len, "the protected header field %s differs from the signed "
                             "part's", name);
    }
    return CM_OK;
}

/* Is the line p[0..n) the armor line mark, padded with whitespace only? */
static int is_mark(const unsigned char *p, size_t n, const char *mark)
{
    size_t ml = strlen(mark);

    return n >= ml && memcmp(p, mark, ml) == 0 && all_ws(p + ml, n - ml);
}

/* A line inside the armor: an armor header (before the blank line), radix
 * 64, or the checksum. state: 1 headers, 2 data, 3 after the checksum. */
static int armor_line(const unsigned char *p, size_t n, int *state)
{
    static const char *const keys[] = {"Version", "Hash", NULL};
    size_t i, k;

    while (n > 0 && is_ws(p[n - 1]))
        n--;
    if (*state == 1) {
        if (n == 0) {
            *state = 2;
            return 1;
        }
        for (k = 0; keys[k] != NULL; k++) {
            size_t kl = strlen(keys[k]);

            if (n > kl + 1 && strncasecmp((const char *) p, keys[k], kl) == 0 && p[kl] == ':')
                break;
        }
        if (keys[k] == NULL || n > 80)
            return 0;
        for (i = 0; i < n; i++)
            if (p[i] < 0x20 || p[i] > 0x7e)
                return 0;
        return 1;
    }
    if (*state == 3 || n == 0)
        return n == 0;
    if (p[0] == '=' && n == 5) {
        *state = 3;
        p++;
        n--;
    }
    for (i = 0; i < n; i++)
        if (!cm_b64_is_data(p[i]))
            return 0;
    return 1;
}

/* An OpenPGP signature alone: whitespace, then the BEGIN line, armor
 * headers, radix 64 and its checksum, the END line, whitespace. */
static int armor_alone(const unsigned char *p, size_t n)
{
    static const char begin[] = "-----BEGIN PGP SIGNATURE-----";
    static const char end[] = "-----END PGP SIGNATURE-----";
    size_t pos = 0, eol;
    int state = 0;          /* 0 before, 1-3 in the armor (armor_line), 4 after */

    while (pos < n) {
        const unsigned char *nl = memchr(p + pos, '\n', n - pos);
        size_t ll;

        eol = nl ? (size_t) (nl - p) + 1 : n;
        ll = eol - pos;
        if (state == 0 && is_mark(p + pos, ll, begin))
            state = 1;
        else if (state >= 1 && state <= 3 && is_mark(p + pos, ll, end))
            state = 4;
        else if (state >= 1 && state <= 3 ? !armor_line(p + pos, ll, &state)
                 : !all_ws(p + pos, ll))
            return 0;
        pos = eol;
    }
    return state == 4;
}

/* Is p[0..n) exactly one BER element: binary, or base64 when b64? */
static cm_stat one_element(const unsigned char *p, size_t n, int b64, int *ok)
{
    cm_buf der = CM_BUF_INIT;
    cm_b64 d;
    cm_der e;
    int r;

    *ok = 0;
    if (b64) {
        cm_b64_init(&d);
        if ((r = cm_b64_decode(&d, (const char *) p, n, &der, (size_t) -1)) == -2) {
            cm_buf_free(&der);
            return CM_ERR_NOMEM;
        }
        if (r < 0) {
            cm_buf_free(&der);
            return CM_OK;
        }
        p = (const unsigned char *) der.data;
        n = der.len;
    }
    cm_der_init(&e);
    cm_der_push(&e, p, n);
    *ok = cm_der_finish(&e);
    cm_buf_free(&der);
    return CM_OK;
}

/* The signature part (relayed byte for byte inside the multipart/signed):
 * its wrapper fields, and the signature with nothing around it. */
static cm_stat signature_part(const cm_stripped *x, char *why, size_t len)
{
    const unsigned char *p = (const unsigned char *) x->sig.data;
    int ok;
    cm_stat st;

    if ((st = cm_wrapfield_check(&x->shdrs, &sigpart_rules, 1, "in the signature part", why,
                                 len)) != CM_OK)
        return st;
    if (x->sig_cms) {
        if ((st = one_element(p, x->sig.len, x->sig_b64, &ok)) != CM_OK)
            return st;
    } else {
        ok = armor_alone(p, x->sig.len);
    }
    return ok ? CM_OK : uncovered(why, len, "text %s in the signature part", "beside the signature");
}

/* The sentences mail programs write as a multipart/signed's preamble
 * (RFC 2046: for readers that know no MIME; MIME readers show nothing of
 * it). They say nothing of the sender's, so they may stand there. */
static const char *const boilerplate[] = {
    "This is an S/MIME signed message",                                 /* OpenSSL */
    "This is a cryptographically signed message in MIME format.",       /* Thunderbird */
    "This is an OpenPGP/MIME signed message (RFC 4880 and 3156)",       /* Enigmail, TB */
    "This is an OpenPGP/MIME signed message",
    "This is a multipart message in MIME format.",                      /* Outlook */
    "This is a multi-part message in MIME format.",                     /* Mozilla, KMail */
    NULL
};

/* Is the preamble whitespace and boilerplate lines? 1, 0, or -1 (errno).
 * It is short or it is not boilerplate: at most 4 KiB are read. */
static int preamble_ok(cm_spool *plain, const cm_part64 *r)
{
    char buf[4096];
    size_t pos = 0, i, n;
    ssize_t got;

    if (r->len > sizeof(buf))
        return 0;
    n = (size_t) r->len;
    if ((got = cm_spool_read_full_at(plain, r->off, buf, n)) < 0)
        return -1;
    if ((size_t) got != n) {
        errno = EIO;
        return -1;
    }
    while (pos < n) {
        const char *nl = memchr(buf + pos, '\n', n - pos);
        size_t eol = nl ? (size_t) (nl - buf) + 1 : n, b = pos, e = eol;

        while (b < e && is_ws((unsigned char) buf[b]))
            b++;
        while (e > b && is_ws((unsigned char) buf[e - 1]))
            e--;
        for (i = 0; b < e && boilerplate[i] != NULL; i++)
            if (strlen(boilerplate[i]) == e - b && memcmp(buf + b, boilerplate[i], e - b) == 0)
                break;
        if (b < e && boilerplate[i] == NULL)
            return 0;
        pos = eol;
    }
    return 1;
}

static cm_stat multipart_signed(const cm_stripped *x, cm_spool *plain, char *why, size_t len)
{
    cm_stat st;
    int r;

    if ((st = signed_header(x, why, len)) != CM_OK)
        return st;
    if ((r = preamble_ok(plain, &x->preamble)) <= 0)
        return r < 0 ? cm_stat_of_errno(errno)
               : uncovered(why, len, "text before the signed part (the %s)", "preamble");
    if ((r = range_ws(plain, &x->epilogue)) <= 0)
        return r < 0 ? cm_stat_of_errno(errno)
               : uncovered(why, len, "text after the signed part (the %s)", "epilogue");
    return signature_part(x, why, len);
}

/* Opaque signed data: the S/MIME wrapper's own fields, and one element,
 * nothing after it. */
static cm_stat opaque(const cm_stripped *x, cm_spool *plain, char *why, size_t len)
{
    unsigned char buf[16384];
    cm_der_reader d;
    cm_der e;
    ssize_t n;
    int ok;
    cm_stat st;

    if ((st = cm_wrapfield_check(&x->ehdrs, &opaque_rules, 1, "outside the signed data", why,
                                 len)) != CM_OK)
        return st;
    cm_der_init(&e);
    cm_der_reader_init(&d, plain, x->opaque_body.off, x->opaque_body.len,
                       x->opaque_b64 ? CM_CTE_BASE64 : CM_CTE_IDENTITY);
    while ((n = cm_der_reader_read(&d, buf, sizeof(buf))) > 0)
        cm_der_push(&e, buf, (size_t) n);
    ok = n == 0 && !d.bad && cm_der_finish(&e);
    cm_der_reader_free(&d);
    if (n < 0 || d.err != 0) {
        errno = d.err ? d.err : EIO;
        return cm_stat_of_errno(errno);
    }
    return ok ? CM_OK : uncovered(why, len, "content %s, or signed data that cannot be read",
                                  "after the signed data");
}

cm_stat cm_cover_check(const cm_stripped *x, cm_spool *plain, char *why, size_t len)
{
    if (x->is_signed)
        return multipart_signed(x, plain, why, len);
    if (x->opaque)
        return opaque(x, plain, why, len);
    return CM_OK;
}
