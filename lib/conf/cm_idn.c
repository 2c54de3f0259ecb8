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
    rc = idn2_to_ascii_8z(in, &a, IDN2_NFC_INPUT | IDN2_NO_TR46);
    free(in);
    return answer(rc, a, out);
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
    size_t pre;
    int r;

    *out = NULL;
    if (at == NULL)
        return 0;
    pre = (size_t) (at + 1 - addr);
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
    if ((*out = malloc(pre + strlen(dom) + 1)) != NULL) {
        memcpy(*out, addr, pre);
        strcpy(*out + pre, dom);
    }
    free(dom);
    return *out != NULL ? 1 : -1;
}
