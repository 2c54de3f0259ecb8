/* cm_g10_int - what the S-expression files of cm_g10 share (libgcrypt).
 * Not for the rest of the core. */
#ifndef CM_G10_INT_H
#define CM_G10_INT_H

#include <gcrypt.h>
#include <stddef.h>

/* Is the first element of list the token tok? (NULL list: no.) */
int cm_g10_car_is(gcry_sexp_t list, const char *tok);
/* The direct child of list that begins with tok (not one further down),
 * or NULL; the caller releases it. */
gcry_sexp_t cm_g10_child(gcry_sexp_t list, const char *tok);

/* sexp in canonical form into *out (heap, *outlen bytes; the caller
 * wipes and frees it): 0; -1 with the reason in err; -2 out of memory. */
int cm_g10_canon_of(gcry_sexp_t sexp, unsigned char **out, size_t *outlen, char *err,
                    size_t errlen);

#endif
