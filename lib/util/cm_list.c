/* cm_list - a list of strings, from "a, b, c" or "file:/path" (one per line). */
#include "cm_list.h"
#include "cm_buf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void cm_list_free(cm_list *l)
{
    size_t i;

    for (i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
    l->v = NULL;
    l->n = 0;
}

int cm_list_add(cm_list *l, const char *s, size_t len)
{
    char **nv, *dup;

    if (l->n >= ((size_t) -1) / sizeof(char *) - 1)
        return -1;
    if ((dup = strndup(s, len)) == NULL)
        return -1;
    if ((nv = cm_array_resize(l->v, l->n + 1, sizeof(char *))) == NULL) {
        free(dup);
        return -1;
    }
    l->v = nv;
    l->v[l->n++] = dup;
    return 0;
}

static int is_sep(int c, int commas)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || (commas && c == ',');
}

/* Split text on commas and white space; '#' starts a comment in files. */
static int add_words(cm_list *l, const char *p, int comments)
{
    while (*p) {
        const char *start;

        while (*p && is_sep((unsigned char) *p, 1))
            p++;
        if (comments && *p == '#') {
            while (*p && *p != '\n')
                p++;
            continue;
        }
        start = p;
        while (*p && !is_sep((unsigned char) *p, 1))
            p++;
        if (p > start && cm_list_add(l, start, (size_t) (p - start)) < 0)
            return -1;
    }
    return 0;
}

static int read_file(const char *path, cm_buf *out, char *err, size_t errlen)
{
    FILE *fp = fopen(path, "re");
    char chunk[4096];
    size_t n;

    if (fp == NULL) {
        snprintf(err, errlen, "cannot open list file %s: %s", path, strerror(errno));
        return -1;
    }
    while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0) {
        if (cm_buf_append(out, chunk, n) < 0) {
            snprintf(err, errlen, "list file %s: out of memory", path);
            fclose(fp);
            return -1;
        }
    }
    if (ferror(fp)) {
        snprintf(err, errlen, "cannot read list file %s", path);
        fclose(fp);
        return -1;
    }
    fclose(fp);
    if (memchr(out->data ? out->data : (unsigned char *) "", 0, out->len) != NULL) {
        snprintf(err, errlen, "list file %s contains a NUL byte", path);
        return -1;
    }
    return 0;
}

int cm_list_parse(cm_list *l, const char *spec, char *err, size_t errlen)
{
    if (strncmp(spec, "file:", 5) == 0) {
        cm_buf text = CM_BUF_INIT;
        int rc;

        if (spec[5] != '/') {
            snprintf(err, errlen, "list file must be an absolute path: %s", spec + 5);
            return -1;
        }
        if (read_file(spec + 5, &text, err, errlen) < 0) {
            cm_buf_free(&text);
            return -1;
        }
        rc = add_words(l, cm_buf_str(&text), 1);
        cm_buf_free(&text);
        if (rc < 0)
            snprintf(err, errlen, "out of memory");
        return rc;
    }
    if (add_words(l, spec, 0) < 0) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return 0;
}

int cm_list_has_ci(const cm_list *l, const char *s)
{
    size_t i;

    for (i = 0; i < l->n; i++)
        if (strcasecmp(l->v[i], s) == 0)
            return 1;
    return 0;
}
