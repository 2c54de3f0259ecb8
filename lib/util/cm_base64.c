/* cm_base64 - incremental base64 decoder (RFC 4648), white space ignored. */
#include "cm_base64.h"

#include <pthread.h>
#include <string.h>

/* Value of each byte: 0-63 for the alphabet, B64_WS for white space,
 * B64_PAD for '=', B64_BAD otherwise. A table: this runs over every byte
 * of every armored message, both directions. */
#define B64_BAD 64
#define B64_WS 65
#define B64_PAD 66

const unsigned char cm_b64_table[256] = {
#define BAD8 B64_BAD, B64_BAD, B64_BAD, B64_BAD, B64_BAD, B64_BAD, B64_BAD, B64_BAD
    /* 0x00 */ B64_BAD, B64_BAD, B64_BAD, B64_BAD, B64_BAD, B64_BAD, B64_BAD, B64_BAD,
    /* 0x08 */ B64_BAD, B64_WS, B64_WS, B64_BAD, B64_BAD, B64_WS, B64_BAD, B64_BAD,
    /* 0x10 */ BAD8, BAD8,
    /* 0x20 */ B64_WS, B64_BAD, B64_BAD, B64_BAD, B64_BAD, B64_BAD, B64_BAD, B64_BAD,
    /* 0x28 */ B64_BAD, B64_BAD, B64_BAD, 62, B64_BAD, B64_BAD, B64_BAD, 63,
    /* 0x30 */ 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, B64_BAD, B64_BAD, B64_BAD, B64_PAD,
    B64_BAD, B64_BAD,
    /* 0x40 */ B64_BAD, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14,
    /* 0x50 */ 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, B64_BAD, B64_BAD, B64_BAD, B64_BAD,
    B64_BAD,
    /* 0x60 */ B64_BAD, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40,
    /* 0x70 */ 41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, B64_BAD, B64_BAD, B64_BAD, B64_BAD,
    B64_BAD,
    /* 0x80 */ BAD8, BAD8, BAD8, BAD8, BAD8, BAD8, BAD8, BAD8,
    /* 0xc0 */ BAD8, BAD8, BAD8, BAD8, BAD8, BAD8, BAD8, BAD8,
#undef BAD8
};

void cm_b64_init(cm_b64 *d)
{
    d->acc = 0;
    d->bits = 0;
    d->done = 0;
}

int cm_b64_decode(cm_b64 *d, const char *p, size_t n, cm_buf *out, size_t max)
{
    size_t i, room;
    unsigned char *w;

    /* At most 3 bytes per 4 characters (+ what the accumulator holds). */
    room = n / 4 * 3 + 3;
    if (out->len >= max)
        room = 0;
    else if (room > max - out->len)
        room = max - out->len;
    if (room > 0 && cm_buf_reserve(out, room) < 0)
        return -2;
    w = out->data != NULL ? out->data + out->len : NULL;
    for (i = 0; i < n; i++) {
        unsigned v;

        /* Fast path: four alphabet characters on a quantum boundary are
         * three bytes. */
        while (d->bits == 0 && !d->done && i + 4 <= n && room >= 3) {
            unsigned a = cm_b64_table[(unsigned char) p[i]],
                     b = cm_b64_table[(unsigned char) p[i + 1]],
                     c = cm_b64_table[(unsigned char) p[i + 2]],
                     e = cm_b64_table[(unsigned char) p[i + 3]];

            if ((a | b | c | e) >= 64)
                break;
            d->acc = (a << 18 | b << 12 | c << 6 | e) & 0xffffff;
            *w++ = (unsigned char) (d->acc >> 16);
            *w++ = (unsigned char) (d->acc >> 8);
            *w++ = (unsigned char) d->acc;
            room -= 3;
            i += 4;
        }
        if (i >= n)
            break;
        v = cm_b64_table[(unsigned char) p[i]];

        if (v < 64) {
            if (d->done)
                break;
            d->acc = ((d->acc << 6) | v) & 0xffffff;
            d->bits += 6;
            if (d->bits >= 8) {
                d->bits -= 8;
                if (room > 0) {
                    *w++ = (unsigned char) ((d->acc >> d->bits) & 0xff);
                    room--;
                }
            }
        } else if (v == B64_PAD) {
            d->done = 1;
        } else if (v != B64_WS) {
            break;
        }
    }
    if (out->data != NULL) {
        out->len = (size_t) (w - out->data);
        out->data[out->len] = 0;
    }
    return i < n ? -1 : 0;
}

static const char b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

void cm_b64enc_init_line(cm_b64enc *e, size_t line)
{
    e->npend = 0;
    e->col = 0;
    e->line = line >= 4 ? line / 4 * 4 : 4;
}

void cm_b64enc_init(cm_b64enc *e)
{
    cm_b64enc_init_line(e, CM_B64_LINE);
}

/* The two characters of each 12-bit value: a full group is two lookups
 * (this runs over every byte the gateway encrypts). Made once. */
static char pairs[4096][2];
static pthread_once_t pairs_once = PTHREAD_ONCE_INIT;

static void pairs_init(void)
{
    unsigned v;

    for (v = 0; v < 4096; v++) {
        pairs[v][0] = b64_alphabet[v >> 6];
        pairs[v][1] = b64_alphabet[v & 63];
    }
}

/* A full group of three bytes as four characters, by pairs. */
static char *put_full(cm_b64enc *e, char *o, const unsigned char *g)
{
    unsigned v = (unsigned) g[0] << 16 | (unsigned) g[1] << 8 | g[2];

    memcpy(o, pairs[v >> 12], 2);
    memcpy(o + 2, pairs[v & 0xfff], 2);
    o += 4;
    if ((e->col += 4) == e->line) {
        *o++ = '\r';
        *o++ = '\n';
        e->col = 0;
    }
    return o;
}

/* One group of four characters, and a line end when the line is full. */
static char *put_group(cm_b64enc *e, char *o, const unsigned char *g, size_t n)
{
    unsigned v = (unsigned) g[0] << 16 | (unsigned) (n > 1 ? g[1] : 0) << 8 | (n > 2 ? g[2] : 0);

    *o++ = b64_alphabet[v >> 18 & 63];
    *o++ = b64_alphabet[v >> 12 & 63];
    *o++ = n > 1 ? b64_alphabet[v >> 6 & 63] : '=';
    *o++ = n > 2 ? b64_alphabet[v & 63] : '=';
    if ((e->col += 4) == e->line) {
        *o++ = '\r';
        *o++ = '\n';
        e->col = 0;
    }
    return o;
}

int cm_b64enc_push(cm_b64enc *e, const void *p, size_t n, cm_buf *out)
{
    const unsigned char *b = p;
    size_t groups, room;
    char *o;

    if (e->npend + n < 3) {
        memcpy(e->pend + e->npend, b, n);
        e->npend += n;
        return 0;
    }
    groups = (e->npend + n) / 3;
    /* 4 characters a group, 2 for each line end. */
    room = groups * 4 + (groups / (e->line / 4) + 1) * 2;
    if (cm_buf_reserve(out, room + 1) < 0)
        return -1;
    o = (char *) out->data + out->len;
    if (e->npend > 0) {
        size_t take = 3 - e->npend;

        memcpy(e->pend + e->npend, b, take);
        o = put_group(e, o, e->pend, 3);
        b += take;
        n -= take;
        e->npend = 0;
    }
    if (pthread_once(&pairs_once, pairs_init) == 0) {
        size_t per = e->line / 4;       /* groups a line */

        while (n >= 3) {
            if (e->col == 0 && n >= per * 3) {
                /* A whole line at once: no end-of-line test per group. */
                size_t g;

                for (g = 0; g < per; g++, b += 3, o += 4) {
                    unsigned v = (unsigned) b[0] << 16 | (unsigned) b[1] << 8 | b[2];

                    memcpy(o, pairs[v >> 12], 2);
                    memcpy(o + 2, pairs[v & 0xfff], 2);
                }
                *o++ = '\r';
                *o++ = '\n';
                n -= per * 3;
            } else {
                o = put_full(e, o, b);
                b += 3;
                n -= 3;
            }
        }
    }
    for (; n >= 3; b += 3, n -= 3)
        o = put_group(e, o, b, 3);
    memcpy(e->pend, b, n);
    e->npend = n;
    out->len = (size_t) (o - (char *) out->data);
    out->data[out->len] = 0;
    return 0;
}

int cm_b64enc_finish(cm_b64enc *e, cm_buf *out)
{
    char tail[8], *o = tail;

    if (e->npend > 0)
        o = put_group(e, o, e->pend, e->npend);
    if (e->col > 0) {
        *o++ = '\r';
        *o++ = '\n';
    }
    e->npend = 0;
    e->col = 0;
    return cm_buf_append(out, tail, (size_t) (o - tail));
}
