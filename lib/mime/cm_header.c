/* cm_header - an ordered RFC 5322 header list with limits, and its parser. */
#include "cm_header.h"
#include "cm_buf.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

void cm_hdrs_init(cm_hdrs *h, size_t max_fields, size_t max_bytes)
{
    memset(h, 0, sizeof(*h));
    h->max_fields = max_fields;
    h->max_bytes = max_bytes;
}

static void hdr_free(cm_hdr *f)
{
    free(f->name);
    free(f->value);
    free(f->raw);
}

void cm_hdrs_free(cm_hdrs *h)
{
    size_t i;

    for (i = 0; i < h->n; i++)
        hdr_free(&h->v[i]);
    free(h->v);
    cm_hdrs_init(h, h->max_fields, h->max_bytes);
}

/* Copy s[0..n) turning CRLF and lone CR-before-LF into "\n"; drop a final line break. */
static char *normalise(const char *s, size_t n)
{
    char *out = malloc(n + 1), *o = out;
    size_t i;

    if (out == NULL)
        return NULL;
    for (i = 0; i < n; i++) {
        if (s[i] == '\r' && i + 1 < n && s[i + 1] == '\n')
            continue;
        *o++ = s[i];
    }
    while (o > out && o[-1] == '\n')
        o--;
    *o = 0;
    return out;
}

cm_stat cm_hdrs_add(cm_hdrs *h, const char *name, const char *value, size_t vlen)
{
    size_t nlen = strlen(name), tlen;
    cm_hdr f;

    while (nlen > 0 && (name[nlen - 1] == ' ' || name[nlen - 1] == '\t'))
        nlen--;
    if (nlen > ((size_t) -1) / 2 || vlen > ((size_t) -1) / 2 - nlen - 2)
        return CM_HEADER_LIMIT;
    tlen = nlen + vlen + 2;
    if (h->n >= h->max_fields || h->bytes > h->max_bytes || tlen > h->max_bytes - h->bytes)
        return CM_HEADER_LIMIT;
    if (h->n == h->cap) {
        size_t ncap = h->cap ? h->cap * 2 : 32;
        cm_hdr *nv = cm_array_resize(h->v, ncap, sizeof(*nv));

        if (nv == NULL)
            return CM_ERR_NOMEM;
        h->v = nv;
        h->cap = ncap;
    }
    memset(&f, 0, sizeof(f));
    f.name = strndup(name, nlen);
    f.value = normalise(value, vlen);
    if (f.name == NULL || f.value == NULL || (f.raw = malloc(strlen(name) + strlen(f.value) + 2)) == NULL) {
        hdr_free(&f);
        return CM_ERR_NOMEM;
    }
    strcpy(f.raw, name);
    strcat(f.raw, ":");
    strcat(f.raw, f.value);
    h->v[h->n++] = f;
    h->bytes += strlen(f.raw) + 2;
    return CM_OK;
}

cm_stat cm_hdrs_copy(cm_hdrs *dst, const cm_hdrs *src)
{
    size_t i;
    cm_stat st = CM_OK;

    for (i = 0; i < src->n && st == CM_OK; i++) {
        const cm_hdr *f = &src->v[i];
        /* The name as received, white space before the colon included. */
        char *name = strndup(f->raw, strlen(f->raw) - strlen(f->value) - 1);

        st = name == NULL ? CM_ERR_NOMEM : cm_hdrs_add(dst, name, f->value, strlen(f->value));
        free(name);
    }
    return st;
}

const cm_hdr *cm_hdrs_find(const cm_hdrs *h, const char *name, size_t nth)
{
    size_t i;

    for (i = 0; i < h->n; i++)
        if (strcasecmp(h->v[i].name, name) == 0 && nth-- == 0)
            return &h->v[i];
    return NULL;
}

size_t cm_hdrs_count(const cm_hdrs *h, const char *name)
{
    size_t i, c = 0;

    for (i = 0; i < h->n; i++)
        if (strcasecmp(h->v[i].name, name) == 0)
            c++;
    return c;
}

void cm_hdrs_remove(cm_hdrs *h, size_t i)
{
    if (i >= h->n)
        return;
    h->bytes -= strlen(h->v[i].raw) + 2;
    hdr_free(&h->v[i]);
    memmove(&h->v[i], &h->v[i + 1], (h->n - i - 1) * sizeof(h->v[0]));
    h->n--;
}

char *cm_hdr_unfold(const char *value)
{
    size_t n = strlen(value), i;
    char *out = malloc(n + 1), *o = out;

    if (out == NULL)
        return NULL;
    for (i = 0; i < n; i++)
        if (value[i] != '\r' && value[i] != '\n')
            *o++ = value[i];
    *o = 0;
    for (o = out; *o == ' ' || *o == '\t'; o++)
        ;
    memmove(out, o, strlen(o) + 1);
    n = strlen(out);
    while (n > 0 && (out[n - 1] == ' ' || out[n - 1] == '\t'))
        out[--n] = 0;
    return out;
}

int cm_hdr_obsolete(const cm_hdr *f)
{
    return f->raw[strlen(f->name)] != ':';
}

int cm_hdr_is_content(const char *name)
{
    return strncasecmp(name, "Content-", 8) == 0;
}

int cm_hdr_write(const cm_hdr *f, const char *eol, cm_buf *out)
{
    const char *p = f->raw, *nl;

    while ((nl = strchr(p, '\n')) != NULL) {
        if (cm_buf_append(out, p, (size_t) (nl - p)) < 0 || cm_buf_puts(out, eol) < 0)
            return -1;
        p = nl + 1;
    }
    if (cm_buf_puts(out, p) < 0 || cm_buf_puts(out, eol) < 0)
        return -1;
    return 0;
}

/* Length of the field name at p (printable ASCII but ':'), if followed by
 * optional WSP and ':'; else 0. *colon gets the colon's offset. */
static size_t field_name(const unsigned char *p, size_t n, size_t *colon)
{
    size_t i = 0, nlen;

    while (i < n && p[i] > 32 && p[i] < 127 && p[i] != ':')
        i++;
    nlen = i;
    if (nlen == 0)
        return 0;
    while (i < n && (p[i] == ' ' || p[i] == '\t'))
        i++;
    if (i >= n || p[i] != ':')
        return 0;
    *colon = i;
    return nlen;
}

cm_hparse cm_hdrs_parse(cm_hdrs *h, const unsigned char *p, size_t n, int eof,
                        size_t *body_off, cm_stat *stat)
{
    size_t pos = 0;

    *stat = CM_OK;
    while (pos < n) {
        size_t colon, nlen, end, next;
        const unsigned char *nl;
        char *name;
        cm_stat st;

        /* An empty line ends the section. */
        if (p[pos] == '\n' || (p[pos] == '\r' && pos + 1 < n && p[pos + 1] == '\n')) {
            *body_off = pos + (p[pos] == '\r' ? 2 : 1);
            return CM_HPARSE_DONE;
        }
        if (p[pos] == '\r' && pos + 1 == n && !eof)
            return CM_HPARSE_MORE;
        if ((nlen = field_name(p + pos, n - pos, &colon)) == 0) {
            /* Not a field: need the whole line to be sure, then it starts the body. */
            if (memchr(p + pos, '\n', n - pos) == NULL && !eof && n - pos < 1000)
                return CM_HPARSE_MORE;
            *body_off = pos;
            return CM_HPARSE_DONE;
        }
        /* The field runs to the first line break not followed by WSP. */
        end = pos;
        for (;;) {
            nl = memchr(p + end, '\n', n - end);
            if (nl == NULL) {
                if (!eof)
                    return CM_HPARSE_MORE;
                end = n;
                next = n;
                break;
            }
            next = (size_t) (nl - p) + 1;
            if (next == n && !eof)
                return CM_HPARSE_MORE;
            if (next < n && (p[next] == ' ' || p[next] == '\t')) {
                end = next;
                continue;
            }
            end = next;
            break;
        }
        if (memchr(p + pos, 0, end - pos) != NULL) {
            *stat = CM_BAD_INPUT;
            return CM_HPARSE_ERROR;
        }
        if ((name = strndup((const char *) p + pos, colon)) == NULL) {
            *stat = CM_ERR_NOMEM;
            return CM_HPARSE_ERROR;
        }
        st = cm_hdrs_add(h, name, (const char *) p + pos + colon + 1, end - pos - colon - 1);
        free(name);
        if (st != CM_OK) {
            *stat = st;
            return CM_HPARSE_ERROR;
        }
        pos = next;
    }
    if (!eof)
        return CM_HPARSE_MORE;
    *body_off = n;
    return CM_HPARSE_DONE;
}
