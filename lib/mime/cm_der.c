/* cm_der - a streaming check that bytes are exactly one BER/DER element. */
#include "cm_der.h"

#include <string.h>

enum { ST_TAG, ST_TAGMORE, ST_LEN, ST_LENMORE, ST_SKIP };

/* OIDs, as they follow the 0x06 tag and length. */
static const unsigned char oid_enveloped[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x03};
static const unsigned char oid_auth_enveloped[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01,
                                                   0x09, 0x10, 0x01, 0x17};

void cm_der_init(cm_der *d)
{
    memset(d, 0, sizeof(*d));
    d->state = ST_TAG;
}

/* Close every definite element that ends at the current offset. */
static void close_definite(cm_der *d)
{
    while (d->depth > 0 && !d->stack[d->depth - 1].indef) {
        if (d->off > d->stack[d->depth - 1].end) {
            d->bad = 1;
            return;
        }
        if (d->off < d->stack[d->depth - 1].end)
            return;
        d->depth--;
    }
    if (d->depth == 0)
        d->done = 1;
}

/* The header of an element is complete. */
static void element(cm_der *d)
{
    int constructed = (d->tag & 0x20) != 0;
    int indef = d->lenneed == 0 && d->len == UINT64_MAX;

    /* End-of-contents: 00 00 closes the innermost indefinite element. */
    if (d->tag == 0 && d->tagbytes == 0) {
        if (indef || d->len != 0 || d->depth == 0 || !d->stack[d->depth - 1].indef) {
            d->bad = 1;
            return;
        }
        d->depth--;
        if (d->depth == 0)
            d->done = 1;
        else
            close_definite(d);
        d->state = ST_TAG;
        return;
    }
    if (d->depth == 0 && (d->tag != 0x30))
        d->bad = 1;         /* the top is a SEQUENCE */
    if (!indef && d->depth > 0 && !d->stack[d->depth - 1].indef
        && d->len > d->stack[d->depth - 1].end - d->off) {
        d->bad = 1;         /* runs past its parent */
        return;
    }
    if (constructed) {
        if (d->depth == CM_DER_MAX_DEPTH) {
            d->bad = 1;
            return;
        }
        d->stack[d->depth].indef = indef;
        d->stack[d->depth].end = indef ? 0 : d->off + d->len;
        d->depth++;
        d->state = ST_TAG;
        if (!indef)
            close_definite(d);
        return;
    }
    if (indef) {
        d->bad = 1;         /* a primitive element has a definite length */
        return;
    }
    d->skip = d->len;
    d->state = ST_SKIP;
    if (d->skip == 0) {
        d->state = ST_TAG;
        close_definite(d);
    }
}

void cm_der_push(cm_der *d, const unsigned char *p, size_t n)
{
    size_t i = 0;

    if (n == 0)
        return;
    if (d->plen < CM_DER_PREFIX) {
        size_t k = CM_DER_PREFIX - d->plen < n ? CM_DER_PREFIX - d->plen : n;

        memcpy(d->prefix + d->plen, p, k);
        d->plen += k;
    }
    while (i < n && !d->bad) {
        unsigned char c = p[i];

        if (d->done) {
            d->bad = 1;     /* bytes after the element */
            break;
        }
        switch (d->state) {
        case ST_TAG:
            d->tag = c;
            d->tagbytes = 0;
            d->state = (c & 0x1f) == 0x1f ? ST_TAGMORE : ST_LEN;
            break;
        case ST_TAGMORE:
            if (++d->tagbytes > 4)
                d->bad = 1;
            if (!(c & 0x80))
                d->state = ST_LEN;
            break;
        case ST_LEN:
            d->lenbytes = 0;
            if (c < 0x80) {
                d->lenneed = 0;
                d->len = c;
            } else if (c == 0x80) {
                d->lenneed = 0;
                d->len = UINT64_MAX;
            } else if ((c & 0x7f) > 8) {
                d->bad = 1;
                break;
            } else {
                d->lenneed = c & 0x7f;
                d->len = 0;
                d->state = ST_LENMORE;
                break;
            }
            d->off++;
            i++;
            element(d);
            continue;
        case ST_LENMORE:
            d->len = d->len << 8 | c;
            if (++d->lenbytes == d->lenneed) {
                if (d->len == UINT64_MAX)
                    d->bad = 1;
                d->lenneed = 0;
                d->off++;
                i++;
                if (!d->bad)
                    element(d);
                continue;
            }
            break;
        case ST_SKIP: {
            size_t take = n - i;

            if ((uint64_t) take > d->skip)
                take = (size_t) d->skip;
            d->skip -= take;
            d->off += take;
            i += take;
            if (d->skip == 0) {
                d->state = ST_TAG;
                close_definite(d);
            }
            continue;
        }
        }
        d->off++;
        i++;
    }
}

int cm_der_finish(const cm_der *d)
{
    return !d->bad && d->done;
}

/* Read a TLV header at p[*i]; returns the contents length or -1. */
static long tlv(const unsigned char *p, size_t n, size_t *i, unsigned char want_tag, int indef_ok)
{
    size_t k, nb;
    long len = 0;

    if (*i + 2 > n || p[*i] != want_tag)
        return -1;
    (*i)++;
    if (p[*i] < 0x80)
        return p[(*i)++];
    if (p[*i] == 0x80) {
        (*i)++;
        return indef_ok ? 0 : -1;
    }
    nb = p[(*i)++] & 0x7f;
    if (nb > 4 || *i + nb > n)
        return -1;
    for (k = 0; k < nb; k++)
        len = len << 8 | p[(*i)++];
    return len;
}

int cm_der_kind(const cm_der *d)
{
    size_t i = 0;
    long olen;
    int kind;

    if (d->bad || tlv(d->prefix, d->plen, &i, 0x30, 1) < 0)
        return 0;
    if ((olen = tlv(d->prefix, d->plen, &i, 0x06, 0)) < 0 || i + (size_t) olen >= d->plen)
        return 0;
    if ((size_t) olen == sizeof(oid_enveloped)
        && memcmp(d->prefix + i, oid_enveloped, sizeof(oid_enveloped)) == 0)
        kind = 1;
    else if ((size_t) olen == sizeof(oid_auth_enveloped)
             && memcmp(d->prefix + i, oid_auth_enveloped, sizeof(oid_auth_enveloped)) == 0)
        kind = 2;
    else
        return 0;
    i += (size_t) olen;
    return d->prefix[i] == 0xa0 ? kind : 0;     /* [0] EXPLICIT content */
}

int cm_der_is_enveloped(const cm_der *d)
{
    return cm_der_finish(d) ? cm_der_kind(d) : 0;
}
