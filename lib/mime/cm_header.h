/* cm_header - an ordered RFC 5322 header list with limits, and its parser. */
#ifndef CM_HEADER_H
#define CM_HEADER_H

#include <stddef.h>

#include "cm_buf.h"
#include "cm_status.h"

/* Default limits (Postfix allows 102400 bytes per header; we bound the section). */
#define CM_HDR_MAX_FIELDS 2000
#define CM_HDR_MAX_BYTES (1024 * 1024)

typedef struct cm_hdr {
    char *name;     /* field name, without trailing white space */
    char *value;    /* everything after the colon, folds as "\n", no final newline */
    char *raw;      /* the field as received, "\n" line breaks, no final newline */
} cm_hdr;

typedef struct cm_hdrs {
    cm_hdr *v;
    size_t n, cap;
    size_t bytes;
    size_t max_fields, max_bytes;
} cm_hdrs;

void cm_hdrs_init(cm_hdrs *h, size_t max_fields, size_t max_bytes);
void cm_hdrs_free(cm_hdrs *h);
/* Append a field. name is as received (white space before the colon is kept
 * in raw, trimmed in name); value is the raw text after the colon (CRLF or LF
 * folds). CM_OK, CM_HEADER_LIMIT or CM_ERR_NOMEM. */
cm_stat cm_hdrs_add(cm_hdrs *h, const char *name, const char *value, size_t vlen);
/* Append copies of src's fields to dst, each exactly as received. CM_OK,
 * CM_HEADER_LIMIT or CM_ERR_NOMEM. */
cm_stat cm_hdrs_copy(cm_hdrs *dst, const cm_hdrs *src);
/* The nth (0-based) field called name (case-insensitive), or NULL. */
const cm_hdr *cm_hdrs_find(const cm_hdrs *h, const char *name, size_t nth);
size_t cm_hdrs_count(const cm_hdrs *h, const char *name);
/* Remove field i. */
void cm_hdrs_remove(cm_hdrs *h, size_t i);
/* Unfolded value: line breaks removed, outer white space trimmed. Heap string. */
char *cm_hdr_unfold(const char *value);
/* Was f written in the obsolete form, white space before its colon
 * (RFC 5322 4.5.1, "From :")? */
int cm_hdr_obsolete(const cm_hdr *f);
/* Is this a Content-* field (part of the MIME entity)? */
int cm_hdr_is_content(const char *name);
/* Append "raw\r\n" (with every "\n" in raw as "\r\n", or as eol). */
int cm_hdr_write(const cm_hdr *f, const char *eol, cm_buf *out);

typedef enum cm_hparse {
    CM_HPARSE_DONE,     /* *body_off is where the body starts */
    CM_HPARSE_MORE,     /* the section does not end within the data given */
    CM_HPARSE_ERROR     /* *stat says why */
} cm_hparse;

/* Parse the header section at the start of p[0..n). eof: p holds all input.
 * The section ends at an empty line (consumed) or at the first line that is
 * neither a field nor a continuation (which then starts the body). */
cm_hparse cm_hdrs_parse(cm_hdrs *h, const unsigned char *p, size_t n, int eof,
                        size_t *body_off, cm_stat *stat);

#endif
