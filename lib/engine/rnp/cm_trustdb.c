/* cm_trustdb - disabled keys in GnuPG's trust database. */
#include "cm_trustdb.h"
#include "cm_buf.h"
#include "cm_hex.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RECLEN 40
#define REC_VERSION 1
#define REC_TRUST 12
#define TRUST_FLAG_DISABLED 0x80

static int fpr_cmp(const void *a, const void *b)
{
    return memcmp(a, b, 20);
}

int cm_trustdb_parse(const unsigned char *p, size_t n, cm_trustdb *out, char *err, size_t errlen)
{
    size_t i, count = 0;

    out->disabled = NULL;
    out->n = 0;
    if (n < RECLEN || n % RECLEN != 0 || p[0] != REC_VERSION || memcmp(p + 1, "gpg", 3) != 0) {
        snprintf(err, errlen, "not a GnuPG trust database%s",
                 n % RECLEN != 0 ? " (cut short: being rewritten?)" : "");
        return -1;
    }
    for (i = RECLEN; i < n; i += RECLEN)
        if (p[i] == REC_TRUST && (p[i + 22] & TRUST_FLAG_DISABLED))
            count++;
    if (count == 0)
        return 0;
    if ((out->disabled = cm_array_resize(NULL, count, sizeof(*out->disabled))) == NULL)
        return -2;
    for (i = RECLEN; i < n; i += RECLEN)
        if (p[i] == REC_TRUST && (p[i + 22] & TRUST_FLAG_DISABLED))
            memcpy(out->disabled[out->n++], p + i + 2, 20);
    qsort(out->disabled, out->n, sizeof(*out->disabled), fpr_cmp);
    return 0;
}

int cm_trustdb_is_disabled(const cm_trustdb *t, const char *hexfpr)
{
    unsigned char f[20];

    /* Only v4 keys are in the trust database. */
    if (t->n == 0 || cm_hex_decode(hexfpr, strlen(hexfpr), f, sizeof(f)) != (long) sizeof(f))
        return 0;
    return bsearch(f, t->disabled, t->n, sizeof(*t->disabled), fpr_cmp) != NULL;
}

void cm_trustdb_free(cm_trustdb *t)
{
    free(t->disabled);
    t->disabled = NULL;
    t->n = 0;
}
