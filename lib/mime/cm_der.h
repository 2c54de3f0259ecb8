/* cm_der - a streaming check that bytes are exactly one BER/DER element
 * (X.690): tags, definite and indefinite lengths, nesting, and nothing
 * after the element. Contents are not kept; the first bytes are, for the
 * caller to check what the element is. */
#ifndef CM_DER_H
#define CM_DER_H

#include <stddef.h>
#include <stdint.h>

#define CM_DER_MAX_DEPTH 48
#define CM_DER_PREFIX 64

typedef struct cm_der {
    int bad;                /* sticky: not one well-formed element */
    int done;               /* the top-level element is complete */
    int state;
    uint64_t off;           /* bytes consumed */
    struct {
        uint64_t end;       /* offset after the element (definite) */
        int indef;
    } stack[CM_DER_MAX_DEPTH];
    size_t depth;
    unsigned char tag;      /* first tag octet of the element being read */
    size_t tagbytes;        /* high-tag-number octets read */
    size_t lenbytes, lenneed;
    uint64_t len;
    uint64_t skip;          /* primitive contents left to skip */
    unsigned char prefix[CM_DER_PREFIX];
    size_t plen;
} cm_der;

void cm_der_init(cm_der *d);
void cm_der_push(cm_der *d, const unsigned char *p, size_t n);
/* 1 if the bytes were exactly one complete element, else 0. */
int cm_der_finish(const cm_der *d);

/* What the bytes so far begin as: a CMS ContentInfo of type EnvelopedData
 * (1) or AuthEnvelopedData (2), or neither or not yet known (0). */
int cm_der_kind(const cm_der *d);
/* Is this one complete CMS ContentInfo of type EnvelopedData (1) or
 * AuthEnvelopedData (2; RFC 5652, RFC 5083), or neither (0)? */
int cm_der_is_enveloped(const cm_der *d);

#endif
