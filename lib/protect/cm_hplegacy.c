/* cm_hplegacy - RFC 9788's Legacy Display Element (see cm_hplegacy.h). */
#include "cm_hplegacy.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cm_base64.h"
#include "cm_ctype.h"
#include "cm_hex.h"
#include "cm_hp.h"

#define MAX_LINE 998    /* RFC 5322's line limit, for a 7bit/8bit body */
#define QP_LINE 76      /* RFC 2045's, for quoted-printable */

/* The atom p[0..n) as one RFC 2047 encoded word, decoded into out:
 * 1 done, 0 not an encoded word (out untouched), -1 one in a charset we
 * do not spell (*why), -2 out of memory. */
static int encoded_word(const char *p, size_t n, cm_buf *out, const char **why)
{
    const char *cs = p + 2, *q, *text;
    size_t cslen, tlen, mark = out->len, i;
    int b;

    if (n < 8 || p[0] != '=' || p[1] != '?' || p[n - 2] != '?' || p[n - 1] != '=')
        return 0;
    if ((q = memchr(cs, '?', n - 2)) == NULL || q + 3 > p + n - 2 || q[2] != '?')
        return 0;
    if (q[1] != 'Q' && q[1] != 'q' && q[1] != 'B' && q[1] != 'b')
        return 0;
    b = q[1] == 'B' || q[1] == 'b';
    text = q + 3;
    tlen = (size_t) (p + n - 2 - text);
    cslen = (size_t) (q - cs);
    if (memchr(cs, '*', cslen) != NULL)     /* RFC 2231 language tag */
        cslen = (size_t) ((const char *) memchr(cs, '*', cslen) - cs);
    if (!((cslen == 5 && strncasecmp(cs, "utf-8", 5) == 0)
          || (cslen == 8 && strncasecmp(cs, "us-ascii", 8) == 0))) {
        *why = "an encoded word in a charset other than utf-8";
        return -1;
    }
    if (b) {
        cm_b64 d;
        int r;

        cm_b64_init(&d);
        if ((r = cm_b64_decode(&d, text, tlen, out, (size_t) -1)) == -2)
            return -2;
        if (r < 0) {
            out->len = mark;
            return 0;
        }
        return 1;
    }
    for (i = 0; i < tlen; i++) {
        unsigned char c = (unsigned char) text[i];

        if (c == '=') {
            if (i + 2 >= tlen || cm_hex_decode(text + i + 1, 2, &c, 1) != 1) {
                out->len = mark;
                return 0;
            }
            i += 2;
        } else if (c == '_')
            c = ' ';
        if (cm_buf_putc(out, c) < 0)
            return -2;
    }
    return 1;
}

char *cm_hplegacy_decode(const char *value, const char **why)
{
    char *flat = cm_hdr_unfold(value), *res = NULL;
    const char *p;
    cm_buf out;
    int prev_word = 0;

    *why = NULL;
    if (flat == NULL)
        return NULL;
    cm_buf_init(&out);
    /* Token by token, each with the white space before it; white space
     * between two encoded words is not text (RFC 2047 section 6.2). */
    for (p = flat; *p != 0;) {
        size_t sp = strspn(p, " \t"), n = strcspn(p + sp, " \t");
        size_t mark = out.len;
        int r;

        if (n == 0)
            break;
        if (cm_buf_append(&out, p, sp) < 0)
            goto done;
        if ((r = encoded_word(p + sp, n, &out, why)) < 0)
            goto done;
        if (r == 1 && prev_word && sp > 0) {
            memmove(out.data + mark, out.data + mark + sp, out.len - mark - sp);
            out.len -= sp;
        }
        if (r == 0 && cm_buf_append(&out, p + sp, n) < 0)
            goto done;
        prev_word = r == 1;
        p += sp + n;
    }
    for (size_t i = 0; i < out.len; i++)
        if ((unsigned char) out.data[i] < 32 || out.data[i] == 127) {
            *why = "a control character in a hidden field";
            goto done;
        }
    res = cm_buf_detach(&out, NULL);
done:
    free(flat);
    cm_buf_free(&out);
    return res;
}

/* One line of text as quoted-printable (RFC 2045 section 6.7), soft line
 * breaks keeping each line within QP_LINE. */
static int qp_line(const char *s, cm_buf *out)
{
    size_t col = 0, n = strlen(s), i;

    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char) s[i];
        char enc[4];
        size_t w;

        if (c == '=' || c > 126 || ((c == ' ' || c == '\t') && i + 1 == n)) {
            enc[0] = '=';
            cm_hex_encode(&c, 1, enc + 1);
            w = 3;
        } else {
            enc[0] = (char) c;
            w = 1;
        }
        if (col + w > QP_LINE - 1) {
            if (cm_buf_puts(out, "=\r\n") < 0)
                return -1;
            col = 0;
        }
        if (cm_buf_append(out, enc, w) < 0)
            return -1;
        col += w;
    }
    return cm_buf_puts(out, "\r\n");
}

/* The number of white space bytes at the end of s. */
static size_t trailing_ws(const char *s)
{
    size_t n = strlen(s), k = 0;

    while (k < n && (s[n - 1 - k] == ' ' || s[n - 1 - k] == '\t'))
        k++;
    return k;
}

/* Is s well-formed UTF-8 (RFC 3629: no overlong forms, no surrogates,
 * nothing past U+10FFFF)? */
static int valid_utf8(const char *s)
{
    const unsigned char *p = (const unsigned char *) s;

    while (*p != 0) {
        unsigned c = *p;
        size_t n = c < 0x80 ? 0 : (c & 0xE0) == 0xC0 ? 1 : (c & 0xF0) == 0xE0 ? 2
                   : (c & 0xF8) == 0xF0 ? 3 : 4;
        unsigned cp = n == 0 ? c : n == 1 ? c & 0x1F : n == 2 ? c & 0x0F : c & 0x07;
        size_t i;

        if (n == 4)
            return 0;
        for (i = 1; i <= n; i++) {
            if ((p[i] & 0xC0) != 0x80)
                return 0;
            cp = cp << 6 | (p[i] & 0x3F);
        }
        if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000)
            || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return 0;
        p += n + 1;
    }
    return 1;
}

static int ascii(const char *s)
{
    for (; *s != 0; s++)
        if ((unsigned char) *s > 126)
            return 0;
    return 1;
}

/* Can the body take an element, and how is it encoded: *qp. NULL, or why not. */
static const char *body_shape(const cm_hdrs *h, int *qp, int *utf8, int *eightbit)
{
    const cm_hdr *ctf = cm_hdrs_find(h, "Content-Type", 0);
    const cm_hdr *cte = cm_hdrs_find(h, "Content-Transfer-Encoding", 0);
    const char *why = NULL;

    *qp = *utf8 = *eightbit = 0;
    /* Two of a field, and readers disagree on which one counts. */
    if (cm_hdrs_count(h, "Content-Type") > 1 || cm_hdrs_count(h, "Content-Transfer-Encoding") > 1)
        return "a Content-Type or Content-Transfer-Encoding given twice";
    if (ctf != NULL) {
        cm_ctype ct;
        const char *cs;

        if (cm_ctype_parse(ctf->value, &ct) < 0)
            return "out of memory";
        cs = ct.type != NULL ? cm_ctype_param(&ct, "charset") : NULL;
        if (!cm_ctype_is(&ct, "text", "plain"))
            why = "the body is not a single text/plain part";
        else if (cs != NULL && strcasecmp(cs, "utf-8") == 0)
            *utf8 = 1;
        else if (cs != NULL && strcasecmp(cs, "us-ascii") != 0)
            why = "the body's charset is neither us-ascii nor utf-8";
        cm_ctype_free(&ct);
        if (why != NULL)
            return why;
    }
    if (cte != NULL) {
        char *v = cm_hdr_unfold(cte->value);

        if (v == NULL)
            return "out of memory";
        if (strcasecmp(v, "quoted-printable") == 0)
            *qp = 1;
        else if (strcasecmp(v, "8bit") == 0)
            *eightbit = 1;
        else if (strcasecmp(v, "7bit") != 0)
            why = "the body's transfer encoding is not 7bit, 8bit or quoted-printable";
        free(v);
    }
    return why;
}

int cm_hplegacy_make(const cm_hdrs *outer, const cm_hdrs *entity, cm_buf *out, const char **why)
{
    int qp, utf8, eightbit, any = 0;
    size_t i, mark = out->len;

    if ((*why = body_shape(entity, &qp, &utf8, &eightbit)) != NULL)
        return strcmp(*why, "out of memory") == 0 ? -1 : 0;
    for (i = 0; i < outer->n; i++) {
        const cm_hdr *f = &outer->v[i];
        char *v, *line;
        int r;

        /* The element lists what the policy hid: obscured or removed. */
        if (!cm_hp_protected(f->name) || cm_hp_baseline(f->name, f->value) == f->value)
            continue;
        if ((v = cm_hplegacy_decode(f->value, why)) == NULL)
            goto refuse;
        /* No white space at the end: format=flowed would join the lines. */
        v[strlen(v) - trailing_ws(v)] = 0;
        if (!ascii(v) && (!utf8 || (!qp && !eightbit) || !valid_utf8(v))) {
            free(v);
            *why = "a hidden field the body's charset or encoding cannot spell";
            goto refuse;
        }
        if ((line = malloc(strlen(f->name) + 2 + strlen(v) + 1)) == NULL) {
            free(v);
            return -1;
        }
        strcpy(line, f->name);
        strcat(line, ": ");
        strcat(line, v);
        free(v);
        if (!qp && strlen(line) > MAX_LINE) {
            free(line);
            *why = "a hidden field too long for one line of the body";
            goto refuse;
        }
        r = qp ? qp_line(line, out)
               : (cm_buf_puts(out, line) < 0 || cm_buf_puts(out, "\r\n") < 0 ? -1 : 0);
        free(line);
        if (r < 0)
            return -1;
        any = 1;
    }
    if (!any) {
        *why = "nothing hidden";
        return 0;
    }
    return cm_buf_puts(out, "\r\n") < 0 ? -1 : 1;
refuse:
    out->len = mark;
    return *why == NULL ? -1 : 0;
}
