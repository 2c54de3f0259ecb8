/* cm_keys_out - how cryptmilter-keys writes one key. */
#include "cm_keys_out.h"

#include <time.h>

const char *cm_keys_out_state(cm_key_state st)
{
    switch (st) {
    case CM_KEY_USABLE: return "usable";
    case CM_KEY_EXPIRED: return "expired";
    case CM_KEY_REVOKED: return "revoked";
    case CM_KEY_DISABLED: return "disabled";
    case CM_KEY_NO_ENCRYPTION: return "no-encryption";
    case CM_KEY_MISSING: return "missing";
    }
    return "unknown";
}

void cm_keys_out_date(int64_t expires, char out[32])
{
    time_t t = (time_t) expires;
    struct tm tm;

    if (expires <= 0 || gmtime_r(&t, &tm) == NULL
        || strftime(out, 32, "%Y-%m-%d", &tm) == 0)
        snprintf(out, 32, "%s", expires <= 0 ? "never" : "unknown");
}

int cm_keys_out_json_str(FILE *fp, const char *s)
{
    const unsigned char *p;

    if (fputc('"', fp) == EOF)
        return -1;
    for (p = (const unsigned char *) s; *p; p++) {
        int r;

        if (*p == '"' || *p == '\\')
            r = fprintf(fp, "\\%c", *p);
        else if (*p < 0x20 || *p == 0x7f)
            r = fprintf(fp, "\\u%04x", *p);
        else
            r = fputc(*p, fp) == EOF ? -1 : 1;
        if (r < 0)
            return -1;
    }
    return fputc('"', fp) == EOF ? -1 : 0;
}

/* s as one word of a text line: white space, control bytes and backslashes
 * written \HH, as the issuer's spaces are (UTF-8 as it is). -1 on a
 * write error. */
static int word(FILE *fp, const char *s)
{
    const unsigned char *p;

    for (p = (const unsigned char *) s; *p; p++)
        if ((*p <= 0x20 || *p == 0x7f || *p == '\\' ? fprintf(fp, "\\%02x", *p)
             : fputc(*p, fp) == EOF ? -1 : 1) < 0)
            return -1;
    return 0;
}

int cm_keys_out_write(FILE *fp, const char *cls, const cm_keyinfo *k, int json, int first)
{
    char date[32];

    cm_keys_out_date(k->expires, date);
    if (!json)
        return word(fp, k->addr) < 0 || fprintf(fp, " %s %s %s %s\n", cls, k->id, date,
                                                  cm_keys_out_state(k->state)) < 0 ? -1 : 0;
    if (fprintf(fp, "%s\n {\"address\": ", first ? "" : ",") < 0
        || cm_keys_out_json_str(fp, k->addr) < 0
        || fprintf(fp, ", \"class\": \"%s\", \"id\": ", cls) < 0
        || cm_keys_out_json_str(fp, k->id) < 0
        || fprintf(fp, ", \"expires\": \"%s\", \"state\": \"%s\"}", date,
                   cm_keys_out_state(k->state)) < 0)
        return -1;
    return 0;
}
