#include "cm_lines.h"
#include "cm_test.h"

#include <string.h>

typedef struct seen {
    char all[256];
    int n;
} seen;

static int collect(void *arg, const unsigned char *p, size_t n)
{
    seen *s = arg;

    strncat(s->all, (const char *) p, n);
    strcat(s->all, "|");
    s->n++;
    return 0;
}

START_TEST(lines_whatever_the_chunks)
{
    static const char text[] = "one\ntwo\r\n\nthree";
    size_t chunk;

    for (chunk = 1; chunk <= sizeof(text); chunk++) {
        cm_lines l;
        seen s = {"", 0};
        size_t off;

        cm_lines_init(&l, 10);
        for (off = 0; off < sizeof(text) - 1; off += chunk)
            ck_assert_int_eq(cm_lines_push(&l, (const unsigned char *) text + off,
                                           sizeof(text) - 1 - off < chunk ? sizeof(text) - 1 - off
                                           : chunk, collect, &s, NULL), 0);
        ck_assert_int_eq(cm_lines_finish(&l, collect, &s), 0);
        ck_assert_str_eq(s.all, "one|two\r||three|");
        ck_assert_int_eq(l.too_long, 0);
        cm_lines_free(&l);
    }
}
END_TEST

START_TEST(too_long_stops)
{
    cm_lines l;
    seen s = {"", 0};

    cm_lines_init(&l, 4);
    ck_assert_int_eq(cm_lines_push(&l, (const unsigned char *) "ab\nabcde\nx\n", 11, collect, &s,
                                   NULL), 0);
    ck_assert_int_eq(l.too_long, 1);
    ck_assert_str_eq(s.all, "ab|");
    cm_lines_free(&l);
}
END_TEST

static void add(Suite *s)
{
    CM_ADD(s, lines_whatever_the_chunks);
    CM_ADD(s, too_long_stops);
}

CM_TEST_MAIN("cm_lines", add)
