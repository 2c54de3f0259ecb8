#include "cm_keysync_ldap.h"
#include "cm_test.h"

#include <string.h>

/* The password is the first line, without its line end (LF or CRLF). */
START_TEST(password_first_line)
{
    static const struct {
        const char *in, *want;      /* want NULL: refused */
    } t[] = {
        {"s3cret\n", "s3cret"},
        {"s3cret\r\nsecond\n", "s3cret"},
        {"s3cret", "s3cret"},
        {"a b\tc\n", "a b\tc"},
        {"\n", NULL},
        {"", NULL},
        {"\r\nx\n", NULL},
    };
    size_t i;

    for (i = 0; i < NELEM(t); i++) {
        char buf[64];
        size_t n = strlen(t[i].in), len = 0;
        int r;

        memcpy(buf, t[i].in, n + 1);
        r = cm_keysync_ldap_password(buf, n, &len);
        if (t[i].want == NULL) {
            ck_assert_msg(r == -1, "row %zu accepted", i);
            continue;
        }
        ck_assert_msg(r == 0, "row %zu refused", i);
        ck_assert_str_eq(buf, t[i].want);
        ck_assert_uint_eq(len, strlen(t[i].want));
    }
}
END_TEST

/* A NUL inside the first line is not a password (it would be cut short). */
START_TEST(password_with_nul)
{
    char buf[] = {'a', '\0', 'b', '\n'};
    size_t len;

    ck_assert_int_eq(cm_keysync_ldap_password(buf, sizeof(buf), &len), -1);
}
END_TEST

START_TEST(flags)
{
    ck_assert(cm_keysync_ldap_flag("1", 1));
    ck_assert(cm_keysync_ldap_flag("TRUE", 4));
    ck_assert(cm_keysync_ldap_flag("true", 4));
    ck_assert(!cm_keysync_ldap_flag("0", 1));
    ck_assert(!cm_keysync_ldap_flag("", 0));
    ck_assert(!cm_keysync_ldap_flag("10", 2));
    ck_assert(!cm_keysync_ldap_flag("truely", 6));
}
END_TEST

/* Without KeySyncURI there is nothing to read: an error, not an empty set
 * (which would empty every gateway's keyring). */
START_TEST(fetch_needs_uri)
{
    cm_config *cfg = cm_config_new();
    cm_keysync_set set;
    char err[256] = "";

    ck_assert_ptr_nonnull(cfg);
    ck_assert_int_eq(cm_keysync_ldap_fetch(cfg, &set, err, sizeof(err)), -1);
    ck_assert_ptr_nonnull(strstr(err, "KeySyncURI"));
    ck_assert_uint_eq(set.n, 0);
    cm_config_free(cfg);
}
END_TEST

static void add(Suite *s)
{
    CM_ADD(s, password_first_line);
    CM_ADD(s, password_with_nul);
    CM_ADD(s, flags);
    CM_ADD(s, fetch_needs_uri);
}

CM_TEST_MAIN("cm_keysync_ldap", add)
