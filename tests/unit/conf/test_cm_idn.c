#include "cm_idn.h"
#include "cm_test.h"

#include <stdlib.h>
#include <string.h>

static const struct {
    const char *dom;
    int rc;
    const char *want;   /* NULL: none made */
} alabels[] = {
    {"example.org", 0, NULL},                                   /* ASCII: nothing to do */
    {"b\xc3\xbc" "cher.example", 0, "xn--bcher-kva.example"},
    {"mail.caf\xc3\xa9.example", 0, "mail.xn--caf-dma.example"},
    {"b\xc3.example", -2, NULL},                                /* not UTF-8 */
    {"B\xc3\x9c" "CHER.example", -2, NULL},                     /* no case mapping */
};

START_TEST(alabel)
{
    char *out = (char *) "unset";

    ck_assert_int_eq(cm_idn_alabel(alabels[_i].dom, strlen(alabels[_i].dom), &out), alabels[_i].rc);
    if (alabels[_i].want == NULL)
        ck_assert_ptr_null(out);
    else
        ck_assert_str_eq(out, alabels[_i].want);
    free(out);
}
END_TEST

static const struct {
    const char *addr;
    int rc;
    const char *want;
} others[] = {
    {"u@b\xc3\xbc" "cher.example", 1, "u@xn--bcher-kva.example"},
    {"u@xn--bcher-kva.example", 1, "u@b\xc3\xbc" "cher.example"},
    {"\"a@b\"@mail.xn--caf-dma.example", 1, "\"a@b\"@mail.caf\xc3\xa9.example"},
    {"u@example.org", 0, NULL},
    {"u@xn--.example", 0, NULL},                                /* not a valid A-label */
    {"u@b\xc3.example", 0, NULL},
    {"no-domain", 0, NULL},
};

START_TEST(other_form)
{
    char *out = (char *) "unset";

    ck_assert_int_eq(cm_idn_other(others[_i].addr, &out), others[_i].rc);
    if (others[_i].want == NULL)
        ck_assert_ptr_null(out);
    else
        ck_assert_str_eq(out, others[_i].want);
    free(out);
}
END_TEST

static void add(Suite *s)
{
    CM_ADD_LOOP(s, alabel, sizeof(alabels) / sizeof(alabels[0]));
    CM_ADD_LOOP(s, other_form, sizeof(others) / sizeof(others[0]));
}

CM_TEST_MAIN("cm_idn", add)
