/* cm_hp - RFC 9788 header protection when encrypting: which header fields
 * travel inside the Cryptographic Payload, what the hcp_baseline policy
 * leaves outside, and the HP-Outer record of it. Pure: a header list in,
 * bytes and header edits out. */
#ifndef CM_HP_H
#define CM_HP_H

#include "cm_buf.h"
#include "cm_edit.h"
#include "cm_header.h"
#include "cm_status.h"

/* Is name (case-insensitive) a field copied into the payload: the
 * user-facing fields (Subject, From, Sender, To, Cc, Date, Message-ID,
 * In-Reply-To, References, Reply-To, Followup-To, Mail-Followup-To,
 * Keywords, Comments)? Routing and trace fields (Received, Return-Path,
 * DKIM-Signature...) stay outside only: the MTA and the mailbox need them
 * and no reader shows them. */
int cm_hp_protected(const char *name);

/* hcp_baseline (RFC 9788 section 3.3): the value name keeps outside, given
 * its raw value: "[...]" for Subject, NULL (the field is removed) for
 * Keywords and Comments, else value itself. */
const char *cm_hp_baseline(const char *name, const char *value);

/* Can an entity's header carry protection? Not if its Content-Type cannot
 * take one more parameter safely (unparsable, given twice, an hp other
 * than "cipher"): then the message is encrypted without it. 0 it can, 1 it
 * cannot (*why), -1 out of memory. */
int cm_hp_refusal(const cm_hdrs *entity, const char **why);
/* Does the entity's Content-Type already say hp="cipher" (a sender's
 * decrypted payload, encrypted again)? Then it is kept as it is, and no
 * legacy display element is added. 1, 0, or -1 out of memory. */
int cm_hp_declared(const cm_hdrs *entity);

/* The payload's header section, CRLF line endings, without the empty line
 * that ends it: the Content-* fields of entity, its Content-Type with
 * hp="cipher" added (and, with legacy set, hp-legacy-display="1"; an
 * entity without one gets text/plain; charset=us-ascii, RFC 2045's
 * default); then the protected fields of outer (the message's header) in
 * their order, then one HP-Outer field per protected field as
 * hcp_baseline leaves it outside. For an inbound message outer and entity
 * are the same list. -1 out of memory. */
int cm_hp_payload_header(const cm_hdrs *outer, const cm_hdrs *entity, int legacy, cm_buf *out);
/* (An entity whose Content-Type already says hp="cipher" keeps that field
 * as it is; legacy must be 0 then.) */

/* The edits hcp_baseline makes to the outer header: Subject to "[...]",
 * Keywords and Comments deleted. */
cm_stat cm_hp_outer_edits(const cm_hdrs *h, cm_edits *e);

#endif
