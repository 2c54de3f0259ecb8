/* cm_idn - the two forms of an internationalised domain. */
#include "cm_idn.h"

#include <idn2.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int ascii(const char *s, size_t n)
{
    size_t i;

    for (i = 0; i < n && (unsigned char) s[i] < 0x80; i++)
        ;
    return i == n;
}

/* idn2's answer as ours: heap string in *out moved to malloc's, or the
 * error. */
static int answer(int rc, char *got, char **out)
{
    *out = NULL;
    if (rc != IDN2_OK || got == NULL)
        return rc == IDN2_MALLOC ? -1 : -2;
    *out = strdup(got);
    idn2_free(got);
    return *out != NULL ? 0 : -1;
}

int cm_idn_alabel(const char *dom, size_t dlen, char **out)
{
    char *in, *a = NULL;
    int rc;

    *out = NULL;
    if (ascii(dom, dlen))
        return 0;
    if ((in = strndup(dom, dlen)) == NULL)
        return -1;
    /* UTS#46 mapping (nontransitional: ß stays ß, as IDNA2008 has it)
     * folds Unicode case, so every spelling of a domain has one A-label. */
    rc = idn2_to_ascii_8z(in, &a, IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL);
    free(in);
    return answer(rc, a, out);
}

/* addr with its domain part (from dom on) replaced by rep: *out (heap).
 * 0 or -1 (nomem). */
static int with_domain(const char *addr, const char *dom, const char *rep, char **out)
{
    size_t pre = (size_t) (dom - addr), n = strlen(rep);

    if ((*out = malloc(pre + n + 1)) == NULL)
        return -1;
    memcpy(*out, addr, pre);
    memcpy(*out + pre, rep, n + 1);
    return 0;
}

int cm_idn_fold(const char *addr, char **out)
{
    const char *at = strrchr(addr, '@');
    char *a = NULL;
    int r;

    *out = NULL;
    if (at == NULL || (r = cm_idn_alabel(at + 1, strlen(at + 1), &a)) < 0 || a == NULL)
        return at == NULL ? 0 : r;
    r = with_domain(addr, at + 1, a, out);
    free(a);
    return r < 0 ? -1 : 1;
}

int cm_idn_fold_heap(char **addr)
{
    char *f;
    int r = cm_idn_fold(*addr, &f);

    if (r == -1)
        return -1;
    if (r == 1) {
        free(*addr);
        *addr = f;
    }
    return 0;
}

int cm_idn_addr_eq(const char *a, const char *b)
{
    char *fa = NULL, *fb = NULL;
    int r = 0;

    if (strcasecmp(a, b) == 0)
        return 1;
    if (cm_idn_fold(a, &fa) == -1 || cm_idn_fold(b, &fb) == -1)
        r = -1;
    else if (fa != NULL || fb != NULL)
        r = strcasecmp(fa != NULL ? fa : a, fb != NULL ? fb : b) == 0;
    free(fa);
    free(fb);
    return r;
}

int cm_idn_list_has(const cm_list *l, const char *dom)
{
    char *want = NULL, *have;
    size_t i;
    int r, found = 0;

    if ((r = cm_idn_alabel(dom, strlen(dom), &want)) == -1)
        return -1;
    for (i = 0; i < l->n && !found; i++) {
        if (strcasecmp(l->v[i], dom) == 0) {
            found = 1;
            continue;
        }
        if ((r = cm_idn_alabel(l->v[i], strlen(l->v[i]), &have)) == -1) {
            free(want);
            return -1;
        }
        if (r == -2 || (have == NULL && want == NULL))
            continue;       /* not IDNA2008 there, or both ASCII: the bytes decided */
        found = strcasecmp(have != NULL ? have : l->v[i], want != NULL ? want : dom) == 0;
        free(have);
    }
    free(want);
    return found;
}

/* Does dom hold a label that starts "xn--"? */
static int has_alabel(const char *dom)
{
    const char *p = dom;

    for (;;) {
        if (strncasecmp(p, "xn--", 4) == 0)
            return 1;
        if ((p = strchr(p, '.')) == NULL)
            return 0;
        p++;
    }
}

int cm_idn_other(const char *addr, char **out)
{
    const char *at = strrchr(addr, '@');
    char *dom = NULL, *u = NULL;
    int r;

    *out = NULL;
    if (at == NULL)
        return 0;
    if (!ascii(at + 1, strlen(at + 1))) {
        r = cm_idn_alabel(at + 1, strlen(at + 1), &dom);
    } else if (has_alabel(at + 1)) {
        r = idn2_to_unicode_8z8z(at + 1, &u, IDN2_NO_TR46);
        r = answer(r, u, &dom);
    } else {
        return 0;
    }
    if (r == -2 || (r == 0 && dom == NULL))
        return 0;
    if (r < 0)
        return -1;
    r = with_domain(addr, at + 1, dom, out);
    free(dom);
    return r < 0 ? -1 : 1;
}
