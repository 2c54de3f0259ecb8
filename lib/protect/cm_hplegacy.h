/* cm_hplegacy - RFC 9788's Legacy Display Element (section 4.5): the
 * header fields hcp_baseline hid from the outside, written at the top of
 * the body for readers that know nothing of header protection, so that
 * their users still see the Subject. Only where it can be added without
 * touching the body's own bytes: a single-part text/plain message whose
 * transfer encoding can carry it (none, 7bit, 8bit, quoted-printable) and
 * whose charset (us-ascii or utf-8) can spell the values. */
#ifndef CM_HPLEGACY_H
#define CM_HPLEGACY_H

#include "cm_buf.h"
#include "cm_header.h"

/* The element for the fields of outer (the message's header) that
 * hcp_baseline hides, encoded as the body of entity (its Content-* fields)
 * is, with its final empty line, into out; 1 if written, 0 if the entity
 * cannot take one (*why says why, for the log), -1 out of memory. */
int cm_hplegacy_make(const cm_hdrs *outer, const cm_hdrs *entity, cm_buf *out, const char **why);

/* value with its RFC 2047 encoded words in utf-8 or us-ascii decoded and
 * its folds removed (a heap string), or NULL with *why (another charset, a
 * broken word, a control character) or with *why NULL (out of memory). */
char *cm_hplegacy_decode(const char *value, const char **why);

#endif
