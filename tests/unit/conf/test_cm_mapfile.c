#include "cm_mapfile.h"
#include "cm_test.h"

#include <string.h>

/* What the callback saw: the lines and their tokens, joined by '|'. */
typedef struct seen {
    char out[4096];
    int fail_on;        /* line to answer -1 on, 0 none */
} seen;

static int collect(void *arg, size_t line, char **tok, size_t ntok, char *err, size_t errlen)
{
    seen *s = arg;
    size_t i, n = strlen(s->out);

    if ((int) line == s->fail_on)
        return snprintf(err, errlen, "refused"), -1;
    n += (size_t) snprintf(s->out + n, sizeof(s->out) - n, "%zu:", line);
    for (i = 0; i < ntok; i++)
        n += (size_t) snprintf(s->out + n, sizeof(s->out) - n, "%s%s", i ? "|" : "", tok[i]);
    snprintf(s->out + n, sizeof(s->out) - n, ";");
    return 0;
}

static const struct {
    const char *text;
    size_t len;         /* 0: strlen */
    int ok;
    const char *want;   /* tokens seen, or the error */
} cases[] = {
    {"a@b.org require\n", 0, 1, "1:a@b.org|require;"},
    {"# comment\n\n   \nA@B.ORG  Never # why\n", 0, 1, "4:a@b.org|never;"},
    {"x@y.org pass", 0, 1, "1:x@y.org|pass;"},                       /* no newline at EOF */
    {"s@y.org a@y.org, b@y.org,c@y.org\r\n", 0, 1, "1:s@y.org|a@y.org|b@y.org|c@y.org;"},
    {"\xc3\xa9t\xc3\xa9@B\xc3\xbcro.de never\n", 0, 1, "1:\xc3\xa9t\xc3\xa9@b\xc3\xbcro.de|never;"},
    {"a@b.org require\nbad\x01 line\n", 0, 0, "t:2: control character in line"},
    {"a@b.org re\0quire\n", 17, 0, "t:1: NUL byte in line"},
    {"ok\nx\ry\n", 0, 0, "t:2: control character in line"},
    {"", 0, 1, ""},
};

START_TEST(lines)
{
    seen s = {"", 0};
    char err[256] = "";
    size_t len = cases[_i].len ? cases[_i].len : strlen(cases[_i].text);
    int r = cm_mapfile_parse("t", cases[_i].text, len, collect, &s, err, sizeof(err));

    ck_assert_int_eq(r, cases[_i].ok ? 0 : -1);
    ck_assert_str_eq(cases[_i].ok ? s.out : err, cases[_i].want);
}
END_TEST

START_TEST(long_lines_and_many_words)
{
    char text[3 * CM_MAPFILE_MAX_LINE], err[256];
    seen s = {"", 0};

    memset(text, 'a', sizeof(text));
    text[CM_MAPFILE_MAX_LINE] = '\n';   /* line 1 exactly the limit */
    text[2 * CM_MAPFILE_MAX_LINE + 2] = '\n';   /* line 2 one over */
    ck_assert_int_eq(cm_mapfile_parse("t", text, sizeof(text), collect, &s, err, sizeof(err)), -1);
    ck_assert_str_eq(err, "t:2: line longer than 998 bytes");
    memset(text, 0, sizeof(text));
    for (size_t i = 0; i < CM_MAPFILE_MAX_TOKENS + 1; i++)
        strcat(text, "w ");
    ck_assert_int_eq(cm_mapfile_parse("t", text, strlen(text), collect, &s, err, sizeof(err)), -1);
    ck_assert_str_eq(err, "t:1: more than 64 words in line");
}
END_TEST

START_TEST(callback_refusal_names_line)
{
    seen s = {"", 2};
    char err[256];

    ck_assert_int_eq(cm_mapfile_parse("/etc/p", "a b\nc d\n", 8, collect, &s, err, sizeof(err)), -1);
    ck_assert_str_eq(err, "/etc/p:2: refused");
}
END_TEST

START_TEST(load_needs_file_form)
{
    seen s = {"", 0};
    char err[256];

    ck_assert_int_eq(cm_mapfile_load("/etc/p", collect, &s, err, sizeof(err)), -1);
    ck_assert_str_eq(err, "\"/etc/p\" is not file:/absolute/path");
    ck_assert_int_eq(cm_mapfile_load("file:/nonexistent/p", collect, &s, err, sizeof(err)), -1);
    ck_assert_str_eq(err, "/nonexistent/p: No such file or directory");
    ck_assert_int_eq(cm_mapfile_load("file:/dev/null", collect, &s, err, sizeof(err)), -1);
    ck_assert_str_eq(err, "/dev/null: not a regular file");
}
END_TEST

START_TEST(eq_folds_ascii_only)
{
    ck_assert(cm_mapfile_eq("Ab", 2, "aB", 2));
    ck_assert(!cm_mapfile_eq("ab", 2, "abc", 3));
    ck_assert(!cm_mapfile_eq("\xc3\x89", 2, "\xc3\xa9", 2));     /* É is not é as bytes */
}
END_TEST

START_TEST(trailing_dot_refused)
{
    char err[128] = "";

    ck_assert_int_eq(cm_mapfile_trailing_dot("@example.org", err, sizeof(err)), 0);
    ck_assert_str_eq(err, "");
    ck_assert_int_eq(cm_mapfile_trailing_dot(".", err, sizeof(err)), 0);  /* pattern()'s to refuse */
    ck_assert_int_eq(cm_mapfile_trailing_dot("@example.org.", err, sizeof(err)), -1);
    ck_assert_str_eq(err, "\"@example.org.\" ends in a dot (write @example.org)");
    ck_assert_int_eq(cm_mapfile_trailing_dot("a@b..", err, sizeof(err)), -1);
    ck_assert_str_eq(err, "\"a@b..\" ends in a dot (write a@b.)");
}
END_TEST

static void add(Suite *s)
{
    CM_ADD_LOOP(s, lines, sizeof(cases) / sizeof(cases[0]));
    CM_ADD(s, long_lines_and_many_words);
    CM_ADD(s, callback_refusal_names_line);
    CM_ADD(s, load_needs_file_form);
    CM_ADD(s, eq_folds_ascii_only);
    CM_ADD(s, trailing_dot_refused);
}

CM_TEST_MAIN("cm_mapfile", add)
