/* cm_armor - a streaming reader of one OpenPGP ASCII-armored message. */
#include "cm_armor.h"

#include <pthread.h>
#include <string.h>
#include <strings.h>

#define BEGIN_LINE "-----BEGIN PGP MESSAGE-----"
#define END_LINE "-----END PGP MESSAGE-----"

enum { ST_BEFORE, ST_HEADERS, ST_DATA, ST_CRC, ST_AFTER };

static const char *const header_keys[] = {"Version", "Comment", "Charset"};

/* CRC-24 of each byte value (RFC 4880 6.1, polynomial 0x1864CFB), for
 * the table-driven loop below: it runs over every armored byte. */
static const uint32_t crc24_table[256] = {
    0x000000u, 0x864cfbu, 0x8ad50du, 0x0c99f6u, 0x93e6e1u, 0x15aa1au,
    0x1933ecu, 0x9f7f17u, 0xa18139u, 0x27cdc2u, 0x2b5434u, 0xad18cfu,
    0x3267d8u, 0xb42b23u, 0xb8b2d5u, 0x3efe2eu, 0xc54e89u, 0x430272u,
    0x4f9b84u, 0xc9d77fu, 0x56a868u, 0xd0e493u, 0xdc7d65u, 0x5a319eu,
    0x64cfb0u, 0xe2834bu, 0xee1abdu, 0x685646u, 0xf72951u, 0x7165aau,
    0x7dfc5cu, 0xfbb0a7u, 0x0cd1e9u, 0x8a9d12u, 0x8604e4u, 0x00481fu,
    0x9f3708u, 0x197bf3u, 0x15e205u, 0x93aefeu, 0xad50d0u, 0x2b1c2bu,
    0x2785ddu, 0xa1c926u, 0x3eb631u, 0xb8facau, 0xb4633cu, 0x322fc7u,
    0xc99f60u, 0x4fd39bu, 0x434a6du, 0xc50696u, 0x5a7981u, 0xdc357au,
    0xd0ac8cu, 0x56e077u, 0x681e59u, 0xee52a2u, 0xe2cb54u, 0x6487afu,
    0xfbf8b8u, 0x7db443u, 0x712db5u, 0xf7614eu, 0x19a3d2u, 0x9fef29u,
    0x9376dfu, 0x153a24u, 0x8a4533u, 0x0c09c8u, 0x00903eu, 0x86dcc5u,
    0xb822ebu, 0x3e6e10u, 0x32f7e6u, 0xb4bb1du, 0x2bc40au, 0xad88f1u,
    0xa11107u, 0x275dfcu, 0xdced5bu, 0x5aa1a0u, 0x563856u, 0xd074adu,
    0x4f0bbau, 0xc94741u, 0xc5deb7u, 0x43924cu, 0x7d6c62u, 0xfb2099u,
    0xf7b96fu, 0x71f594u, 0xee8a83u, 0x68c678u, 0x645f8eu, 0xe21375u,
    0x15723bu, 0x933ec0u, 0x9fa736u, 0x19ebcdu, 0x8694dau, 0x00d821u,
    0x0c41d7u, 0x8a0d2cu, 0xb4f302u, 0x32bff9u, 0x3e260fu, 0xb86af4u,
    0x2715e3u, 0xa15918u, 0xadc0eeu, 0x2b8c15u, 0xd03cb2u, 0x567049u,
    0x5ae9bfu, 0xdca544u, 0x43da53u, 0xc596a8u, 0xc90f5eu, 0x4f43a5u,
    0x71bd8bu, 0xf7f170u, 0xfb6886u, 0x7d247du, 0xe25b6au, 0x641791u,
    0x688e67u, 0xeec29cu, 0x3347a4u, 0xb50b5fu, 0xb992a9u, 0x3fde52u,
    0xa0a145u, 0x26edbeu, 0x2a7448u, 0xac38b3u, 0x92c69du, 0x148a66u,
    0x181390u, 0x9e5f6bu, 0x01207cu, 0x876c87u, 0x8bf571u, 0x0db98au,
    0xf6092du, 0x7045d6u, 0x7cdc20u, 0xfa90dbu, 0x65efccu, 0xe3a337u,
    0xef3ac1u, 0x69763au, 0x578814u, 0xd1c4efu, 0xdd5d19u, 0x5b11e2u,
    0xc46ef5u, 0x42220eu, 0x4ebbf8u, 0xc8f703u, 0x3f964du, 0xb9dab6u,
    0xb54340u, 0x330fbbu, 0xac70acu, 0x2a3c57u, 0x26a5a1u, 0xa0e95au,
    0x9e1774u, 0x185b8fu, 0x14c279u, 0x928e82u, 0x0df195u, 0x8bbd6eu,
    0x872498u, 0x016863u, 0xfad8c4u, 0x7c943fu, 0x700dc9u, 0xf64132u,
    0x693e25u, 0xef72deu, 0xe3eb28u, 0x65a7d3u, 0x5b59fdu, 0xdd1506u,
    0xd18cf0u, 0x57c00bu, 0xc8bf1cu, 0x4ef3e7u, 0x426a11u, 0xc426eau,
    0x2ae476u, 0xaca88du, 0xa0317bu, 0x267d80u, 0xb90297u, 0x3f4e6cu,
    0x33d79au, 0xb59b61u, 0x8b654fu, 0x0d29b4u, 0x01b042u, 0x87fcb9u,
    0x1883aeu, 0x9ecf55u, 0x9256a3u, 0x141a58u, 0xefaaffu, 0x69e604u,
    0x657ff2u, 0xe33309u, 0x7c4c1eu, 0xfa00e5u, 0xf69913u, 0x70d5e8u,
    0x4e2bc6u, 0xc8673du, 0xc4fecbu, 0x42b230u, 0xddcd27u, 0x5b81dcu,
    0x57182au, 0xd154d1u, 0x26359fu, 0xa07964u, 0xace092u, 0x2aac69u,
    0xb5d37eu, 0x339f85u, 0x3f0673u, 0xb94a88u, 0x87b4a6u, 0x01f85du,
    0x0d61abu, 0x8b2d50u, 0x145247u, 0x921ebcu, 0x9e874au, 0x18cbb1u,
    0xe37b16u, 0x6537edu, 0x69ae1bu, 0xefe2e0u, 0x709df7u, 0xf6d10cu,
    0xfa48fau, 0x7c0401u, 0x42fa2fu, 0xc4b6d4u, 0xc82f22u, 0x4e63d9u,
    0xd11cceu, 0x575035u, 0x5bc9c3u, 0xdd8538u,
};

/* Slicing by eight (Intel's "slicing-by-N"): the CRC held in the top 24
 * bits of a 32-bit word, eight bytes folded in per step through eight
 * tables, slice[k][b] being slice[k-1][b] advanced by one zero byte. Made
 * once from crc24_table. */
static uint32_t slice[8][256];
static pthread_once_t slice_once = PTHREAD_ONCE_INIT;

static void slice_init(void)
{
    int b, k;

    for (b = 0; b < 256; b++)
        slice[0][b] = crc24_table[b] << 8;
    for (k = 1; k < 8; k++)
        for (b = 0; b < 256; b++)
            slice[k][b] = slice[k - 1][b] << 8 ^ slice[0][slice[k - 1][b] >> 24];
}

uint32_t cm_crc24(uint32_t crc, const unsigned char *p, size_t n)
{
    uint32_t c = (crc & 0xFFFFFFu) << 8;

    if (n >= 16 && pthread_once(&slice_once, slice_init) == 0) {
        for (; n >= 8; p += 8, n -= 8) {
            c ^= (uint32_t) p[0] << 24 | (uint32_t) p[1] << 16 | (uint32_t) p[2] << 8 | p[3];
            c = slice[7][c >> 24] ^ slice[6][c >> 16 & 0xff] ^ slice[5][c >> 8 & 0xff]
                ^ slice[4][c & 0xff] ^ slice[3][p[4]] ^ slice[2][p[5]] ^ slice[1][p[6]]
                ^ slice[0][p[7]];
        }
    }
    for (; n > 0; p++, n--)
        c = c << 8 ^ crc24_table[(c >> 24 ^ *p) & 0xff] << 8;
    return c >> 8;
}

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
