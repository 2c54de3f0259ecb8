/* cm_strip - the decrypted entity of an outbound message, and the edits
 * that make it the message (SPEC §4.4): its Content-* fields replace the
 * outer ones, its body the outer body; an inner multipart/signed (OpenPGP
 * or S/MIME) or S/MIME opaque signed data is kept byte for byte; protected headers (RFC 9788) are restored outside. */
#ifndef CM_STRIP_H
#define CM_STRIP_H

#include <stdint.h>

#include "cm_buf.h"
#include "cm_edit.h"
#include "cm_header.h"
#include "cm_mime.h"
#include "cm_spool.h"
#include "cm_status.h"

/* The largest detached signature part read (a signature is < 2 KiB). */
#define CM_STRIP_MAX_SIGPART 65536

typedef struct cm_stripped {
    cm_hdrs ehdrs;          /* the entity's header fields */
    uint64_t body_off;      /* where its body starts in the plaintext */
    int protected_hdrs;     /* Content-Type has protected-headers="v1" */
    int is_signed;          /* a well-formed multipart/signed: RFC 3156, or S/MIME */
    int sig_cms;            /* its signature is S/MIME (application/pkcs7-signature) */
    cm_part64 signed_part;  /* its first part, offsets in the plaintext */
    cm_buf sig;             /* the body of its second part: armored, or CMS in base64 */
    cm_hdrs shdrs;          /* the header fields of its second part */
    int sig_b64;            /* ... whose Content-Transfer-Encoding is base64 */
    cm_part64 preamble;     /* its preamble and epilogue, offsets in the plaintext */
    cm_part64 epilogue;
    int signed_protected;   /* its first part has protected-headers="v1" ... */
    cm_hdrs phdrs;          /* ... and these header fields (a reader shows its From:) */
    int opaque;             /* the entity is S/MIME opaque signed data (RFC 8551 3.5.2) */
    cm_part64 opaque_body;  /* its body, the SignedData, offsets in the plaintext */
    int opaque_b64;         /* ... in base64 (else binary DER) */
} cm_stripped;

/* Read the plaintext (CRLF). inline_text: it is the text of an inline
 * block, not a MIME entity; outer is the message's header (for its
 * charset). CM_OK, CM_HEADER_LIMIT, CM_BAD_INPUT (a header of the entity,
 * or of its signed part, that cannot be read), CM_ERR_NOMEM or CM_ERR_SPOOL. */
cm_stat cm_strip_parse(cm_stripped *x, cm_spool *plain, int inline_text, const cm_hdrs *outer);
void cm_stripped_free(cm_stripped *x);
/* S/MIME opaque signed data: the header of its content (p[0..n), the
 * first bytes the signature covers; eof: all of it) becomes x->phdrs, as
 * the signed part of a multipart/signed does, with x->signed_protected if
 * it declares protected headers. CM_OK, CM_HEADER_LIMIT, CM_BAD_INPUT or
 * CM_ERR_NOMEM. */
cm_stat cm_strip_content_header(cm_stripped *x, const void *p, size_t n, int eof);

/* The From: address of h (bare, heap), or NULL if there is none, more
 * than one, or no memory (*nomem then set). */
char *cm_strip_from(const cm_hdrs *h, int *nomem);

/* Could a mail reader take a field of h for a second originator: From,
 * Sender or Reply-To twice, or one of them in the obsolete form with white
 * space before its colon? 1 (the field's name in why), else 0. */
int cm_strip_second_originator(const cm_hdrs *h, char *why, size_t len);

/* The header edits: outer Content-* out, the entity's in, MIME-Version,
 * with restore the protected fields restored (only when a signature passed
 * the gate: never from fields no one signed), the trace field. */
cm_stat cm_strip_edits(const cm_stripped *x, const cm_hdrs *outer, const char *trace, int restore,
                       cm_edits *e);
/* Only the protected fields' edits of cm_strip_edits (RFC 9788): from the
 * header a signature covers, the signed part's inside a multipart/signed
 * (how Thunderbird sends) or of opaque signed data, else the entity's own
 * (a signature made with the encryption covers it); the first of each
 * name, over the outer one or added. HP-Outer fields only record what was
 * outside: they stay in. CM_BAD_INPUT for a value with a bare CR. */
cm_stat cm_strip_restore(const cm_stripped *x, const cm_hdrs *outer, cm_edits *e);
/* The new body: the plaintext from the entity's body on. */
cm_stat cm_strip_body(const cm_stripped *x, cm_spool *plain, cm_spool *out);

#endif
