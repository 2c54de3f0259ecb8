/* cm_armor - OpenPGP ASCII armor (RFC 4880 §6) reading, and packet sniffing. */
#include "cm_armor.h"
#include "cm_base64.h"

#include <string.h>

#define BEGIN_LINE "-----BEGIN PGP MESSAGE-----"
#define END_LINE "-----END PGP MESSAGE-----"

enum { PKT_PKESK = 1, PKT_SKESK = 3, PKT_SED = 9, PKT_SEIPD = 18, PKT_AEAD = 20 };

static int is_ws(int c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Next line: [*s, *e) without the line break; returns the position after it. */
static size_t next_line(const unsigned char *p, size_t n, size_t pos, size_t *s, size_t *e)
{
    const unsigned char *nl = memchr(p + pos, '\n', n - pos);
    size_t end = nl ? (size_t) (nl - p) : n;

    *s = pos;
    *e = end;
    while (*e > *s && is_ws(p[*e - 1]))
        (*e)--;
    return nl ? end + 1 : n;
}

static int line_is(const unsigned char *p, size_t s, size_t e, const char *want)
{
    return e - s == strlen(want) && memcmp(p + s, want, e - s) == 0;
}

int cm_armor_message(const unsigned char *p, size_t n, int complete, size_t max,
                     cm_buf *out)
{
    size_t pos = 0, s, e;
    cm_b64 dec;
    int in_headers = 1, r;

    while (pos < n && is_ws(p[pos]))
        pos++;
    pos = next_line(p, n, pos, &s, &e);
    if (!line_is(p, s, e, BEGIN_LINE))
        return 0;
    cm_b64_init(&dec);
    while (pos < n) {
        if (!complete && memchr(p + pos, '\n', n - pos) == NULL)
            return in_headers ? 0 : 1;  /* cut off mid-line: judge what came before */
        pos = next_line(p, n, pos, &s, &e);
        if (in_headers) {
            /* Armor headers "Key: value" until an empty line. */
            if (s == e)
                in_headers = 0;
            else if (memchr(p + s, ':', e - s) == NULL)
                return 0;
            continue;
        }
        if (line_is(p, s, e, END_LINE)) {
            while (pos < n && is_ws(p[pos]))
                pos++;
            return pos == n ? 1 : 0;
        }
        if (e > s && p[s] == '=' && e - s == 5)
            continue;           /* CRC-24 line */
        if ((r = cm_b64_decode(&dec, (const char *) p + s, e - s, out, max)) == -2)
            return -1;
        if (r < 0)
            return 0;
        if (!complete && out->len >= max)
            return 1;
    }
    return complete ? 0 : !in_headers;  /* complete needs the END line */
}

/* Read one packet header at p; returns header length, or 0 if malformed or
 * truncated. *body_len is the body length; *partial is set for partial lengths. */
static size_t packet_header(const unsigned char *p, size_t n, int *tag, size_t *body_len,
                            int *partial)
{
    *partial = 0;
    if (n < 2 || !(p[0] & 0x80))
        return 0;
    if (p[0] & 0x40) {          /* new format */
        *tag = p[0] & 0x3f;
        if (p[1] < 192) {
            *body_len = p[1];
            return 2;
        }
        if (p[1] < 224) {
            if (n < 3)
                return 0;
            *body_len = ((size_t) (p[1] - 192) << 8) + p[2] + 192;
            return 3;
        }
        if (p[1] == 255) {
            if (n < 6)
                return 0;
            *body_len = ((size_t) p[2] << 24) | ((size_t) p[3] << 16) | ((size_t) p[4] << 8) | p[5];
            return 6;
        }
        *partial = 1;
        *body_len = (size_t) 1 << (p[1] & 0x1f);
        return 2;
    }
    *tag = (p[0] >> 2) & 0x0f;  /* old format */
    switch (p[0] & 3) {
    case 0:
        *body_len = p[1];
        return 2;
    case 1:
        if (n < 3)
            return 0;
        *body_len = ((size_t) p[1] << 8) | p[2];
        return 3;
    case 2:
        if (n < 5)
            return 0;
        *body_len = ((size_t) p[1] << 24) | ((size_t) p[2] << 16) | ((size_t) p[3] << 8) | p[4];
        return 5;
    default:
        *partial = 1;           /* indeterminate length */
        *body_len = 0;
        return 1;
    }
}

int cm_pgp_is_encrypted(const unsigned char *p, size_t n)
{
    size_t pos = 0, esk = 0;

    while (pos < n) {
        size_t hl, bl;
        int tag, partial;

        if ((hl = packet_header(p + pos, n - pos, &tag, &bl, &partial)) == 0)
            return 0;
        if (tag == PKT_SEIPD || tag == PKT_AEAD || tag == PKT_SED)
            return esk > 0;
        if ((tag != PKT_PKESK && tag != PKT_SKESK) || partial)
            return 0;
        if (bl > n - pos - hl)
            return 0;
        pos += hl + bl;
        esk++;
    }
    return 0;
}
