/* cm_addr - envelope addresses: "<local@Domain>" to "local@domain". */
#include "cm_addr.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

char *cm_addr_bare(const char *envaddr)
{
    const char *s = envaddr, *e, *colon;
    char *out, *at;
    size_t i;

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
    if ((at = strrchr(out, '@')) != NULL)
        for (i = 1; at[i]; i++)
            at[i] = (char) tolower((unsigned char) at[i]);
    return out;
}

const char *cm_addr_domain(const char *bare)
{
    const char *at = strrchr(bare, '@');

    return at ? at + 1 : "";
}
