/* The header edits that turn a message into its encrypted form
 * (cm_rewrite), as golden files in the manner of Postfix's
 * cleanup_milter.inNN/.refNN: tests/fixtures/rewrite/NN.in holds the
 * format's envelope and the message's header, NN.ref the edits expected
 * and the header they leave (the folder's README gives the format). */
#include "cm_buf.h"
#include "cm_edit.h"
#include "cm_rewrite.h"
#include "cm_test.h"

#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* Every case in the folder; a file not named here fails every_case_listed. */
static const char *const cases[] = {"01", "02", "03", "04", "05", "06"};

/* One field of a golden file: "Name:value", continuation lines appended. */
typedef struct field {
    char name[64];
    cm_buf value;   /* raw, after the colon, "\n" folds */
} field;

typedef struct golden {
    field v[64];
    size_t n[2];    /* fields in the first block, in the second */
} golden;

static void read_golden(const char *name, golden *g)
{
    char path[4096], line[1024];
    size_t block = 0, i = 0;
    FILE *fp;

    memset(g, 0, sizeof(*g));
    snprintf(path, sizeof(path), "%s/rewrite/%s", CM_FIXTURES, name);
    ck_assert_msg((fp = fopen(path, "r")) != NULL, "%s", path);
    while (fgets(line, sizeof(line), fp) != NULL) {
        size_t len = strcspn(line, "\n");
        char *colon;

        ck_assert_msg(line[len] == '\n', "%s: line too long", path);
        line[len] = 0;
        if (line[0] == '#')
            continue;
        if (len == 0) {
            ck_assert_msg(block == 0, "%s: a third block", path);
            block = 1;
            continue;
        }
        if (line[0] == ' ' || line[0] == '\t') {
            ck_assert_msg(i > 0 && g->n[block] > 0, "%s: continuation of nothing", path);
            ck_assert_int_eq(cm_buf_printf(&g->v[i - 1].value, "\n%s", line), 0);
            continue;
        }
        ck_assert_msg(i < NELEM(g->v), "%s: too many fields", path);
        ck_assert_msg((colon = strchr(line, ':')) != NULL, "%s: no colon in %s", path, line);
        ck_assert((size_t) (colon - line) < sizeof(g->v[i].name));
        snprintf(g->v[i].name, sizeof(g->v[i].name), "%.*s", (int) (colon - line), line);
        ck_assert_int_eq(cm_buf_puts(&g->v[i].value, colon + 1), 0);
        g->n[block]++;
        i++;
    }
    fclose(fp);
}

static void free_golden(golden *g)
{
    size_t i;

    for (i = 0; i < g->n[0] + g->n[1]; i++)
        cm_buf_free(&g->v[i].value);
}

/* The value of the envelope field name, or NULL; trimmed unless raw. */
static const char *envelope(const golden *g, const char *name, int raw)
{
    size_t i;

    for (i = 0; i < g->n[0]; i++)
        if (strcasecmp(g->v[i].name, name) == 0) {
            const char *v = cm_buf_str(&g->v[i].value);

            return raw ? v : v + strspn(v, " \t");
        }
    return NULL;
}

/* Fields [from, to) of a golden file as the text they were read from. */
static void render(const golden *g, size_t from, size_t to, cm_buf *out)
{
    size_t i;

    for (i = from; i < to; i++)
        ck_assert(cm_buf_printf(out, "%s:%s\n", g->v[i].name, cm_buf_str(&g->v[i].value)) >= 0);
}

START_TEST(golden_case)
{
    static const char *const kind[] = {"change", "delete", "add"};
    char in[16], ref[16];
    golden gi, gr;
    cm_hdrs h;
    cm_edits e = {NULL, 0};
    cm_envelope env = {NULL, NULL, NULL, NULL, ""};
    cm_buf got = CM_BUF_INIT, want = CM_BUF_INIT;
    const char *rewrite, *boundary;
    size_t i;

    snprintf(in, sizeof(in), "%s.in", cases[_i]);
    snprintf(ref, sizeof(ref), "%s.ref", cases[_i]);
    read_golden(in, &gi);
    read_golden(ref, &gr);
    ck_assert_msg((rewrite = envelope(&gi, "Rewrite", 0)) != NULL, "%s: no Rewrite", in);
    ck_assert_ptr_nonnull(env.trace = envelope(&gi, "Trace", 0));
    cm_hdrs_init(&h, 50, 10000);
    for (i = gi.n[0]; i < gi.n[0] + gi.n[1]; i++)
        ck_assert_int_eq(cm_hdrs_add(&h, gi.v[i].name, cm_buf_str(&gi.v[i].value),
                                     gi.v[i].value.len), CM_OK);
    if (strcmp(rewrite, "trace") == 0) {
        ck_assert_int_eq(cm_rewrite_trace(&h, env.trace, &e), CM_OK);
    } else {
        ck_assert_str_eq(rewrite, "encrypted");
        ck_assert_ptr_nonnull(env.content_type = strdup(envelope(&gi, "Content-Type", 1)));
        env.cte = envelope(&gi, "Transfer-Encoding", 1);
        env.disposition = envelope(&gi, "Disposition", 1);
        if ((boundary = envelope(&gi, "Boundary", 0)) != NULL)
            snprintf(env.boundary, sizeof(env.boundary), "%s", boundary);
        ck_assert_int_eq(cm_rewrite_encrypted(&h, &env, &e), CM_OK);
    }
    /* The edits, as the first block of the .ref says them. */
    for (i = 0; i < e.n; i++) {
        if (e.v[i].kind == CM_EDIT_ADD)
            ck_assert(cm_buf_printf(&got, "add: %s:%s\n", e.v[i].name, e.v[i].value) >= 0);
        else if (e.v[i].kind == CM_EDIT_DELETE)
            ck_assert(cm_buf_printf(&got, "delete: %s %zu\n", e.v[i].name, e.v[i].idx) >= 0);
        else
            ck_assert(cm_buf_printf(&got, "%s: %s %zu:%s\n", kind[e.v[i].kind], e.v[i].name,
                                    e.v[i].idx, e.v[i].value) >= 0);
    }
    render(&gr, 0, gr.n[0], &want);
    ck_assert_str_eq(cm_buf_str(&got), cm_buf_str(&want));
    /* The header those edits leave. */
    ck_assert_int_eq(cm_edits_apply(&e, &h), CM_OK);
    cm_buf_reset(&got);
    cm_buf_reset(&want);
    for (i = 0; i < h.n; i++)
        ck_assert(cm_buf_printf(&got, "%s\n", h.v[i].raw) >= 0);
    render(&gr, gr.n[0], gr.n[0] + gr.n[1], &want);
    ck_assert_str_eq(cm_buf_str(&got), cm_buf_str(&want));
    cm_buf_free(&got);
    cm_buf_free(&want);
    cm_envelope_free(&env);
    cm_edits_free(&e);
    cm_hdrs_free(&h);
    free_golden(&gi);
    free_golden(&gr);
}
END_TEST

/* A case file in the folder that the table above does not name is a case
 * that never runs. */
START_TEST(every_case_listed)
{
    char path[4096];
    struct dirent *d;
    size_t i, seen = 0;
    DIR *dir;

    snprintf(path, sizeof(path), "%s/rewrite", CM_FIXTURES);
    ck_assert_msg((dir = opendir(path)) != NULL, "%s", path);
    while ((d = readdir(dir)) != NULL) {
        size_t len = strlen(d->d_name);
        int listed = 0;

        if (len < 4 || (strcmp(d->d_name + len - 3, ".in") != 0
                        && strcmp(d->d_name + len - 4, ".ref") != 0))
            continue;
        for (i = 0; i < NELEM(cases); i++)
            listed |= strncmp(d->d_name, cases[i], strlen(cases[i])) == 0
                      && d->d_name[strlen(cases[i])] == '.';
        ck_assert_msg(listed, "%s/%s is in no case", path, d->d_name);
        seen++;
    }
    closedir(dir);
    ck_assert_uint_eq(seen, 2 * NELEM(cases));
}
END_TEST

static void add(Suite *s)
{
    CM_ADD_LOOP(s, golden_case, NELEM(cases));
    CM_ADD(s, every_case_listed);
}

CM_TEST_MAIN("cm_rewrite", add)
