/* cm_detect - is this message already encrypted (SPEC §3.1)? */
#include "cm_detect.h"
#include "cm_armor.h"
#include "cm_base64.h"
#include "cm_ctype.h"
#include "cm_mime.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Decoded bytes needed to walk the session key packets. */
#define PKT_WINDOW (64 * 1024)

/* DER ContentInfo prefixes: SEQUENCE, then the contentType OID. */
static const unsigned char oid_enveloped[] = {0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7,
                                              0x0d, 0x01, 0x07, 0x03};
static const unsigned char oid_auth_enveloped[] = {0x06, 0x0b, 0x2a, 0x86, 0x48, 0x86, 0xf7,
                                                   0x0d, 0x01, 0x09, 0x10, 0x01, 0x17};

const char *cm_enc_kind_name(cm_enc_kind kind)
{
    switch (kind) {
    case CM_ENC_PGP_MIME: return "pgp-mime";
    case CM_ENC_PGP_INLINE: return "pgp-inline";
    case CM_ENC_SMIME: return "smime";
    default: return "none";
    }
}

/* Parse the Content-Type of a header list; 0 ok (type NULL if absent), -1 nomem. */
static int header_ctype(const cm_hdrs *h, cm_ctype *ct)
{
    const cm_hdr *f = cm_hdrs_find(h, "Content-Type", 0);
    char *v;
    int r;

    memset(ct, 0, sizeof(*ct));
    if (f == NULL)
        return 0;
    if ((v = cm_hdr_unfold(f->value)) == NULL)
        return -1;
    r = cm_ctype_parse(v, ct);
    free(v);
    return r;
}

/* The Content-Transfer-Encoding, lower-cased into buf ("" if absent). */
static void header_cte(const cm_hdrs *h, char *buf, size_t len)
{
    const cm_hdr *f = cm_hdrs_find(h, "Content-Transfer-Encoding", 0);
    char *v;
    size_t i;

    buf[0] = 0;
    if (f == NULL || (v = cm_hdr_unfold(f->value)) == NULL)
        return;
    for (i = 0; v[i] && i + 1 < len; i++)
        buf[i] = (char) (v[i] >= 'A' && v[i] <= 'Z' ? v[i] + 32 : v[i]);
    buf[i] = 0;
    free(v);
}

static int identity_cte(const char *cte)
{
    return *cte == 0 || strcmp(cte, "7bit") == 0 || strcmp(cte, "8bit") == 0
        || strcmp(cte, "binary") == 0;
}

/* Armored OpenPGP message with real session key packets and encrypted data? */
static int armored_ciphertext(const unsigned char *p, size_t n, int complete)
{
    cm_buf raw = CM_BUF_INIT;
    int r = cm_armor_message(p, n, complete, PKT_WINDOW, &raw);

    if (r == 1)
        r = cm_pgp_is_encrypted(raw.data, raw.len);
    cm_buf_free(&raw);
    return r;
}

static int detect_pgp_mime(const cm_ctype *ct, const unsigned char *body, size_t n,
                           int complete)
{
    const char *proto = cm_ctype_param(ct, "protocol"), *b = cm_ctype_param(ct, "boundary");
    cm_part parts[3];
    cm_hdrs ph;
    size_t np, off;
    int closed, r = 0, i;
    cm_stat st;

    if (proto == NULL || b == NULL || strcasecmp(proto, "application/pgp-encrypted") != 0)
        return 0;
    np = cm_mime_parts(body, n, b, parts, 3, &closed);
    /* Exactly two parts; with the whole body at hand, also a close delimiter. */
    if (np != 2 || !parts[0].complete || (complete && !closed))
        return 0;
    /* Part 1 must be the version part, part 2 the ciphertext. */
    for (i = 0; i < 2; i++) {
        const unsigned char *pp = body + parts[i].off;
        cm_ctype pct;

        cm_hdrs_init(&ph, 100, 64 * 1024);
        if (cm_hdrs_parse(&ph, pp, parts[i].len, 1, &off, &st) != CM_HPARSE_DONE
            || off > parts[i].len) {
            cm_hdrs_free(&ph);
            return st == CM_ERR_NOMEM ? -1 : 0;
        }
        if (header_ctype(&ph, &pct) < 0) {
            cm_hdrs_free(&ph);
            return -1;
        }
        if (i == 0)
            r = cm_ctype_is(&pct, "application", "pgp-encrypted");
        else
            r = cm_ctype_is(&pct, "application", "octet-stream")
                ? armored_ciphertext(pp + off, parts[i].len - off, parts[i].complete) : 0;
        cm_ctype_free(&pct);
        cm_hdrs_free(&ph);
        if (r != 1)
            return r;
    }
    return 1;
}

static int der_enveloped(const unsigned char *d, size_t n)
{
    size_t i = 2;

    if (n < 2 || d[0] != 0x30)
        return 0;
    if (d[1] & 0x80) {          /* long or indefinite (BER) length */
        if ((d[1] & 0x7f) > 4)
            return 0;
        i += d[1] & 0x7f;
    }
    if (n >= i + sizeof(oid_enveloped) && memcmp(d + i, oid_enveloped, sizeof(oid_enveloped)) == 0)
        return 1;
    return n >= i + sizeof(oid_auth_enveloped)
        && memcmp(d + i, oid_auth_enveloped, sizeof(oid_auth_enveloped)) == 0;
}

static int detect_smime(const cm_hdrs *h, const cm_ctype *ct, const unsigned char *body, size_t n)
{
    const char *st = cm_ctype_param(ct, "smime-type");
    char cte[32];
    cm_buf der = CM_BUF_INIT;
    cm_b64 dec;
    size_t take = n < 512 ? n : 512;
    int r = 0;

    if (st != NULL && strcasecmp(st, "enveloped-data") != 0
        && strcasecmp(st, "authenveloped-data") != 0)
        return 0;
    header_cte(h, cte, sizeof(cte));
    if (strcmp(cte, "base64") == 0) {
        /* Decode whole lines only, so a partial quantum is not an error. */
        while (take > 0 && body[take - 1] != '\n')
            take--;
        cm_b64_init(&dec);
        if (cm_b64_decode(&dec, (const char *) body, take, &der, 64) == -2)
            return -1;
        r = der_enveloped(der.data, der.len);
        cm_buf_free(&der);
        return r;
    }
    return identity_cte(cte) ? der_enveloped(body, n) : 0;
}

int cm_detect(const cm_hdrs *h, const unsigned char *body, size_t n, int complete,
              cm_enc_kind *kind)
{
    cm_ctype ct;
    char cte[32];
    int r = 0;

    *kind = CM_ENC_NONE;
    if (header_ctype(h, &ct) < 0)
        return -1;
    if (cm_ctype_is(&ct, "multipart", "encrypted")) {
        if ((r = detect_pgp_mime(&ct, body, n, complete)) == 1)
            *kind = CM_ENC_PGP_MIME;
    } else if (cm_ctype_is(&ct, "application", "pkcs7-mime")
               || cm_ctype_is(&ct, "application", "x-pkcs7-mime")) {
        if ((r = detect_smime(h, &ct, body, n)) == 1)
            *kind = CM_ENC_SMIME;
    } else if (ct.type == NULL || cm_ctype_is(&ct, "text", "plain")) {
        /* Inline PGP: the whole body is one armored message; needs all of it. */
        header_cte(h, cte, sizeof(cte));
        if (complete && identity_cte(cte) && (r = armored_ciphertext(body, n, 1)) == 1)
            *kind = CM_ENC_PGP_INLINE;
    }
    cm_ctype_free(&ct);
    return r < 0 ? -1 : 0;
}
