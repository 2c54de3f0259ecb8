/* cm_g10 - gpg-agent key files to canonical S-expressions, and the keygrip
 * that names a key's file (libgcrypt, as gpg-agent computes them). */
#include "cm_g10.h"
#include "cm_g10_int.h"
#include "cm_buf.h"
#include "cm_hex.h"

#include <gcrypt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static pthread_once_t once = PTHREAD_ONCE_INIT;
static int init_ok;

static void init_once_fn(void)
{
    /* Only S-expressions are asked of it: no secure memory pool. */
    if (gcry_check_version(NULL) == NULL)
        return;
    (void) gcry_control(GCRYCTL_DISABLE_SECMEM, 0);
    (void) gcry_control(GCRYCTL_INITIALIZATION_FINISHED, 0);
    init_ok = 1;
}

int cm_g10_init(void)
{
    return pthread_once(&once, init_once_fn) == 0 && init_ok ? 0 : -1;
}

int cm_g10_car_is(gcry_sexp_t list, const char *tok)
{
    size_t n = 0;
    const char *d = list != NULL ? gcry_sexp_nth_data(list, 0, &n) : NULL;

    return d != NULL && n == strlen(tok) && memcmp(d, tok, n) == 0;
}

gcry_sexp_t cm_g10_child(gcry_sexp_t list, const char *tok)
{
    int i, len = gcry_sexp_length(list);

    for (i = 1; i < len; i++) {
        gcry_sexp_t c = gcry_sexp_nth(list, i);

        if (cm_g10_car_is(c, tok))
            return c;
        gcry_sexp_release(c);
    }
    return NULL;
}

int cm_g10_canon_of(gcry_sexp_t sexp, unsigned char **out, size_t *outlen, char *err,
                    size_t errlen)
{
    size_t need;

    *out = NULL;
    *outlen = 0;
    if ((need = gcry_sexp_sprint(sexp, GCRYSEXP_FMT_CANON, NULL, 0)) == 0) {
        snprintf(err, errlen, "the key cannot be written in canonical form");
        return -1;
    }
    if ((*out = malloc(need)) == NULL)
        return -2;
    if ((*outlen = gcry_sexp_sprint(sexp, GCRYSEXP_FMT_CANON, *out, need)) == 0) {
        explicit_bzero(*out, need);
        free(*out);
        *out = NULL;
        snprintf(err, errlen, "the key cannot be written in canonical form");
        return -1;
    }
    return 0;
}

/* The "Key:" value of a name-value file, continuation lines joined, into
 * a fresh NUL-terminated buffer. */
static char *key_value(const unsigned char *p, size_t n, size_t *len)
{
    size_t i = 0, o = 0;
    char *v;

    /* Find a line that starts with "Key:". */
    for (;;) {
        if (i + 4 <= n && strncasecmp((const char *) p + i, "Key:", 4) == 0)
            break;
        while (i < n && p[i] != '\n')
            i++;
        if (i >= n)
            return NULL;
        i++;
    }
    i += 4;
    if ((v = malloc(n - i + 1)) == NULL)
        return NULL;
    for (; i < n; i++) {
        if (p[i] == '\n') {
            if (i + 1 < n && (p[i + 1] == ' ' || p[i + 1] == '\t')) {
                v[o++] = '\n';
                i++;
                continue;
            }
            break;
        }
        v[o++] = (char) p[i];
    }
    v[o] = 0;
    *len = o;
    return v;
}

int cm_g10_canonical(const unsigned char *p, size_t n, unsigned char **out, size_t *outlen,
                     char *err, size_t errlen)
{
    gcry_sexp_t sexp = NULL;
    gcry_error_t ge;
    size_t vlen = 0;
    char *v;
    int rc = 0;

    *out = NULL;
    *outlen = 0;
    if (n > 0 && p[0] == '(') {     /* canonical already (the old format) */
        if ((*out = malloc(n)) == NULL)
            return -2;
        memcpy(*out, p, n);
        *outlen = n;
        return 0;
    }
    if ((v = key_value(p, n, &vlen)) == NULL) {
        snprintf(err, errlen, "no Key: field (not a gpg-agent key file)");
        return -1;
    }
    if (cm_g10_init() != 0) {
        snprintf(err, errlen, "libgcrypt could not be initialised");
        rc = -1;
    } else if ((ge = gcry_sexp_sscan(&sexp, NULL, v, vlen)) != 0) {
        snprintf(err, errlen, "the Key: value is not an S-expression: %s", gcry_strerror(ge));
        rc = -1;
    } else {
        rc = cm_g10_canon_of(sexp, out, outlen, err, errlen);
    }
    gcry_sexp_release(sexp);
    explicit_bzero(v, vlen);
    free(v);
    return rc;
}

int cm_g10_cv25519_keygrip(const unsigned char *q, size_t qlen, char hex[41], char *err,
                           size_t errlen)
{
    unsigned char grip[20];
    gcry_sexp_t sexp = NULL;
    gcry_error_t ge;

    hex[0] = 0;
    if (qlen != 33 || q[0] != 0x40) {
        snprintf(err, errlen, "not a Curve25519 point (%zu bytes)", qlen);
        return -1;
    }
    if (cm_g10_init() != 0) {
        snprintf(err, errlen, "libgcrypt could not be initialised");
        return -1;
    }
    /* What gpg hands gpg-agent for a cv25519 key (g10/keyid.c): libgcrypt
     * hashes x whole, its leading zero bytes too. */
    ge = gcry_sexp_build(&sexp, NULL, "(public-key(ecc(curve Curve25519)(flags djb-tweak)(q %b)))",
                         (int) qlen, q);
    if (ge != 0) {
        snprintf(err, errlen, "libgcrypt: %s", gcry_strerror(ge));
        return -1;
    }
    if (gcry_pk_get_keygrip(sexp, grip) == NULL) {
        gcry_sexp_release(sexp);
        snprintf(err, errlen, "libgcrypt cannot compute the keygrip");
        return -1;
    }
    gcry_sexp_release(sexp);
    cm_hex_encode(grip, sizeof(grip), hex);
    return 0;
}
