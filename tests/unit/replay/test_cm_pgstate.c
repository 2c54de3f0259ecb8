#include "cm_pgstate.h"
#include "cm_test.h"

static const struct {
    const char *state;
    cm_pgstate_kind kind;
    cm_stat stat;
} cases[] = {
    {"53100", CM_PGSTATE_FULL, CM_REPLAY_FULL},         /* disk_full: 452 4.3.1 */
    {"42P01", CM_PGSTATE_UNINIT, CM_ERR_REPLAY},        /* no table: --replay-init */
    {"3F000", CM_PGSTATE_UNINIT, CM_ERR_REPLAY},
    {"08006", CM_PGSTATE_BROKEN, CM_ERR_REPLAY},        /* connection failure */
    {"08000", CM_PGSTATE_BROKEN, CM_ERR_REPLAY},
    {"57P01", CM_PGSTATE_BROKEN, CM_ERR_REPLAY},        /* admin shutdown */
    {"57P02", CM_PGSTATE_BROKEN, CM_ERR_REPLAY},
    {"57P03", CM_PGSTATE_BROKEN, CM_ERR_REPLAY},
    {"57014", CM_PGSTATE_TEMP, CM_ERR_REPLAY},          /* statement timeout, cancel */
    {"25006", CM_PGSTATE_TEMP, CM_ERR_REPLAY},          /* read-only transaction */
    {"40001", CM_PGSTATE_TEMP, CM_ERR_REPLAY},
    {"53200", CM_PGSTATE_TEMP, CM_ERR_REPLAY},          /* out of memory: not "full" */
    {"5310", CM_PGSTATE_TEMP, CM_ERR_REPLAY},
    {"531000", CM_PGSTATE_TEMP, CM_ERR_REPLAY},
    {"", CM_PGSTATE_TEMP, CM_ERR_REPLAY},
    {NULL, CM_PGSTATE_TEMP, CM_ERR_REPLAY},
};

START_TEST(state_to_kind_and_status)
{
    cm_pgstate_kind k = cm_pgstate_kind_of(cases[_i].state);

    ck_assert_msg(k == cases[_i].kind, "%s: kind %d", cases[_i].state ? cases[_i].state : "NULL",
                  (int) k);
    ck_assert_int_eq(cm_pgstate_stat(k), cases[_i].stat);
}
END_TEST

/* No failure of the store is ever a pass, nor a permanent refusal. */
START_TEST(never_a_pass)
{
    cm_pgstate_kind k;

    for (k = CM_PGSTATE_TEMP; k <= CM_PGSTATE_BROKEN; k++) {
        const cm_stat_info *i = cm_stat_lookup(cm_pgstate_stat(k));

        ck_assert_int_ne(cm_pgstate_stat(k), CM_OK);
        ck_assert_str_eq(i->rcode, k == CM_PGSTATE_FULL ? "452" : "451");
    }
}
END_TEST

static void add(Suite *s)
{
    CM_ADD_LOOP(s, state_to_kind_and_status, NELEM(cases));
    CM_ADD(s, never_a_pass);
}

CM_TEST_MAIN("cm_pgstate", add)
