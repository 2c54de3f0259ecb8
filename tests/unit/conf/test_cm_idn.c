#include "cm_idn.h"
#include "cm_test.h"

#include <stdlib.h>
#include <string.h>

/* A conversion's case: its input, its return code, and the string it
 * makes (NULL: none made). */
typedef struct conv {
    const char *in;
    int rc;
    const char *want;
} conv;

/* The conversion of c->in returned rc and made out: as c says? Frees out. */
static void check_conv(const conv *c, int rc, char *out)
{
    ck_assert_int_eq(rc, c->rc);
    if (c->want == NULL)
        ck_assert_ptr_null(out);
    else
        ck_assert_str_eq(out, c->want);
    free(out);
}

static const conv alabels[] = {
    {"example.org", 0, NULL},                                   /* ASCII: nothing to do */
    {"b\xc3\xbc" "cher.example", 0, "xn--bcher-kva.example"},
    {"mail.caf\xc3\xa9.example", 0, "mail.xn--caf-dma.example"},
    {"b\xc3.example", -2, NULL},                                /* not UTF-8 */
    /* UTS#46 mapping folds Unicode case: one A-label for every spelling */
    {"B\xc3\x9c" "CHER.example", 0, "xn--bcher-kva.example"},
    {"B\xc3\x9c" "CHER.EXAMPLE", 0, "xn--bcher-kva.example"},
    {"b\xc3\x9c" "cher.example", 0, "xn--bcher-kva.example"},
};

START_TEST(alabel)
{
    char *out = (char *) "unset";
    int rc = cm_idn_alabel(alabels[_i].in, strlen(alabels[_i].in), &out);

    check_conv(&alabels[_i], rc, out);
}
END_TEST

static const conv others[] = {
    {"u@b\xc3\xbc" "cher.example", 1, "u@xn--bcher-kva.example"},
    {"u@xn--bcher-kva.example", 1, "u@b\xc3\xbc" "cher.example"},
    {"U@B\xc3\x9c" "CHER.example", 1, "U@xn--bcher-kva.example"},      /* local part kept */
    {"\"a@b\"@mail.xn--caf-dma.example", 1, "\"a@b\"@mail.caf\xc3\xa9.example"},
    {"u@example.org", 0, NULL},
    {"u@xn--.example", 0, NULL},                                /* not a valid A-label */
    {"u@b\xc3.example", 0, NULL},
    {"no-domain", 0, NULL},
};

START_TEST(other_form)
{
    char *out = (char *) "unset";
    int rc = cm_idn_other(others[_i].in, &out);

    check_conv(&others[_i], rc, out);
}
END_TEST

/* cm_idn_fold: the one form domains are compared in. */
static const conv folds[] = {
    {"u@B\xc3\x9c" "CHER.example", 1, "u@xn--bcher-kva.example"},
    {"u@b\xc3\xbc" "cher.example", 1, "u@xn--bcher-kva.example"},
    {"\"a@b\"@Mail.CAF\xc3\x89.example", 1, "\"a@b\"@mail.xn--caf-dma.example"},
    {"u@xn--bcher-kva.example", 0, NULL},                       /* ASCII: as it is */
    {"U@Example.ORG", 0, NULL},
    {"u@b\xc3.example", -2, NULL},                              /* compared as its bytes */
    {"no-domain", 0, NULL},
};

START_TEST(fold)
{
    char *out = (char *) "unset";
    int rc = cm_idn_fold(folds[_i].in, &out);

    check_conv(&folds[_i], rc, out);
}
END_TEST

/* LocalDomains and the like: a domain in a list, in either form and any
 * case, as the list gives it or the envelope. */
static const struct {
    const char *dom;
    int rc;
} listed[] = {
    {"b\xc3\xbc" "cher.example", 1},
    {"B\xc3\x9c" "CHER.example", 1},
    {"xn--bcher-kva.example", 1},
    {"XN--BCHER-KVA.EXAMPLE", 1},
    {"mail.xn--caf-dma.example", 1},                            /* listed as MAIL.CAF\xc3\x89 */
    {"Example.ORG", 1},
    {"b\xc3\xbc" "cher.example.org", 0},
    {"b\xc3.example", 1},                                       /* not IDNA: its bytes listed */
    {"b\xc3.example.org", 0},
    {"caf\xc3\xa9.example", 1},                                 /* listed as xn--caf-dma */
    {"CAF\xc3\x89.example", 1},
    {"mail.caf\xc3\xa9.example", 1},
    {"", 0},
};

START_TEST(list_has)
{
    static const char *const v[] = {"example.org", "B\xc3\x9c" "CHER.example",
                                    "MAIL.CAF\xc3\x89.example", "b\xc3.example",
                                    "xn--caf-dma.example"};
    cm_list l = {(char **) v, 5};

    ck_assert_int_eq(cm_idn_list_has(&l, listed[_i].dom), listed[_i].rc);
}
END_TEST

static void add(Suite *s)
{
    CM_ADD_LOOP(s, alabel, sizeof(alabels) / sizeof(alabels[0]));
    CM_ADD_LOOP(s, other_form, sizeof(others) / sizeof(others[0]));
    CM_ADD_LOOP(s, fold, sizeof(folds) / sizeof(folds[0]));
    CM_ADD_LOOP(s, list_has, sizeof(listed) / sizeof(listed[0]));
}

CM_TEST_MAIN("cm_idn", add)
