/* cm_pgppkt - a streaming walk over an OpenPGP packet sequence (RFC 4880
 * §4.2, RFC 9580): is it exactly one encrypted message, one or more
 * session-key packets followed by one encrypted-data packet that runs to
 * the very end? Bytes are pushed as they come; nothing is kept but the
 * session key packets' key IDs. */
#ifndef CM_PGPPKT_H
#define CM_PGPPKT_H

#include <stddef.h>
#include <stdint.h>

enum {
    CM_PKT_PKESK = 1,
    CM_PKT_SKESK = 3,
    CM_PKT_SED = 9,         /* legacy, no integrity protection */
    CM_PKT_SEIPD = 18,
    CM_PKT_AEAD = 20
};

#define CM_PGPPKT_MAX_KEYIDS 64

typedef struct cm_pgppkt {
    int state;
    int bad;                /* sticky: the sequence is not an encrypted message */
    unsigned char hdr[6];   /* the packet or length header being read */
    size_t hlen, hneed;
    int tag;                /* the current packet's tag */
    int partial;            /* the current body chunk is a partial one */
    int newfmt;             /* the current packet has a new-format header */
    uint64_t left;          /* bytes left in the current body chunk */
    size_t npkesk, nskesk;
    int enc_tag;            /* tag of the encrypted-data packet, 0 before it */
    int to_end;             /* old-format indeterminate length: runs to the end */
    unsigned char kid[10];  /* the first bytes of the current PKESK body */
    size_t kidlen;
    uint64_t keyids[CM_PGPPKT_MAX_KEYIDS];
    size_t nkeyids;         /* key IDs kept (v3 PKESK; wildcard 0 included) */
} cm_pgppkt;

void cm_pgppkt_init(cm_pgppkt *w);
/* Feed the next n bytes of the packet stream. */
void cm_pgppkt_push(cm_pgppkt *w, const unsigned char *p, size_t n);
/* After the last byte: 1 if the stream was one complete encrypted message,
 * 0 if not. */
int cm_pgppkt_finish(const cm_pgppkt *w);

#endif
