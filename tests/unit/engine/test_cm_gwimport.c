/* cm_gwimport_pick: which GatewayCertificates file the gateway's
 * certificate and key go to (docs/keys.md): the first holding its key (a
 * renewal), else the first not there yet; never a file of another
 * identity. */
#include "cm_gwimport.h"
#include "cm_test.h"

#define M CM_GWFILE_MISSING
#define S CM_GWFILE_SAME
#define X CM_GWFILE_SHARED
#define O CM_GWFILE_OTHER

static const struct {
    const char *name;
    cm_gwfile files[4];
    size_t n;
    cm_gwpick want;
    size_t at;              /* for REPLACE, CREATE, SHARED */
} cases[] = {
    {"none listed", {M}, 0, CM_GWPICK_FULL, 0},
    {"one missing", {M}, 1, CM_GWPICK_CREATE, 0},
    {"one other", {O}, 1, CM_GWPICK_FULL, 0},
    {"renewal alone", {S}, 1, CM_GWPICK_REPLACE, 0},
    {"first free after another", {O, M, M}, 3, CM_GWPICK_CREATE, 1},
    {"renewal wins over a free file before it", {M, O, S}, 3, CM_GWPICK_REPLACE, 2},
    {"the first holding the key", {O, S, S}, 3, CM_GWPICK_REPLACE, 1},
    {"shared refused, even with a free file", {X, M}, 2, CM_GWPICK_SHARED, 0},
    {"shared after the renewal file: the first decides", {S, X}, 2, CM_GWPICK_REPLACE, 0},
    {"renewal after a shared one: the first decides", {O, X, S}, 3, CM_GWPICK_SHARED, 1},
    {"all others", {O, O, O, O}, 4, CM_GWPICK_FULL, 0},
};

START_TEST(pick_table)
{
    size_t at = 99;
    cm_gwpick got = cm_gwimport_pick(cases[_i].files, cases[_i].n, &at);

    ck_assert_msg(got == cases[_i].want, "%s: got %d, want %d", cases[_i].name, got,
                  cases[_i].want);
    if (got != CM_GWPICK_FULL)
        ck_assert_msg(at == cases[_i].at, "%s: at %zu, want %zu", cases[_i].name, at,
                      cases[_i].at);
}
END_TEST

static void add(Suite *s)
{
    CM_ADD_LOOP(s, pick_table, sizeof(cases) / sizeof(cases[0]));
}

CM_TEST_MAIN("cm_gwimport", add)
