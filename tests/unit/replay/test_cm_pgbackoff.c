#include "cm_pgbackoff.h"
#include "cm_test.h"

/* A server that is fine: every check connects, as many at once as come. */
START_TEST(fine_server_connects)
{
    cm_pgbackoff b = {0, 0, 0};
    int64_t wake = -1;

    ck_assert_int_eq(cm_pgbackoff_next(&b, 1000, &wake), CM_PGBACKOFF_GO);
    ck_assert_int_eq(cm_pgbackoff_next(&b, 1000, &wake), CM_PGBACKOFF_GO);
    cm_pgbackoff_done(&b, 0, 1, 1001);
    ck_assert_int_eq(cm_pgbackoff_next(&b, 1002, &wake), CM_PGBACKOFF_GO);
    ck_assert_int_eq(wake, -1);
}
END_TEST

/* After a failure nobody connects before MIN; then one probe at a time;
 * each failed probe doubles the pause up to MAX; concurrent failures of
 * checks already under way do not lengthen it. */
START_TEST(failing_server_spaced_probes)
{
    cm_pgbackoff b = {0, 0, 0};
    int64_t now = 5000, wake = 0, pause = CM_PGBACKOFF_MIN;
    int i;

    ck_assert_int_eq(cm_pgbackoff_next(&b, now, &wake), CM_PGBACKOFF_GO);
    ck_assert_int_eq(cm_pgbackoff_next(&b, now, &wake), CM_PGBACKOFF_GO);
    cm_pgbackoff_done(&b, 0, 0, now);
    cm_pgbackoff_done(&b, 0, 0, now + 5);       /* the second one: no longer */
    ck_assert_int_eq(b.until, now + CM_PGBACKOFF_MIN);
    for (i = 0; i < 8; i++) {
        ck_assert_int_eq(cm_pgbackoff_next(&b, now + 1, &wake), CM_PGBACKOFF_WAIT);
        ck_assert_int_eq(wake, now + pause);
        now += pause;
        ck_assert_int_eq(cm_pgbackoff_next(&b, now, &wake), CM_PGBACKOFF_PROBE);
        /* While the probe is under way, the others wait and look again. */
        ck_assert_int_eq(cm_pgbackoff_next(&b, now + 1, &wake), CM_PGBACKOFF_WAIT);
        ck_assert_int_eq(wake, now + 1 + CM_PGBACKOFF_POLL);
        cm_pgbackoff_done(&b, 1, 0, now);
        pause = pause * 2 > CM_PGBACKOFF_MAX ? CM_PGBACKOFF_MAX : pause * 2;
        ck_assert_int_eq(b.wait, pause);
    }
    ck_assert_int_eq(pause, CM_PGBACKOFF_MAX);
}
END_TEST

/* A probe that connects ends it: everyone connects again at once. */
START_TEST(probe_success_resets)
{
    cm_pgbackoff b = {0, 0, 0};
    int64_t wake = 0;

    cm_pgbackoff_done(&b, 0, 0, 0);
    ck_assert_int_eq(cm_pgbackoff_next(&b, CM_PGBACKOFF_MIN, &wake), CM_PGBACKOFF_PROBE);
    cm_pgbackoff_done(&b, 1, 1, CM_PGBACKOFF_MIN + 3);
    ck_assert_int_eq(cm_pgbackoff_next(&b, CM_PGBACKOFF_MIN + 4, &wake), CM_PGBACKOFF_GO);
    ck_assert_int_eq(cm_pgbackoff_next(&b, CM_PGBACKOFF_MIN + 4, &wake), CM_PGBACKOFF_GO);
    /* A new failure starts from MIN again. */
    cm_pgbackoff_done(&b, 0, 0, 500);
    ck_assert_int_eq(b.wait, CM_PGBACKOFF_MIN);
    ck_assert_int_eq(b.until, 500 + CM_PGBACKOFF_MIN);
}
END_TEST

/* A waiting check sleeps to the end of the pause, however near. */
START_TEST(wake_is_the_pause_end)
{
    cm_pgbackoff b = {0, 0, 0};
    int64_t wake = 0;

    cm_pgbackoff_done(&b, 0, 0, 0);
    ck_assert_int_eq(cm_pgbackoff_next(&b, 10, &wake), CM_PGBACKOFF_WAIT);
    ck_assert_int_eq(wake, CM_PGBACKOFF_MIN);
    ck_assert_int_eq(cm_pgbackoff_next(&b, CM_PGBACKOFF_MIN - 5, &wake), CM_PGBACKOFF_WAIT);
    ck_assert_int_eq(wake, CM_PGBACKOFF_MIN);
}
END_TEST

static void add(Suite *s)
{
    CM_ADD(s, fine_server_connects);
    CM_ADD(s, failing_server_spaced_probes);
    CM_ADD(s, probe_success_resets);
    CM_ADD(s, wake_is_the_pause_end);
}

CM_TEST_MAIN("cm_pgbackoff", add)
