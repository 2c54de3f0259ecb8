/* cm_keysync_ldap - the directory side of cryptmilter-keysync (libldap). */
#include "cm_keysync_ldap.h"
#include "cm_keysync_search.h"
#include "cm_file.h"

#include <ldap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#define PGP_SERVER_INFO "cn=PGPServerInfo"
#define TIMEOUT_S CM_KEYSYNC_SEARCH_TIMEOUT_S

int cm_keysync_ldap_password(char *buf, size_t len, size_t *pwlen)
{
    size_t i = 0;

    while (i < len && buf[i] != '\n' && buf[i] != '\r' && buf[i] != '\0')
        i++;
    if (i == 0 || (i < len && buf[i] == '\0'))
        return -1;
    buf[i] = '\0';
    *pwlen = i;
    return 0;
}

int cm_keysync_ldap_flag(const char *p, size_t n)
{
    return (n == 1 && p[0] == '1') || (n == 4 && strncasecmp(p, "true", 4) == 0);
}

static void free_blobs(cm_keyblob *v, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        free((void *) v[i].p);
        free((void *) v[i].origin);
    }
    free(v);
}

void cm_keysync_ldap_free(cm_keysync_set *s)
{
    free_blobs(s->v, s->n);
    free_blobs(s->certs, s->ncerts);
    memset(s, 0, sizeof(*s));
}

static int fail(char *err, size_t errlen, const char *what, int rc)
{
    snprintf(err, errlen, "%s: %s", what, ldap_err2string(rc));
    return -1;
}

static int bind(LDAP *ld, const cm_config *cfg, char *err, size_t errlen)
{
    struct berval cred = {0, NULL};
    struct stat st;
    char *buf = NULL;
    size_t len, pwlen;
    int rc, e;

    if (*cfg->keysync_bind_dn == '\0') {
        rc = ldap_sasl_bind_s(ld, NULL, "EXTERNAL", &cred, NULL, NULL, NULL);
        return rc == LDAP_SUCCESS ? 0 : fail(err, errlen, "SASL EXTERNAL bind", rc);
    }
    if (*cfg->keysync_password_file == '\0') {
        snprintf(err, errlen, "KeySyncBindDN is set without KeySyncPasswordFile");
        return -1;
    }
    if ((e = cm_file_read(cfg->keysync_password_file, 4096, &buf, &len, &st)) != 0
        || (st.st_mode & S_IRWXO) != 0 || cm_keysync_ldap_password(buf, len, &pwlen) < 0) {
        snprintf(err, errlen, "KeySyncPasswordFile %s: %s", cfg->keysync_password_file,
                 e != 0 ? "cannot be read" : (st.st_mode & S_IRWXO) != 0
                 ? "others may read it (chmod o-rwx)" : "no password on its first line");
        free(buf);
        return -1;
    }
    cred.bv_val = buf;
    cred.bv_len = pwlen;
    rc = ldap_sasl_bind_s(ld, cfg->keysync_bind_dn, LDAP_SASL_SIMPLE, &cred, NULL, NULL, NULL);
    memset(buf, 0, len);
    free(buf);
    return rc == LDAP_SUCCESS ? 0 : fail(err, errlen, "bind", rc);
}

/* cn=PGPServerInfo's pgpBaseKeySpaceDN into *ctx (heap), from the first entry. */
static int space_of(LDAP *ld, LDAPMessage *e, void *ctx, char *err, size_t errlen)
{
    char **out = ctx;
    struct berval **v;

    (void) err;
    (void) errlen;
    if (*out != NULL || (v = ldap_get_values_len(ld, e, "pgpBaseKeySpaceDN")) == NULL)
        return 0;
    if (v[0] != NULL && v[0]->bv_len > 0 && (*out = malloc(v[0]->bv_len + 1)) != NULL) {
        memcpy(*out, v[0]->bv_val, v[0]->bv_len);
        (*out)[v[0]->bv_len] = '\0';
    }
    ldap_value_free_len(v);
    return 0;
}

/* The key space's DN, from cn=PGPServerInfo under KeySyncBase (heap). */
static char *key_space(LDAP *ld, const char *base, char *err, size_t errlen)
{
    char *attrs[] = {"pgpBaseKeySpaceDN", NULL}, dn[1024], *out = NULL;
    int n = snprintf(dn, sizeof(dn), "%s,%s", PGP_SERVER_INFO, base);

    if (n < 0 || (size_t) n >= sizeof(dn)) {
        snprintf(err, errlen, "KeySyncBase is too long");
        return NULL;
    }
    if (cm_keysync_search_each(ld, dn, LDAP_SCOPE_BASE, "(objectClass=*)", attrs, space_of, &out,
                               err, errlen) < 0) {
        free(out);
        return NULL;
    }
    if (out == NULL)
        snprintf(err, errlen, "%s has no pgpBaseKeySpaceDN", dn);
    return out;
}

static int flagged(LDAP *ld, LDAPMessage *e, const char *attr)
{
    struct berval **v = ldap_get_values_len(ld, e, attr);
    int yes = v != NULL && v[0] != NULL && cm_keysync_ldap_flag(v[0]->bv_val, v[0]->bv_len);

    if (v != NULL)
        ldap_value_free_len(v);
    return yes;
}

/* A copy of val, named by e's DN, appended to *v. 0, or -1 out of memory. */
static int append(LDAP *ld, LDAPMessage *e, const struct berval *val, cm_keyblob **v, size_t *n)
{
    char *dn = ldap_get_dn(ld, e), *p = NULL, *origin = NULL;
    cm_keyblob *grown;

    if ((p = malloc(val->bv_len)) == NULL || (origin = strdup(dn ? dn : "?")) == NULL
        || (grown = realloc(*v, (*n + 1) * sizeof(*grown))) == NULL) {
        free(p);
        free(origin);
        ldap_memfree(dn);
        return -1;
    }
    ldap_memfree(dn);
    memcpy(p, val->bv_val, val->bv_len);
    *v = grown;
    grown[*n].p = p;
    grown[*n].n = val->bv_len;
    grown[*n].origin = origin;
    (*n)++;
    return 0;
}

/* Every userCertificate;binary of one entry appended to the set's certs. */
static int add_certs(LDAP *ld, LDAPMessage *e, void *ctx, char *err, size_t errlen)
{
    cm_keysync_set *out = ctx;
    struct berval **v = ldap_get_values_len(ld, e, "userCertificate;binary");
    size_t i;
    int r = 0;

    if (v == NULL)
        return 0;
    for (i = 0; r == 0 && v[i] != NULL; i++)
        if (v[i]->bv_len > 0)
            r = append(ld, e, v[i], &out->certs, &out->ncerts);
    ldap_value_free_len(v);
    if (r < 0)
        snprintf(err, errlen, "out of memory");
    return r;
}

/* One entry's key block (pgpKeyV2, binary, as PGP's servers keep it, else
 * pgpKey, armored) appended to the set; skipped (counted) if it is marked
 * revoked or disabled; 0 also for an entry without one. */
static int add_key(LDAP *ld, LDAPMessage *e, void *ctx, char *err, size_t errlen)
{
    cm_keysync_set *out = ctx;
    struct berval **v;
    int r = 0;

    if (flagged(ld, e, "pgpRevoked") || flagged(ld, e, "pgpDisabled")) {
        out->skipped++;
        return 0;
    }
    v = ldap_get_values_len(ld, e, "pgpKeyV2");
    if (v == NULL || v[0] == NULL) {
        if (v != NULL)
            ldap_value_free_len(v);
        v = ldap_get_values_len(ld, e, "pgpKey");
    }
    if (v != NULL && v[0] != NULL && v[0]->bv_len > 0)
        r = append(ld, e, v[0], &out->v, &out->n);
    if (v != NULL)
        ldap_value_free_len(v);
    if (r < 0)
        snprintf(err, errlen, "out of memory");
    return r;
}

/* Every userCertificate;binary of the entries with a mail attribute. */
static int read_certs(LDAP *ld, const char *base, cm_keysync_set *out, char *err, size_t errlen)
{
    char *attrs[] = {"userCertificate;binary", NULL};

    return cm_keysync_search_each(ld, base, LDAP_SCOPE_SUBTREE, "(&(mail=*)(userCertificate=*))",
                                  attrs, add_certs, out, err, errlen);
}

static int read_keys(LDAP *ld, const char *space, cm_keysync_set *out, char *err, size_t errlen)
{
    char *attrs[] = {"pgpKeyV2", "pgpKey", "pgpRevoked", "pgpDisabled", NULL};

    return cm_keysync_search_each(ld, space, LDAP_SCOPE_SUBTREE, "(objectClass=pgpKeyInfo)",
                                  attrs, add_key, out, err, errlen);
}

int cm_keysync_ldap_fetch(const cm_config *cfg, cm_keysync_set *out, char *err, size_t errlen)
{
    struct timeval tv = {TIMEOUT_S, 0};
    int version = LDAP_VERSION3, rc, r = -1;
    char *space = NULL;
    LDAP *ld = NULL;

    memset(out, 0, sizeof(*out));
    if (*cfg->keysync_uri == '\0' || *cfg->keysync_base == '\0') {
        snprintf(err, errlen, "KeySyncURI and KeySyncBase must be set");
        return -1;
    }
    if ((rc = ldap_initialize(&ld, cfg->keysync_uri)) != LDAP_SUCCESS)
        return fail(err, errlen, "KeySyncURI", rc);
    if ((rc = ldap_set_option(ld, LDAP_OPT_PROTOCOL_VERSION, &version)) != LDAP_OPT_SUCCESS
        || (rc = ldap_set_option(ld, LDAP_OPT_NETWORK_TIMEOUT, &tv)) != LDAP_OPT_SUCCESS
        || (rc = ldap_set_option(ld, LDAP_OPT_TIMEOUT, &tv)) != LDAP_OPT_SUCCESS
        || (rc = ldap_set_option(ld, LDAP_OPT_REFERRALS, LDAP_OPT_OFF)) != LDAP_OPT_SUCCESS) {
        fail(err, errlen, "LDAP options", rc);
        goto out;
    }
    if (bind(ld, cfg, err, errlen) < 0 || (space = key_space(ld, cfg->keysync_base, err, errlen))
        == NULL || read_keys(ld, space, out, err, errlen) < 0
        || (cm_config_has_certs(cfg) && read_certs(ld, cfg->keysync_base, out, err, errlen) < 0))
        goto out;
    r = 0;
out:
    free(space);
    (void) ldap_unbind_ext_s(ld, NULL, NULL);
    if (r < 0)
        cm_keysync_ldap_free(out);
    return r;
}
