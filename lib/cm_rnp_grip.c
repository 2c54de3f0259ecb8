/* cm_rnp_grip - the name gpg-agent gives a key's secret file,
 * private-keys-v1.d/GRIP.key: the key's keygrip as libgcrypt computes it.
 *
 * librnp's grip is the same for every key but one kind: for a Curve25519
 * (cv25519) key, librnp (0.16) drops the leading zero bytes of the point
 * before hashing it and libgcrypt does not. One such key in 256 has x
 * begin with a zero byte; librnp's grip then names a file that is not
 * there, and the gateway's secret key would look missing. For those keys
 * the grip is computed here from the point, as gpg does. */
#include "cm_rnp_int.h"
#include "cm_g10.h"
#include "cm_hex.h"

#include <stdio.h>
#include <string.h>

#define CV25519_POINT 33

/* The "point" of librnp's JSON description of one key (made with
 * RNP_JSON_PUBLIC_MPIS: {"public key":{"mpis":{"point":"40..."}}}) into
 * q; its length, or 0 if there is no such field of at most cap bytes. */
static size_t json_point(const char *json, unsigned char *q, size_t cap)
{
    const char *p = strstr(json, "\"point\""), *end;
    long n;

    if (p == NULL)
        return 0;
    p += strlen("\"point\"");
    while (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r')
        p++;
    if (*p++ != ':')
        return 0;
    while (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r')
        p++;
    if (*p++ != '"')
        return 0;
    if ((end = strchr(p, '"')) == NULL || (n = cm_hex_decode(p, (size_t) (end - p), q, cap)) < 0)
        return 0;
    return (size_t) n;
}

cm_stat cm_rnp_agent_grip(rnp_key_handle_t k, const char *rnp_grip, char grip[41], char *err,
                          size_t errlen)
{
    unsigned char q[CV25519_POINT];
    char *alg = NULL, *curve = NULL, *json = NULL;
    size_t qlen;
    int cv25519;
    cm_stat st = CM_ERR_ENGINE;

    grip[0] = 0;
    if (rnp_key_get_alg(k, &alg) != RNP_SUCCESS || alg == NULL) {
        snprintf(err, errlen, "librnp cannot tell the key's algorithm");
        goto out;
    }
    cv25519 = strcmp(alg, RNP_ALGNAME_ECDH) == 0 && rnp_key_get_curve(k, &curve) == RNP_SUCCESS
              && curve != NULL && strcmp(curve, "Curve25519") == 0;
    if (!cv25519) {
        if (strlen(rnp_grip) != 40) {
            snprintf(err, errlen, "librnp's keygrip of the key is not 40 hex digits");
            goto out;
        }
        memcpy(grip, rnp_grip, 41);
        st = CM_OK;
        goto out;
    }
    if (rnp_key_to_json(k, RNP_JSON_PUBLIC_MPIS, &json) != RNP_SUCCESS || json == NULL) {
        snprintf(err, errlen, "librnp cannot describe the key");
        goto out;
    }
    if ((qlen = json_point(json, q, sizeof(q))) == 0) {
        snprintf(err, errlen, "librnp's description of the key has no Curve25519 point");
        goto out;
    }
    if (cm_g10_cv25519_keygrip(q, qlen, grip, err, errlen) == 0)
        st = CM_OK;
out:
    rnp_buffer_destroy(alg);
    rnp_buffer_destroy(curve);
    rnp_buffer_destroy(json);
    return st;
}
