/* cm_pgppkt - a streaming walk over an OpenPGP packet sequence. */
#include "cm_pgppkt.h"

#include <string.h>

enum { ST_TAG, ST_LEN, ST_BODY, ST_CHUNK_LEN };

void cm_pgppkt_init(cm_pgppkt *w)
{
    memset(w, 0, sizeof(*w));
    w->state = ST_TAG;
}

static int is_data_packet(int tag)
{
    return tag == CM_PKT_SED || tag == CM_PKT_SEIPD || tag == CM_PKT_AEAD;
}

/* Bytes of length that follow a new-format first length octet (itself included). */
static size_t new_len_size(unsigned char c)
{
    if (c < 192 || (c >= 224 && c < 255))
        return 1;
    return c < 224 ? 2 : 5;
}

/* Decode a complete new-format length in w->hdr[0..hlen). */
static void new_len(cm_pgppkt *w, const unsigned char *h)
{
    w->partial = 0;
    if (h[0] < 192) {
        w->left = h[0];
    } else if (h[0] < 224) {
        w->left = ((uint64_t) (h[0] - 192) << 8) + h[1] + 192;
    } else if (h[0] == 255) {
        w->left = ((uint64_t) h[1] << 24) | ((uint64_t) h[2] << 16) | ((uint64_t) h[3] << 8) | h[4];
    } else {
        w->partial = 1;
        w->left = (uint64_t) 1 << (h[0] & 0x1f);
    }
}

/* A packet header is complete: check it belongs where it stands. */
static void packet_begins(cm_pgppkt *w)
{
    if (w->enc_tag != 0) {
        w->bad = 1;             /* anything after the encrypted data */
        return;
    }
    if (w->tag == CM_PKT_PKESK || w->tag == CM_PKT_SKESK) {
        if (w->partial || w->to_end) {
            w->bad = 1;
            return;
        }
        if (w->tag == CM_PKT_PKESK)
            w->npkesk++;
        else
            w->nskesk++;
        w->kidlen = 0;
    } else if (is_data_packet(w->tag)) {
        if (w->npkesk + w->nskesk == 0)
            w->bad = 1;
        w->enc_tag = w->tag;
    } else {
        w->bad = 1;
    }
}

/* The body of a PKESK is done: keep its key ID (v3: version, 8-byte ID). */
static void pkesk_done(cm_pgppkt *w)
{
    uint64_t id = 0;
    size_t i;

    if (w->kidlen < 9 || w->kid[0] != 3 || w->nkeyids >= CM_PGPPKT_MAX_KEYIDS)
        return;
    for (i = 1; i < 9; i++)
        id = id << 8 | w->kid[i];
    w->keyids[w->nkeyids++] = id;
}

/* The current body chunk ended. */
static void chunk_done(cm_pgppkt *w)
{
    if (w->partial) {
        w->state = ST_CHUNK_LEN;
        w->hlen = 0;
        w->hneed = 1;
        return;
    }
    if (w->tag == CM_PKT_PKESK)
        pkesk_done(w);
    w->state = ST_TAG;
}

void cm_pgppkt_push(cm_pgppkt *w, const unsigned char *p, size_t n)
{
    size_t i = 0;

    if (n == 0)
        return;
    while (i < n && !w->bad) {
        unsigned char c = p[i];

        switch (w->state) {
        case ST_TAG:
            i++;
            if (!(c & 0x80)) {
                w->bad = 1;
                break;
            }
            w->hlen = 0;
            w->to_end = 0;
            w->partial = 0;
            if (c & 0x40) {             /* new format */
                w->tag = c & 0x3f;
                w->hneed = 1;
                w->newfmt = 1;
            } else {                    /* old format */
                static const size_t old_len[4] = {1, 2, 4, 0};

                w->tag = (c >> 2) & 0x0f;
                w->hneed = old_len[c & 3];
                w->newfmt = 0;
                if (w->hneed == 0) {
                    w->to_end = 1;
                    w->left = UINT64_MAX;
                    packet_begins(w);
                    w->state = ST_BODY;
                    break;
                }
            }
            w->state = ST_LEN;
            break;
        case ST_LEN:
        case ST_CHUNK_LEN:
            w->hdr[w->hlen++] = c;
            i++;
            if (w->hlen == 1 && (w->state == ST_CHUNK_LEN || w->newfmt))
                w->hneed = new_len_size(c);
            if (w->hlen < w->hneed)
                break;
            if (w->state == ST_CHUNK_LEN || w->newfmt) {
                new_len(w, w->hdr);
            } else {
                size_t k;

                w->left = 0;
                for (k = 0; k < w->hlen; k++)
                    w->left = w->left << 8 | w->hdr[k];
            }
            if (w->state == ST_LEN)
                packet_begins(w);
            w->state = ST_BODY;
            if (w->left == 0 && !w->bad)
                chunk_done(w);
            break;
        case ST_BODY: {
            size_t take = n - i;

            if ((uint64_t) take > w->left)
                take = (size_t) w->left;
            if (w->tag == CM_PKT_PKESK && w->kidlen < sizeof(w->kid)) {
                size_t k = sizeof(w->kid) - w->kidlen < take ? sizeof(w->kid) - w->kidlen : take;

                memcpy(w->kid + w->kidlen, p + i, k);
                w->kidlen += k;
            }
            i += take;
            if (!w->to_end)
                w->left -= take;
            if (w->left == 0)
                chunk_done(w);
            break;
        }
        }
    }
}

int cm_pgppkt_finish(const cm_pgppkt *w)
{
    if (w->bad || w->enc_tag == 0)
        return 0;
    /* The encrypted-data packet must end exactly here: its last chunk
     * read to the end, or an indeterminate length. */
    if (w->to_end)
        return w->state == ST_BODY;
    return w->state == ST_TAG;
}
