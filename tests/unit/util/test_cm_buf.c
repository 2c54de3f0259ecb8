#include "cm_buf.h"
#include "cm_test.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>

START_TEST(append_is_binary_safe)
{
    cm_buf b = CM_BUF_INIT;
    const char data[] = {'a', 0, 'b', 0};

    ck_assert_int_eq(cm_buf_append(&b, data, sizeof(data)), 0);
    ck_assert_uint_eq(b.len, 4);
    ck_assert_mem_eq(b.data, data, 4);
    ck_assert_int_eq(b.data[4], 0);
    cm_buf_free(&b);
}
END_TEST

START_TEST(grows_across_many_appends)
{
    cm_buf b = CM_BUF_INIT;
    size_t i;

    for (i = 0; i < 100000; i++)
        ck_assert_int_eq(cm_buf_putc(&b, 'x' + (int) (i % 3)), 0);
    ck_assert_uint_eq(b.len, 100000);
    ck_assert_int_eq(b.data[99999], 'x' + 99999 % 3);
    ck_assert_uint_ge(b.cap, b.len + 1);
    cm_buf_free(&b);
}
END_TEST

START_TEST(reserve_detects_overflow)
{
    cm_buf b = CM_BUF_INIT;

    ck_assert_int_eq(cm_buf_puts(&b, "abc"), 0);
    errno = 0;
    ck_assert_int_eq(cm_buf_reserve(&b, SIZE_MAX - 2), -1);
    ck_assert_int_eq(errno, EOVERFLOW);
    ck_assert_str_eq(cm_buf_str(&b), "abc");    /* unchanged */
    cm_buf_free(&b);
}
END_TEST

START_TEST(printf_and_detach)
{
    cm_buf b = CM_BUF_INIT;
    char *s;
    size_t len;

    ck_assert_int_eq(cm_buf_printf(&b, "%s-%d", "n", 42), 0);
    ck_assert_int_eq(cm_buf_printf(&b, "%0300d", 7), 0);
    s = cm_buf_detach(&b, &len);
    ck_assert_uint_eq(len, 4 + 300);
    ck_assert(strncmp(s, "n-42000", 7) == 0);
    ck_assert_int_eq(s[len - 1], '7');
    ck_assert_ptr_null(b.data);
    free(s);
}
END_TEST

static void add(Suite *s)
{
    CM_ADD(s, append_is_binary_safe);
    CM_ADD(s, grows_across_many_appends);
    CM_ADD(s, reserve_detects_overflow);
    CM_ADD(s, printf_and_detach);
}

CM_TEST_MAIN("cm_buf", add)
