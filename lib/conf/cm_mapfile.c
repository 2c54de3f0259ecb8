/* cm_mapfile - the line files EncryptionPolicy and KeyAliases name. */
#include "cm_mapfile.h"
#include "cm_file.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int lower(int c)
{
    return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

int cm_mapfile_eq(const char *a, size_t alen, const char *b, size_t blen)
{
    size_t i;

    if (alen != blen)
        return 0;
    for (i = 0; i < alen; i++)
        if (lower((unsigned char) a[i]) != lower((unsigned char) b[i]))
            return 0;
    return 1;
}

int cm_mapfile_trailing_dot(const char *tok, char *err, size_t errlen)
{
    size_t n = strlen(tok);

    if (n < 2 || tok[n - 1] != '.')
        return 0;
    snprintf(err, errlen, "\"%s\" ends in a dot (write %.*s)", tok, (int) (n - 1), tok);
    return -1;
}

static int is_sep(int c)
{
    return c == ' ' || c == '\t' || c == ',';
}

/* Split line (NUL-terminated, comment cut, in a buffer of our own) into
 * tokens in place; -1 if there are too many. */
static int tokens(char *p, char **tok, size_t *ntok)
{
    *ntok = 0;
    for (;;) {
        while (is_sep((unsigned char) *p))
            *p++ = 0;
        if (*p == 0)
            return 0;
        if (*ntok == CM_MAPFILE_MAX_TOKENS)
            return -1;
        tok[(*ntok)++] = p;
        while (*p && !is_sep((unsigned char) *p)) {
            *p = (char) lower((unsigned char) *p);
            p++;
        }
    }
}

/* Check one line's bytes: NUL and control bytes (but tab, and the CR of a
 * CRLF file) are refused. */
static const char *bad_byte(const char *p, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char) p[i];

        if (c == 0)
            return "NUL byte in line";
        if ((c < 0x20 && c != '\t' && !(c == '\r' && i + 1 == n)) || c == 0x7f)
            return "control character in line";
    }
    return NULL;
}

int cm_mapfile_parse(const char *name, const char *text, size_t len, cm_mapfile_fn fn, void *arg,
                     char *err, size_t errlen)
{
    char buf[CM_MAPFILE_MAX_LINE + 2], *tok[CM_MAPFILE_MAX_TOKENS], why[512], *hash;
    size_t off = 0, line = 0, n, adv, ntok;
    const char *nl, *bad;

    while (off < len) {
        line++;
        nl = memchr(text + off, '\n', len - off);
        n = nl != NULL ? (size_t) (nl - (text + off)) : len - off;
        adv = n + (nl != NULL);
        if ((bad = bad_byte(text + off, n)) != NULL) {
            snprintf(err, errlen, "%s:%zu: %s", name, line, bad);
            return -1;
        }
        if (n > 0 && text[off + n - 1] == '\r')
            n--;
        if (n > CM_MAPFILE_MAX_LINE) {
            snprintf(err, errlen, "%s:%zu: line longer than %d bytes", name, line,
                     CM_MAPFILE_MAX_LINE);
            return -1;
        }
        memcpy(buf, text + off, n);
        buf[n] = 0;
        off += adv;
        if ((hash = strchr(buf, '#')) != NULL)
            *hash = 0;
        if (tokens(buf, tok, &ntok) < 0) {
            snprintf(err, errlen, "%s:%zu: more than %d words in line", name, line,
                     CM_MAPFILE_MAX_TOKENS);
            return -1;
        }
        if (ntok == 0)
            continue;
        why[0] = 0;
        if (fn(arg, line, tok, ntok, why, sizeof(why)) < 0) {
            snprintf(err, errlen, "%s:%zu: %s", name, line, why);
            return -1;
        }
    }
    return 0;
}

int cm_mapfile_load(const char *value, cm_mapfile_fn fn, void *arg, char *err, size_t errlen)
{
    const char *path;
    struct stat st;
    char *text = NULL;
    size_t len = 0;
    int r;

    if (strncmp(value, "file:", 5) != 0 || value[5] != '/') {
        snprintf(err, errlen, "\"%s\" is not file:/absolute/path", value);
        return -1;
    }
    path = value + 5;
    if ((r = cm_file_read(path, CM_MAPFILE_MAX_SIZE, &text, &len, &st)) < 0) {
        snprintf(err, errlen, "%s: %s", path,
                 r == -2 ? "not a regular file"
                 : errno == EFBIG ? "larger than 4M" : strerror(errno));
        return -1;
    }
    r = cm_mapfile_parse(path, text, len, fn, arg, err, errlen);
    free(text);
    return r;
}
