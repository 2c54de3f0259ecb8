#include "cm_test.h"
#include "cm_wkd_url.h"

#include <string.h>

/* The draft's example (3.1) and hashes gpg-wks-client --print-wkd-hash
 * printed for the others: the local part's case does not change the hash,
 * only ASCII is lower-cased (UTF-8 hashed as it is). */
START_TEST(hash_vectors)
{
    static const struct {
        const char *local, *want;
    } t[] = {
        {"Joe.Doe", "iy9q119eutrkn8s1mk4r39qejnbu3n5q"},
        {"joe.doe", "iy9q119eutrkn8s1mk4r39qejnbu3n5q"},
        {"JOE.DOE", "iy9q119eutrkn8s1mk4r39qejnbu3n5q"},
        {"a+b", "i6wwpbayndmjsnjzbzdj15jgc77g8a4f"},
        {"x!y", "ym44xk5xhi9qsg1mhddkncmo4sj1o33e"},
        {"\xc3\x84" "B", "z5h8pg4c69w3rif1qj3na16q5drky5ks"},
    };
    char h[CM_WKD_HASH_LEN + 1];
    size_t i;

    for (i = 0; i < NELEM(t); i++) {
        ck_assert_int_eq(cm_wkd_url_hash(t[i].local, strlen(t[i].local), h), 0);
        ck_assert_msg(strcmp(h, t[i].want) == 0, "row %zu: %s", i, h);
    }
}
END_TEST

/* Both methods' URLs: the domain lower-cased, the local part kept and
 * percent-encoded in l=. */
START_TEST(urls)
{
    static const struct {
        const char *addr;
        cm_wkd_method m;
        const char *want;
    } t[] = {
        {"Joe.Doe@Example.ORG", CM_WKD_ADVANCED, "https://openpgpkey.example.org/.well-known/"
         "openpgpkey/example.org/hu/iy9q119eutrkn8s1mk4r39qejnbu3n5q?l=Joe.Doe"},
        {"Joe.Doe@Example.ORG", CM_WKD_DIRECT, "https://example.org/.well-known/openpgpkey/hu/"
         "iy9q119eutrkn8s1mk4r39qejnbu3n5q?l=Joe.Doe"},
        {"a+b@example.net", CM_WKD_DIRECT, "https://example.net/.well-known/openpgpkey/hu/"
         "i6wwpbayndmjsnjzbzdj15jgc77g8a4f?l=a%2Bb"},
        {"x!y@Sub.Example.com", CM_WKD_ADVANCED, "https://openpgpkey.sub.example.com/.well-known/"
         "openpgpkey/sub.example.com/hu/ym44xk5xhi9qsg1mhddkncmo4sj1o33e?l=x%21y"},
        {"\xc3\x84" "b@example.org", CM_WKD_DIRECT, "https://example.org/.well-known/openpgpkey/"
         "hu/z5h8pg4c69w3rif1qj3na16q5drky5ks?l=%C3%84b"},
        /* The last @ splits: a quoted local part with one in it. */
        {"\"a@b\"@example.org", CM_WKD_DIRECT, NULL},
    };
    char url[CM_WKD_URL_MAX];
    size_t i;

    for (i = 0; i < NELEM(t); i++) {
        ck_assert_int_eq(cm_wkd_url(t[i].addr, t[i].m, url, sizeof(url)), 0);
        if (t[i].want != NULL)
            ck_assert_msg(strcmp(url, t[i].want) == 0, "row %zu: %s", i, url);
        else
            ck_assert_msg(strstr(url, "?l=%22a%40b%22") != NULL, "row %zu: %s", i, url);
    }
}
END_TEST

/* What is not an address, or not a domain the DNS could name, is refused,
 * so that nothing odd reaches a URL. */
START_TEST(refused)
{
    static const char *const bad[] = {
        "", "joe", "@example.org", "joe@", "joe@.example.org", "joe@example..org",
        "joe@example.org.", "jo e@example.org", "jo\te@example.org", "joe@exa_mple.org",
        "joe@exa/mple.org", "joe@example.org:443", "joe@ex\xc3\xa4mple.org", "j\x7f@example.org",
        "joe@[127.0.0.1]",
        "01234567890123456789012345678901234567890123456789012345678901234@example.org",
    };
    char url[CM_WKD_URL_MAX];
    size_t i;

    for (i = 0; i < NELEM(bad); i++) {
        ck_assert_msg(!cm_wkd_url_valid(bad[i]), "row %zu accepted", i);
        ck_assert_int_eq(cm_wkd_url(bad[i], CM_WKD_ADVANCED, url, sizeof(url)), -1);
    }
    /* 64 bytes of local part are the most. */
    ck_assert(cm_wkd_url_valid(
        "0123456789012345678901234567890123456789012345678901234567890123@example.org"));
}
END_TEST

/* A buffer too small is an error, never a cut URL. */
START_TEST(small_buffer)
{
    char url[CM_WKD_URL_MAX];
    size_t need;

    ck_assert_int_eq(cm_wkd_url("joe@example.org", CM_WKD_ADVANCED, url, sizeof(url)), 0);
    need = strlen(url) + 1;
    ck_assert_int_eq(cm_wkd_url("joe@example.org", CM_WKD_ADVANCED, url, need), 0);
    ck_assert_int_eq(cm_wkd_url("joe@example.org", CM_WKD_ADVANCED, url, need - 1), -1);
}
END_TEST

static void add(Suite *s)
{
    CM_ADD(s, hash_vectors);
    CM_ADD(s, urls);
    CM_ADD(s, refused);
    CM_ADD(s, small_buffer);
}

CM_TEST_MAIN("cm_wkd_url", add)
