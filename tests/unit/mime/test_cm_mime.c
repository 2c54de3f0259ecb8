#include "cm_mime.h"
#include "cm_test.h"

#include <string.h>

static size_t split(const char *body, const char *b, cm_part *parts, int *closed)
{
    return cm_mime_parts((const unsigned char *) body, strlen(body), b, parts, 4, closed);
}

START_TEST(two_parts_with_preamble_and_epilogue)
{
    const char *body = "preamble\r\n--xyz\r\nA: 1\r\n\r\none\r\n--xyz \r\n\r\ntwo\r\n--xyz--\r\nepilogue\r\n";
    cm_part p[4];
    int closed;

    ck_assert_uint_eq(split(body, "xyz", p, &closed), 2);
    ck_assert_int_eq(closed, 1);
    ck_assert_int_eq(p[0].complete, 1);
    ck_assert(p[0].len == 11 && memcmp(body + p[0].off, "A: 1\r\n\r\none", 11) == 0);
    ck_assert(memcmp(body + p[1].off, "\r\ntwo", p[1].len) == 0);
}
END_TEST

START_TEST(boundary_prefix_is_not_delimiter)
{
    const char *body = "--xyz\nA\n--xyzabc\nstill A\n--xyz--\n";
    cm_part p[4];
    int closed;

    ck_assert_uint_eq(split(body, "xyz", p, &closed), 1);
    ck_assert(memcmp(body + p[0].off, "A\n--xyzabc\nstill A", p[0].len) == 0);
}
END_TEST

START_TEST(unclosed_last_part_is_incomplete)
{
    const char *body = "--b\n\none\n--b\n\ntwo and more";
    cm_part p[4];
    int closed;

    ck_assert_uint_eq(split(body, "b", p, &closed), 2);
    ck_assert_int_eq(closed, 0);
    ck_assert_int_eq(p[1].complete, 0);
    ck_assert(memcmp(body + p[1].off, "\ntwo and more", p[1].len) == 0);
}
END_TEST

START_TEST(no_delimiters)
{
    cm_part p[4];
    int closed;

    ck_assert_uint_eq(split("just text\n", "b", p, &closed), 0);
    ck_assert_uint_eq(split("--\n", "", p, &closed), 0);
}
END_TEST

/* The stream, cut in two at every point, finds what the whole buffer does. */
static void scan_matches(const char *body, size_t b)
{
    size_t n = strlen(body), nwhole, cut, i;
    cm_part whole[4];
    int closed;

    nwhole = cm_mime_parts((const unsigned char *) body, n, "xyz", whole, 4, &closed);
    for (cut = 0; cut <= n; cut++) {
        cm_mime_scan sc;

        ck_assert_int_eq(cm_mime_scan_init(&sc, "xyz"), 0);
        cm_mime_scan_push(&sc, (const unsigned char *) body, cut);
        cm_mime_scan_push(&sc, (const unsigned char *) body + cut, n - cut);
        cm_mime_scan_finish(&sc);
        ck_assert_msg(sc.n == nwhole, "body %zu cut %zu: %zu parts, want %zu", b, cut, sc.n, nwhole);
        ck_assert_int_eq(sc.closed, closed);
        for (i = 0; i < nwhole; i++) {
            ck_assert_msg(sc.parts[i].off == whole[i].off && sc.parts[i].len == whole[i].len
                          && sc.parts[i].complete == whole[i].complete,
                          "body %zu cut %zu part %zu: %llu+%llu, want %zu+%zu", b, cut, i,
                          (unsigned long long) sc.parts[i].off,
                          (unsigned long long) sc.parts[i].len, whole[i].off, whole[i].len);
        }
    }
}

/* The streaming scan finds the same parts however the bytes are cut. */
START_TEST(scan_matches_whole_buffer_for_every_cut)
{
    static const char *const bodies[] = {
        "preamble\r\n--xyz\r\nA: 1\r\n\r\none\r\n--xyz \r\n\r\ntwo\r\n--xyz--\r\nepilogue\r\n",
        "--xyz\nA\n--xyzabc\nstill A\n--xyz--\n",
        "--xyz\n\none\n--xyz\n\ntwo and more",
        "--xyz\r\n--xyz\r\n\r\n--xyz--",
        /* an LF-only empty line after a CRLF one (found by fuzz_header) */
        "--xyz\r\nA\r\n\r\n\n--xyz\r\nB\r\n\n--xyz--\r\n",
    };
    size_t b;

    for (b = 0; b < NELEM(bodies); b++)
        scan_matches(bodies[b], b);
}
END_TEST

/* Transport padding longer than the stream's line head (found by
 * fuzz_header): a delimiter all the same, in both readers; and a line
 * with text after such padding is none, in both. */
START_TEST(scan_matches_whole_buffer_with_long_padding)
{
    char pad[300], body[1024];
    int closed;
    cm_part whole[4];

    memset(pad, '\t', sizeof(pad) - 1);
    pad[sizeof(pad) - 1] = 0;
    ck_assert_int_lt(snprintf(body, sizeof(body), "--xyz\r\nA\r\n--xyz%s\r\nB\r\n--xyz--%s\r\n",
                              pad, pad), (int) sizeof(body));
    scan_matches(body, 100);
    ck_assert_uint_eq(cm_mime_parts((const unsigned char *) body, strlen(body), "xyz", whole, 4,
                                    &closed), 2);
    ck_assert_int_eq(closed, 1);
    ck_assert_int_lt(snprintf(body, sizeof(body), "--xyz\r\nA\r\n--xyz%sx\r\nB\r\n", pad),
                     (int) sizeof(body));
    scan_matches(body, 101);
    ck_assert_uint_eq(cm_mime_parts((const unsigned char *) body, strlen(body), "xyz", whole, 4,
                                    &closed), 1);
}
END_TEST

START_TEST(scan_rejects_bad_boundaries)
{
    cm_mime_scan sc;
    char longb[80];

    memset(longb, 'a', 71);
    longb[71] = 0;
    ck_assert_int_eq(cm_mime_scan_init(&sc, ""), -1);
    ck_assert_int_eq(cm_mime_scan_init(&sc, longb), -1);
}
END_TEST

static void add(Suite *s)
{
    CM_ADD(s, scan_matches_whole_buffer_for_every_cut);
    CM_ADD(s, scan_matches_whole_buffer_with_long_padding);
    CM_ADD(s, scan_rejects_bad_boundaries);
    CM_ADD(s, two_parts_with_preamble_and_epilogue);
    CM_ADD(s, boundary_prefix_is_not_delimiter);
    CM_ADD(s, unclosed_last_part_is_incomplete);
    CM_ADD(s, no_delimiters);
}

CM_TEST_MAIN("cm_mime", add)
