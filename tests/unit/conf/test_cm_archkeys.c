/* cm_archkeys: which entries are certificate files, and the rules
 * EncryptToSelf keeps at load: syntax, no GatewayKeys key, one archive key
 * per class in use. */
#include "cm_archkeys.h"
#include "cm_test.h"

#include <string.h>

#define FPR_A "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
#define FPR_G "0123456789ABCDEF0123456789ABCDEF01234567"

/* l from a space-separated string (a copy the list owns). */
static void list_of(cm_list *l, const char *words)
{
    char buf[512], *w, *save = NULL;

    memset(l, 0, sizeof(*l));
    ck_assert_uint_lt(strlen(words), sizeof(buf));
    strcpy(buf, words);
    for (w = strtok_r(buf, " ", &save); w != NULL; w = strtok_r(NULL, " ", &save))
        ck_assert_int_eq(cm_list_add(l, w, strlen(w)), 0);
}

START_TEST(classes_counted)
{
    cm_list l;

    ck_assert_int_eq(cm_archkeys_is_cert("/etc/cryptmilter/archive.pem"), 1);
    ck_assert_int_eq(cm_archkeys_is_cert("archive/x.pem"), 1);
    ck_assert_int_eq(cm_archkeys_is_cert(FPR_A), 0);
    list_of(&l, FPR_A " /a.pem /b.pem");
    ck_assert_uint_eq(cm_archkeys_count(&l, 0), 1);
    ck_assert_uint_eq(cm_archkeys_count(&l, 1), 2);
    cm_list_free(&l);
}
END_TEST

static const struct {
    const char *ets, *gw;
    int pgp, smime;
    int ok;
    const char *why;            /* words the refusal holds */
} cases[] = {
    {"", FPR_G, 1, 1, 1, NULL},                     /* no archive: nothing to keep */
    {FPR_A, "", 1, 0, 1, NULL},
    {"/etc/a.pem", "", 0, 1, 1, NULL},
    {FPR_A " /etc/a.pem", FPR_G, 1, 1, 1, NULL},
    {"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "", 1, 0, 1, NULL},
    {FPR_A, "", 1, 1, 0, "no S/MIME archive certificate, but CertificateDir is set"},
    {"/etc/a.pem", "", 1, 1, 0, "no OpenPGP archive key, but KeyringDir is set"},
    {FPR_A, "", 0, 0, 1, NULL},
    {"0123456789abcdef0123456789abcdef01234567", FPR_G, 1, 0, 0, "is also in GatewayKeys"},
    {"AAAAAAAAAAAAAAAA", "", 1, 0, 0, "\"AAAAAAAAAAAAAAAA\" is neither a fingerprint"},
    {"archive.pem/x", "", 0, 1, 0, "absolute path"},
    {FPR_A "0", "", 1, 0, 0, "neither a fingerprint"},
};

START_TEST(rules)
{
    char err[512] = "";
    cm_list ets, gw;

    list_of(&ets, cases[_i].ets);
    list_of(&gw, cases[_i].gw);
    ck_assert_int_eq(cm_archkeys_check(&ets, &gw, cases[_i].pgp, cases[_i].smime, err,
                                       sizeof(err)), cases[_i].ok ? 0 : -1);
    if (cases[_i].ok) {
        ck_assert_str_eq(err, "");
    } else {
        ck_assert_ptr_nonnull(strstr(err, cases[_i].why));
        ck_assert_ptr_nonnull(strstr(err, "fix: "));
    }
    cm_list_free(&ets);
    cm_list_free(&gw);
}
END_TEST

static void add_cases(Suite *s)
{
    CM_ADD(s, classes_counted);
    CM_ADD_LOOP(s, rules, sizeof(cases) / sizeof(cases[0]));
}

CM_TEST_MAIN("cm_archkeys", add_cases)
