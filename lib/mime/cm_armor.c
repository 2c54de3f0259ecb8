/* cm_armor - a streaming reader of one OpenPGP ASCII-armored message. */
#include "cm_armor.h"

#include <string.h>
#include <strings.h>

#define BEGIN_LINE "-----BEGIN PGP MESSAGE-----"
#define END_LINE "-----END PGP MESSAGE-----"

enum { ST_BEFORE, ST_HEADERS, ST_DATA, ST_CRC, ST_AFTER };

static const char *const header_keys[] = {"Version", "Comment", "Charset"};

void cm_armor_init(cm_armor *a)
{
    memset(a, 0, sizeof(*a));
    a->state = ST_BEFORE;
    a->crc = CM_CRC24_INIT;
    cm_b64_init(&a->dec);
    cm_lines_init(&a->lines, CM_ARMOR_MAX_LINE);
    cm_buf_init(&a->out);
    cm_pgppkt_init(&a->pkt);
}

void cm_armor_free(cm_armor *a)
{
    cm_lines_free(&a->lines);
    cm_buf_free(&a->out);
}

int cm_armor_failed(const cm_armor *a)
{
    return a->bad || a->pkt.bad;
}

static int is_ws(int c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static int line_is(const unsigned char *p, size_t n, const char *want)
{
    return n == strlen(want) && memcmp(p, want, n) == 0;
}

/* "Key: value" with a known key, seen once, and a short value. */
static int armor_header(cm_armor *a, const unsigned char *p, size_t n)
{
    const unsigned char *colon = memchr(p, ':', n);
    size_t i, klen;

    if (colon == NULL || colon + 1 >= p + n || colon[1] != ' ')
        return 0;
    klen = (size_t) (colon - p);
    if (n - klen - 2 > CM_ARMOR_MAX_HEADER)
        return 0;
    for (i = 0; i < sizeof(header_keys) / sizeof(header_keys[0]); i++) {
        if (klen == strlen(header_keys[i]) && strncasecmp((const char *) p, header_keys[i], klen) == 0) {
            if (a->seen_hdrs & (1u << i))
                return 0;
            a->seen_hdrs |= 1u << i;
            return 1;
        }
    }
    return 0;
}

static int b64_char(int c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
        || c == '+' || c == '/';
}

/* "=XXXX": the CRC-24 line. */
static int crc_line(cm_armor *a, const unsigned char *p, size_t n)
{
    cm_b64 d;
    cm_buf raw = CM_BUF_INIT;
    int ok;
    size_t i;

    if (n != 5 || p[0] != '=')
        return 0;
    for (i = 1; i < 5; i++)
        if (!b64_char(p[i]))
            return 0;
    cm_b64_init(&d);
    ok = cm_b64_decode(&d, (const char *) p + 1, 4, &raw, 3) == 0 && raw.len == 3;
    if (ok)
        a->want_crc = (uint32_t) raw.data[0] << 16 | (uint32_t) raw.data[1] << 8 | raw.data[2];
    cm_buf_free(&raw);
    return ok ? 1 : -1;
}

static int data_line(cm_armor *a, const unsigned char *p, size_t n)
{
    size_t i;
    int r;

    for (i = 0; i < n; i++)
        if (!cm_b64_is_data(p[i]))
            return 0;
    cm_buf_reset(&a->out);
    if ((r = cm_b64_decode(&a->dec, (const char *) p, n, &a->out, (size_t) -1)) == -2)
        return -1;
    if (r < 0)
        return 0;
    a->crc = cm_crc24(a->crc, a->out.data, a->out.len);
    a->decoded += a->out.len;
    cm_pgppkt_push(&a->pkt, a->out.data, a->out.len);
    return 1;
}

int cm_armor_line(cm_armor *a, const unsigned char *p, size_t n)
{
    int r;

    if (a->bad)
        return 0;
    if (n > CM_ARMOR_MAX_LINE) {
        a->bad = 1;
        return 0;
    }
    while (n > 0 && is_ws(p[n - 1]))
        n--;
    switch (a->state) {
    case ST_BEFORE:
        if (n == 0)
            break;
        if (line_is(p, n, BEGIN_LINE))
            a->state = ST_HEADERS;
        else
            a->bad = 1;
        break;
    case ST_HEADERS:
        if (n == 0)
            a->state = ST_DATA;
        else if (!armor_header(a, p, n))
            a->bad = 1;
        break;
    case ST_DATA:
        if (line_is(p, n, END_LINE)) {
            a->state = ST_AFTER;
        } else if (n > 0 && p[0] == '=') {
            if ((r = crc_line(a, p, n)) < 0)
                return -1;
            if (r == 0)
                a->bad = 1;
            a->has_crc = 1;
            a->state = ST_CRC;
        } else if (n == 0) {
            a->bad = 1;
        } else if ((r = data_line(a, p, n)) <= 0) {
            if (r < 0)
                return -1;
            a->bad = 1;
        }
        break;
    case ST_CRC:
        if (line_is(p, n, END_LINE))
            a->state = ST_AFTER;
        else
            a->bad = 1;
        break;
    default:
        if (n != 0)
            a->bad = 1;
        break;
    }
    return 0;
}

static int line_cb(void *a, const unsigned char *p, size_t n)
{
    return cm_armor_line(a, p, n);
}

int cm_armor_push(cm_armor *a, const unsigned char *p, size_t n)
{
    int r = cm_lines_push(&a->lines, p, n, line_cb, a, &a->bad);

    if (a->lines.too_long)
        a->bad = 1;
    return r;
}

int cm_armor_finish(cm_armor *a)
{
    if (cm_lines_finish(&a->lines, line_cb, a) < 0)
        return -1;
    if (a->bad || a->state != ST_AFTER)
        return 0;
    /* Leftover bits of a final partial quantum must be padding zeros. */
    if (a->dec.bits >= 6)
        return 0;
    if (a->has_crc && a->want_crc != a->crc)
        return 0;
    return cm_pgppkt_finish(&a->pkt);
}
