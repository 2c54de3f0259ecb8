/* cm_addr - envelope addresses: "<local@Domain>" to "local@domain", in the
 * form the MTA delivers to, so that lookups and split see what the MTA sees. */
#include "cm_addr.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* RFC 5322 atext. */
static int atext(int c)
{
    return isalnum(c) || (c != 0 && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL);
}

/* Is s[0..n) a dot-atom (needs no quotes)? */
static int dot_atom(const char *s, size_t n)
{
    size_t i;

    if (n == 0 || s[0] == '.' || s[n - 1] == '.')
        return 0;
    for (i = 0; i < n; i++)
        if (!(atext((unsigned char) s[i]) || (s[i] == '.' && s[i + 1] != '.')))
            return 0;
    return 1;
}

/* A quoted local part "..." that needs no quotes loses them (and its
 * quoted-pairs their backslash), as the MTA delivers it. 0 or -1 (nomem). */
static int unquote_local(char **addr)
{
    char *in = *addr, *at = strrchr(in, '@'), *end = at ? at : in + strlen(in), *out, *w;
    const char *r;

    if (end - in < 2 || in[0] != '"' || end[-1] != '"')
        return 0;
    if ((out = malloc(strlen(in) + 1)) == NULL)
        return -1;
    for (r = in + 1, w = out; r < end - 1; r++) {
        if (*r == '\\' && r + 1 < end - 1)
            r++;
        *w++ = *r;
    }
    if (!dot_atom(out, (size_t) (w - out))) {
        free(out);              /* the quotes are needed: keep them */
        return 0;
    }
    strcpy(w, end);
    free(in);
    *addr = out;
    return 0;
}

char *cm_addr_bare(const char *envaddr)
{
    const char *s = envaddr, *e, *colon;
    char *out, *at;
    size_t i, n;

    while (*s == ' ' || *s == '\t')
        s++;
    e = s + strlen(s);
    while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
        e--;
    if (e > s && *s == '<' && e[-1] == '>') {
        s++;
        e--;
    }
    /* RFC 5321 source route: "@a,@b:user@domain". */
    if (*s == '@' && (colon = memchr(s, ':', (size_t) (e - s))) != NULL)
        s = colon + 1;
    if ((out = strndup(s, (size_t) (e - s))) == NULL)
        return NULL;
    if (unquote_local(&out) < 0) {
        free(out);
        return NULL;
    }
    if ((at = strrchr(out, '@')) != NULL) {
        for (i = 1; at[i]; i++)
            at[i] = (char) tolower((unsigned char) at[i]);
        /* An absolute domain's trailing dot is not part of the name. */
        n = strlen(at);
        if (n > 2 && at[n - 1] == '.' && at[1] != '[')
            at[n - 1] = 0;
    }
    return out;
}

const char *cm_addr_domain(const char *bare)
{
    const char *at = strrchr(bare, '@');

    return at ? at + 1 : "";
}

int cm_addr_base(const char *bare, const char *delimiters, char **out)
{
    const char *at = strrchr(bare, '@');
    size_t llen;

    *out = NULL;
    if (delimiters == NULL || *delimiters == 0 || at == NULL || bare[0] == '"')
        return 0;
    llen = strcspn(bare, delimiters);
    if (bare + llen >= at || llen == 0)
        return 0;
    if ((*out = malloc(llen + strlen(at) + 1)) == NULL)
        return -1;
    memcpy(*out, bare, llen);
    strcpy(*out + llen, at);
    return 1;
}
