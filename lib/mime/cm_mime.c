/* cm_mime - find the body parts of a multipart entity (RFC 2046 §5.1.1). */
#include "cm_mime.h"

#include <string.h>

/* Is the line at p[s..e) a delimiter for boundary? 1 delimiter, 2 close, 0 no. */
static int delimiter(const unsigned char *p, size_t s, size_t e, const char *b, size_t blen)
{
    size_t i;
    int close = 0;

    if (e - s < 2 + blen || p[s] != '-' || p[s + 1] != '-' || memcmp(p + s + 2, b, blen) != 0)
        return 0;
    i = s + 2 + blen;
    if (e - i >= 2 && p[i] == '-' && p[i + 1] == '-') {
        close = 1;
        i += 2;
    }
    for (; i < e; i++)          /* transport padding */
        if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r')
            return 0;
    return close ? 2 : 1;
}

size_t cm_mime_parts(const unsigned char *p, size_t n, const char *boundary,
                     cm_part *parts, size_t max, int *closed)
{
    size_t blen = strlen(boundary), pos = 0, count = 0, start = 0;
    int open = 0;

    *closed = 0;
    if (blen == 0 || blen > 70)
        return 0;
    while (pos < n) {
        const unsigned char *nl = memchr(p + pos, '\n', n - pos);
        size_t e = nl ? (size_t) (nl - p) : n, next = nl ? e + 1 : n;
        int d = delimiter(p, pos, e, boundary, blen);

        if (d != 0) {
            if (open && count < max) {
                /* The line break before the delimiter belongs to it. */
                size_t end = pos;

                if (end > start && p[end - 1] == '\n')
                    end--;
                if (end > start && p[end - 1] == '\r')
                    end--;
                parts[count].off = start;
                parts[count].len = end >= start ? end - start : 0;
                parts[count].complete = 1;
                count++;
            }
            if (d == 2) {
                *closed = 1;
                return count;
            }
            open = 1;
            start = next;
        }
        pos = next;
    }
    if (open && count < max && start <= n) {
        parts[count].off = start;
        parts[count].len = n - start;
        parts[count].complete = 0;
        count++;
    }
    return count;
}

int cm_mime_scan_init(cm_mime_scan *s, const char *boundary)
{
    memset(s, 0, sizeof(*s));
    s->blen = strlen(boundary);
    if (s->blen == 0 || s->blen > 70)
        return -1;
    memcpy(s->boundary, boundary, s->blen + 1);
    return 0;
}

static void add_part(cm_mime_scan *s, uint64_t end, int complete)
{
    if (s->n == CM_MIME_SCAN_MAX) {
        s->extra++;
        return;
    }
    s->parts[s->n].off = s->start;
    s->parts[s->n].len = end >= s->start ? end - s->start : 0;
    s->parts[s->n].complete = complete;
    s->n++;
}

/* The current line, without its LF, is in head (if it fit); it ended at
 * s->pos. crlf: it ended in CR LF. */
static void end_line(cm_mime_scan *s, int crlf)
{
    int d = s->overflow || s->closed ? 0 : delimiter(s->head, 0, s->hlen, s->boundary, s->blen);

    if (d != 0) {
        /* The line break before the delimiter belongs to it. */
        uint64_t end = s->line_start;

        if (end > s->start && s->line_start > 0)
            end -= s->prev_crlf ? 2 : 1;
        if (s->open)
            add_part(s, end, 1);
        else
            s->preamble = end;
        if (d == 2)
            s->closed = 1;
        s->open = 1;
        s->start = s->pos;
    }
    s->prev_crlf = crlf;
    s->line_start = s->pos;
    s->hlen = 0;
    s->overflow = 0;
}

void cm_mime_scan_push(cm_mime_scan *s, const unsigned char *p, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        s->pos++;
        if (p[i] == '\n') {
            end_line(s, s->last_cr);
            s->last_cr = 0;
            continue;
        }
        s->last_cr = p[i] == '\r';
        if (s->hlen < sizeof(s->head))
            s->head[s->hlen++] = p[i];
        else if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r')
            s->overflow = 1;    /* past head only transport padding may follow */
    }
}

void cm_mime_scan_finish(cm_mime_scan *s)
{
    if (s->pos > s->line_start)
        end_line(s, 0);
    if (s->open && !s->closed)
        add_part(s, s->pos, 0);
}
