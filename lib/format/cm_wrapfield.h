/* cm_wrapfield - the Content-* fields around a signed structure, which no
 * signature covers: the multipart/signed's own header, its signature part's,
 * the S/MIME opaque wrapper's. They travel byte for byte (a recipient's
 * reader must see what the sender's client wrote), so each is held to a
 * form with no room for words: a field is accepted only when it is exactly
 * its type and parameters, every parameter one the context allows with a
 * value of the characters that parameter takes, no comment, no RFC 2231
 * continuation; a description only in the words mail programs write. */
#ifndef CM_WRAPFIELD_H
#define CM_WRAPFIELD_H

#include <stddef.h>

#include "cm_header.h"
#include "cm_status.h"

/* A parameter a field may carry: its name, and either the characters its
 * value is made of (at most max) or the values it may take. */
typedef struct cm_wrap_param {
    const char *name;
    const char *chars;
    size_t max;
    const char *const *values;
} cm_wrap_param;

/* What a context allows: the types (for Content-Disposition: the
 * disposition types) and parameters of Content-Type and
 * Content-Disposition, the transfer encodings; NULL lists allow none
 * (Content-Description: only the mail programs' words, when allowed). */
typedef struct cm_wrap_rules {
    const char *const *types;           /* "type/subtype", or NULL: any */
    const cm_wrap_param *type_params;   /* ends with a NULL name */
    const char *const *dispositions;    /* NULL: no Content-Disposition */
    const cm_wrap_param *disp_params;
    const char *const *encodings;       /* NULL: no Content-Transfer-Encoding */
    int description;                    /* a Content-Description may stand */
} cm_wrap_rules;

/* Is every Content-* field of h (and MIME-Version, at most once) a
 * wrapper field of this form, each at most once and Content-Type exactly
 * once? Other fields are the caller's (not_content: 1 refuses them here
 * too). CM_OK; CM_GATE_UNCOVERED with the field named in why (where: "outside
 * the signed part"...); CM_ERR_NOMEM. */
cm_stat cm_wrapfield_check(const cm_hdrs *h, const cm_wrap_rules *r, int not_content,
                           const char *where, char *why, size_t len);

/* Characters parameter values are made of. */
#define CM_WRAP_ALNUM "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
/* RFC 2046's bcharsnospace (a boundary's space is refused too). */
#define CM_WRAP_BCHARS CM_WRAP_ALNUM "'()+_,-./:=?"
/* A file name: a plain token, no words. */
#define CM_WRAP_FILENAME CM_WRAP_ALNUM "._-"

#endif
