/* cm_engcall: the lookup order, the RecipientDelimiter fallback, the
 * GatewayKeys exclusion and its one log line, sessions made once, NULL
 * slots failing closed, the archive keys (EncryptToSelf). Two table engines stand in for OpenPGP and S/MIME:
 * this tests the wrapper, not an engine. */
#include "cm_engcall.h"
#include "cm_log.h"
#include "cm_test.h"

#include <string.h>
#include <strings.h>
#include <unistd.h>

#define GW_FPR "0123456789ABCDEF0123456789ABCDEF01234567"
#define ARCH_NOW 1700000000     /* the time the archive keys are looked up at */

/* A key of the table engines: its address and fingerprint. */
struct cm_key {
    const char *addr, *fpr;
};

static const cm_key pgp_keys[] = {
    {"alice@example.org", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"},
    {"gateway@gw.example.net", GW_FPR},
    {"both@example.org", GW_FPR},
    {"dave@example.org", "DDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDD"},
    {"u@b\xc3\xbc" "cher.example", "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF"},  /* U-label */
    {"both@xn--caf-dma.example", "CAFECAFECAFECAFECAFECAFECAFECAFECAFECAFE"},
    {NULL, NULL},
};
static const cm_key smime_keys[] = {
    {"a@xn--caf-dma.example", "x509-cafe"},                                  /* A-label */
    {"both@xn--caf-dma.example", "x509-both-cafe"},
    {"carol@example.org", "x509-carol"},
    {"both@example.org", "x509-both"},
    {"dave@example.org", "x509-dave"},
    {"archive@example.org", "/etc/archive.pem"},
    {NULL, NULL},
};

struct cm_engine {
    const cm_key *keys;
};

struct cm_engine_session {
    const cm_key *keys;
    const cm_key *rcpt[4];      /* add_recipient's */
    size_t nrcpt;
};

static size_t sessions, lookups;
static char qid[] = "Q1";

static cm_stat t_create(cm_engine **out, char *err, size_t errlen)
{
    (void) err;
    (void) errlen;
    *out = NULL;
    return CM_OK;
}

static void t_destroy(cm_engine *e)
{
    (void) e;
}

static cm_stat session_of(const cm_key *keys, cm_engine_session **out)
{
    sessions++;
    if ((*out = calloc(1, sizeof(**out))) == NULL)
        return CM_ERR_NOMEM;
    (*out)->keys = keys;
    return CM_OK;
}

static cm_stat pgp_session_new(cm_engine *e, const cm_msgctx *ctx, cm_engine_session **out)
{
    (void) e;
    (void) ctx;
    return session_of(pgp_keys, out);
}

static cm_stat smime_session_new(cm_engine *e, const cm_msgctx *ctx, cm_engine_session **out)
{
    (void) e;
    (void) ctx;
    return session_of(smime_keys, out);
}

static void t_session_free(cm_engine_session *s)
{
    free(s);
}

/* Exactly addr; "broken@" is an engine failure. */
static cm_stat t_lookup(cm_engine_session *s, const char *addr, const cm_key **key)
{
    size_t i;

    lookups++;
    *key = NULL;
    if (strcasecmp(addr, "broken@example.org") == 0)
        return CM_ERR_KEYLOOKUP;
    for (i = 0; s->keys[i].addr != NULL; i++)
        if (strcasecmp(s->keys[i].addr, addr) == 0)
            *key = &s->keys[i];
    return CM_OK;
}

static const char *t_key_fpr(const cm_key *key)
{
    return key->fpr;
}

static const cm_engine_ops pgp_ops = {
    .name = "table-pgp",
    .key_class = CM_KEY_OPENPGP,
    .create = t_create,
    .destroy = t_destroy,
    .session_new = pgp_session_new,
    .session_free = t_session_free,
    .lookup = t_lookup,
    .key_fpr = t_key_fpr,
};

/* No key_fpr: GatewayKeys cannot name its keys, whatever they are. */
static const cm_engine_ops smime_ops = {
    .name = "table-smime",
    .key_class = CM_KEY_SMIME,
    .create = t_create,
    .destroy = t_destroy,
    .session_new = smime_session_new,
    .session_free = t_session_free,
    .lookup = t_lookup,
};

static cm_engines engines = {
    .v = {{&pgp_ops, NULL}, {&smime_ops, NULL}},
    .n = 2,
    .held = 2,
};

static cm_stat t_add_recipient(cm_engine_session *s, const cm_key *key)
{
    ck_assert_uint_lt(s->nrcpt, 4);
    s->rcpt[s->nrcpt++] = key;
    return CM_OK;
}

/* The key whose fingerprint (or file) is id: dave's have expired. */
static cm_stat t_key_by_id(cm_engine_session *s, const char *id, int64_t now, const cm_key **key,
                           cm_keyinfo *info)
{
    size_t i;

    ck_assert_int_eq(now, ARCH_NOW);
    *key = NULL;
    info->state = CM_KEY_MISSING;
    for (i = 0; s->keys[i].addr != NULL; i++)
        if (strcasecmp(s->keys[i].fpr, id) == 0) {
            *key = &s->keys[i];
            info->state = strncmp(s->keys[i].addr, "dave@", 5) == 0 ? CM_KEY_EXPIRED
                          : CM_KEY_USABLE;
        }
    return CM_OK;
}

/* The table engines with the slots the archive keys need. */
static const cm_engine_ops pgp_arch_ops = {
    .name = "table-pgp-archive",
    .key_class = CM_KEY_OPENPGP,
    .create = t_create,
    .destroy = t_destroy,
    .session_new = pgp_session_new,
    .session_free = t_session_free,
    .lookup = t_lookup,
    .key_fpr = t_key_fpr,
    .add_recipient = t_add_recipient,
    .key_by_id = t_key_by_id,
};

static const cm_engine_ops smime_arch_ops = {
    .name = "table-smime-archive",
    .key_class = CM_KEY_SMIME,
    .create = t_create,
    .destroy = t_destroy,
    .session_new = smime_session_new,
    .session_free = t_session_free,
    .lookup = t_lookup,
    .add_recipient = t_add_recipient,
    .key_by_id = t_key_by_id,
};

static cm_engines arch_engines = {
    .v = {{&pgp_arch_ops, NULL}, {&smime_arch_ops, NULL}},
    .n = 2,
    .held = 2,
};

/* A message's engine calls over the table engines, on a configuration
 * with KeyringDir keyring. */
typedef struct fix {
    cm_config *cfg;
    cm_msgctx mc;
    cm_engcall c;
    const cm_key *key;
    int which;
} fix;

static void fix_open(fix *f, const char *keyring, int no_gateway_keys)
{
    char err[256];

    memset(f, 0, sizeof(*f));
    ck_assert_ptr_nonnull(f->cfg = cm_config_new());
    ck_assert_int_eq(cm_config_set(f->cfg, "RecipientDelimiter", "+", err, sizeof(err)), 0);
    ck_assert_int_eq(cm_config_set(f->cfg, "GatewayKeys", GW_FPR, err, sizeof(err)), 0);
    ck_assert_int_eq(cm_config_set(f->cfg, "PreferSMIME", "dave@example.org, CAF\xc3\x89.example",
                                   err, sizeof(err)), 0);
    ck_assert_int_eq(cm_config_set(f->cfg, "KeyringDir", keyring, err, sizeof(err)), 0);
    f->mc.cfg = f->cfg;
    f->mc.qid = qid;
    f->mc.no_gateway_keys = no_gateway_keys;
    cm_engcall_init(&f->c, &engines, &f->mc);
    f->key = &smime_keys[0];    /* to see it set */
    f->which = 42;
}

static cm_stat fix_find(fix *f, const char *addr)
{
    return cm_engcall_find_key(&f->c, addr, &f->which, &f->key);
}

static void fix_close(fix *f)
{
    cm_engcall_done(&f->c);
    cm_config_free(f->cfg);
}

static const struct {
    const char *addr;
    int no_gateway_keys;    /* outbound to external recipients */
    int which;              /* the engine that answers, -1 none */
    const char *want;       /* the address of the key it answers with */
} cases[] = {
    {"alice@example.org", 0, 0, "alice@example.org"},
    {"ALICE@example.org", 1, 0, "alice@example.org"},
    {"alice+news@example.org", 1, 0, "alice@example.org"},     /* the fallback */
    {"alice+a+b@example.org", 0, 0, "alice@example.org"},
    {"gateway@gw.example.net", 0, 0, "gateway@gw.example.net"}, /* inbound: encrypted to it */
    {"gateway@gw.example.net", 1, -1, NULL},                    /* outbound: never */
    {"gateway+x@gw.example.net", 1, -1, NULL},                  /* nor through the fallback */
    {"gateway+x@gw.example.net", 0, 0, "gateway@gw.example.net"},
    {"both@example.org", 0, 0, "both@example.org"},             /* OpenPGP first */
    {"both@example.org", 1, 1, "both@example.org"},             /* then S/MIME is asked */
    {"carol@example.org", 1, 1, "carol@example.org"},
    {"carol+x@example.org", 0, 1, "carol@example.org"},
    {"dave@example.org", 0, 1, "dave@example.org"},             /* PreferSMIME */
    {"nobody@example.org", 0, -1, NULL},
    {"nobody+x@example.org", 1, -1, NULL},
    /* An IDN domain comes in either form (SMTPUTF8 or not), and a key's
     * user ID holds one of them: the other is asked too. */
    {"u@xn--bcher-kva.example", 0, 0, "u@b\xc3\xbc" "cher.example"},
    {"u+x@xn--bcher-kva.example", 1, 0, "u@b\xc3\xbc" "cher.example"},
    {"a@caf\xc3\xa9.example", 0, 1, "a@xn--caf-dma.example"},
    {"b@caf\xc3\xa9.example", 0, -1, NULL},
    /* ... in any Unicode case: UTS#46 folds it, so the key is found in
     * either form the engine holds */
    {"u@B\xc3\x9c" "CHER.example", 0, 0, "u@b\xc3\xbc" "cher.example"},
    {"u+x@B\xc3\x9c" "CHER.EXAMPLE", 1, 0, "u@b\xc3\xbc" "cher.example"},
    {"a@CAF\xc3\x89.example", 0, 1, "a@xn--caf-dma.example"},
    /* PreferSMIME names the domain in upper case: it holds in any form */
    {"both@caf\xc3\xa9.example", 0, 1, "both@xn--caf-dma.example"},
    {"both@xn--caf-dma.example", 0, 1, "both@xn--caf-dma.example"},
};

START_TEST(find_key_table)
{
    fix f;

    fix_open(&f, "/nonexistent/keyring", cases[_i].no_gateway_keys);
    ck_assert_int_eq(fix_find(&f, cases[_i].addr), CM_OK);
    ck_assert_msg(f.which == cases[_i].which, "%s: engine %d, want %d", cases[_i].addr, f.which,
                  cases[_i].which);
    if (cases[_i].want == NULL)
        ck_assert_ptr_null(f.key);
    else {
        ck_assert_ptr_nonnull(f.key);
        ck_assert_str_eq(f.key->addr, cases[_i].want);
        ck_assert_int_eq(cm_engcall_class(&f.c, f.which),
                         f.which == 0 ? CM_KEY_OPENPGP : CM_KEY_SMIME);
    }
    fix_close(&f);
}
END_TEST

/* KeyAliases: every member's key, all from one engine, or none. */
static const struct {
    const char *addr;
    int no_gateway_keys;
    int which;
    const char *want[2];    /* the members' keys' addresses */
} alias_cases[] = {
    {"team@example.org", 0, 0, {"alice@example.org", "dave@example.org"}},
    {"TEAM+x@example.org", 0, 0, {"alice@example.org", "dave@example.org"}},   /* its base */
    {"smt@example.org", 0, 1, {"carol@example.org", "dave@example.org"}},      /* S/MIME for all */
    {"mixed@example.org", 0, -1, {NULL, NULL}},     /* one OpenPGP, one S/MIME only */
    {"half@example.org", 0, -1, {NULL, NULL}},      /* a member without a key */
    {"gw@example.org", 0, 0, {"gateway@gw.example.net", "alice@example.org"}},
    {"gw@example.org", 1, -1, {NULL, NULL}},        /* outbound: not the gateway's key */
    {"alice@example.org", 0, 0, {"alice@example.org", NULL}},   /* not an alias */
    /* an alias named in one IDN form, the RCPT in the other */
    {"idn@xn--bcher-kva.example", 0, 0, {"alice@example.org", "dave@example.org"}},
    {"idn+x@xn--bcher-kva.example", 0, 0, {"alice@example.org", "dave@example.org"}},
    /* ... written in upper case, its member too, the RCPT in lower case */
    {"up@b\xc3\xbc" "cher.example", 0, 0, {"u@b\xc3\xbc" "cher.example", "alice@example.org"}},
    {"UP@B\xc3\x9c" "CHER.example", 0, 0, {"u@b\xc3\xbc" "cher.example", "alice@example.org"}},
    {"up@xn--bcher-kva.example", 0, 0, {"u@b\xc3\xbc" "cher.example", "alice@example.org"}},
};

START_TEST(find_keys_aliases)
{
    static const char text[] = "team@example.org alice@example.org, dave@example.org\n"
                               "smt@example.org carol@example.org dave@example.org\n"
                               "mixed@example.org alice@example.org carol@example.org\n"
                               "half@example.org alice@example.org nobody@example.org\n"
                               "gw@example.org gateway@gw.example.net alice@example.org\n"
                               "idn@b\xc3\xbc" "cher.example alice@example.org dave@example.org\n"
                               "UP@B\xc3\x9c" "CHER.example U@B\xc3\x9c" "CHER.example "
                               "alice@example.org\n";
    const cm_key *keys[CM_ALIAS_MAX_MEMBERS];
    char err[256];
    size_t n = 99, i;
    fix f;

    fix_open(&f, "/nonexistent/keyring", alias_cases[_i].no_gateway_keys);
    ck_assert_ptr_nonnull(f.cfg->aliases = cm_alias_parse("a", text, sizeof(text) - 1, err,
                                                          sizeof(err)));
    ck_assert_int_eq(cm_engcall_find_keys(&f.c, alias_cases[_i].addr, &f.which, keys, &n), CM_OK);
    ck_assert_int_eq(f.which, alias_cases[_i].which);
    for (i = 0; i < 2 && alias_cases[_i].want[i] != NULL; i++) {
        ck_assert_uint_gt(n, i);
        ck_assert_str_eq(keys[i]->addr, alias_cases[_i].want[i]);
    }
    ck_assert_uint_eq(n, i);
    fix_close(&f);
}
END_TEST

/* An engine's failure is the answer, never "no key". */
START_TEST(lookup_failure_is_kept)
{
    fix f;

    fix_open(&f, "/nonexistent/keyring", 1);
    ck_assert_int_eq(fix_find(&f, "broken@example.org"), CM_ERR_KEYLOOKUP);
    ck_assert_int_eq(f.which, -1);
    ck_assert_ptr_null(f.key);
    fix_close(&f);
}
END_TEST

/* KeyringDir none: the OpenPGP engine is not asked, nor checks signatures. */
START_TEST(no_keyring_no_openpgp)
{
    fix f;

    fix_open(&f, "none", 0);
    lookups = 0;
    ck_assert_int_eq(fix_find(&f, "alice@example.org"), CM_OK);
    ck_assert_int_eq(f.which, -1);
    ck_assert_ptr_null(f.key);
    ck_assert_uint_eq(lookups, 1);      /* S/MIME's only */
    ck_assert_int_eq(fix_find(&f, "both@example.org"), CM_OK);
    ck_assert_int_eq(f.which, 1);
    ck_assert_int_eq(cm_engcall_verifier(&f.c, CM_KEY_OPENPGP), -1);
    fix_close(&f);
}
END_TEST

/* One session per engine and message, however many lookups. */
START_TEST(sessions_made_once)
{
    cm_engine_session *s1, *s2;
    fix f;

    fix_open(&f, "/nonexistent/keyring", 0);
    sessions = 0;
    ck_assert_int_eq(fix_find(&f, "carol@example.org"), CM_OK);
    ck_assert_int_eq(fix_find(&f, "nobody@example.org"), CM_OK);
    ck_assert_uint_eq(sessions, 2);
    ck_assert_int_eq(cm_engcall_session(&f.c, 1, &s1), CM_OK);
    ck_assert_int_eq(cm_engcall_session(&f.c, 1, &s2), CM_OK);
    ck_assert_ptr_eq(s1, s2);
    ck_assert_uint_eq(sessions, 2);
    ck_assert_int_eq(cm_engcall_session(&f.c, 3, &s1), CM_ERR_INTERNAL);   /* no engine there */
    ck_assert_ptr_null(s1);
    fix_close(&f);
}
END_TEST

/* A slot the engine leaves NULL fails closed. */
START_TEST(null_slots_fail_closed)
{
    cm_sigs sigs;
    int yes = 1;
    fix f;

    fix_open(&f, "/nonexistent/keyring", 0);
    ck_assert_int_eq(cm_engcall_add_recipient(&f.c, 0, &pgp_keys[0]), CM_ERR_INTERNAL);
    ck_assert_int_eq(cm_engcall_verify_detached(&f.c, 0, NULL, "", 0, &sigs), CM_ERR_INTERNAL);
    ck_assert_int_eq(cm_engcall_decrypt_verify(&f.c, 1, NULL, NULL, &sigs), CM_ERR_INTERNAL);
    ck_assert_int_eq(cm_engcall_key_has_addr(&f.c, 1, "x", "carol@example.org", &yes),
                     CM_ERR_INTERNAL);
    ck_assert_int_eq(yes, 0);
    ck_assert_int_eq(cm_engcall_verifier(&f.c, CM_KEY_SMIME), -1);    /* no verify_detached */
    fix_close(&f);
}
END_TEST

/* What the lookup of addr logged (stderr, debug level). */
static void logged(const char *addr, int no_gateway_keys, char *out, size_t len)
{
    FILE *tmp = tmpfile();
    int saved;
    size_t n;
    fix f;

    ck_assert_ptr_nonnull(tmp);
    fix_open(&f, "/nonexistent/keyring", no_gateway_keys);
    cm_log_open("cmtest", 1);
    cm_log_set_level(LOG_DEBUG);
    ck_assert_int_eq(fflush(stderr), 0);
    ck_assert_int_ge(saved = dup(STDERR_FILENO), 0);
    ck_assert_int_ge(dup2(fileno(tmp), STDERR_FILENO), 0);
    ck_assert_int_eq(fix_find(&f, addr), CM_OK);
    ck_assert_int_eq(fflush(stderr), 0);
    ck_assert_int_ge(dup2(saved, STDERR_FILENO), 0);
    ck_assert_int_eq(close(saved), 0);
    rewind(tmp);
    n = fread(out, 1, len - 1, tmp);
    out[n] = 0;
    ck_assert_int_eq(fclose(tmp), 0);
    cm_log_close();
    fix_close(&f);
}

static size_t count(const char *hay, const char *needle)
{
    size_t n = 0;

    for (; (hay = strstr(hay, needle)) != NULL; hay += strlen(needle))
        n++;
    return n;
}

START_TEST(gateway_skip_logged_once)
{
    char out[4096];

    logged("gateway+x@gw.example.net", 1, out, sizeof(out));
    ck_assert_uint_eq(count(out, "has only the gateway key"), 1);
    ck_assert_ptr_nonnull(strstr(out, "Q1: <gateway@gw.example.net> has only the gateway key " GW_FPR));
    ck_assert_ptr_null(strstr(out, "key for <"));
    logged("gateway@gw.example.net", 0, out, sizeof(out));
    ck_assert_uint_eq(count(out, "has only the gateway key"), 0);
    ck_assert_ptr_nonnull(strstr(out, "Q1: key for <gateway@gw.example.net>: " GW_FPR));
    logged("alice+news@example.org", 1, out, sizeof(out));
    ck_assert_ptr_nonnull(strstr(out, "Q1: <alice+news@example.org> uses the key of <alice@example.org>"));
}
END_TEST

/* The archive keys of ETS added to engine e's next encryption: the
 * status, the recipients it got (as their fingerprints, ' ' between) into
 * got, the reason into why. */
static cm_stat archive(const cm_engines *eng, const char *ets, size_t e, char *got, size_t glen,
                       char *why, size_t wlen)
{
    cm_engine_session *s;
    char err[256];
    cm_stat st;
    size_t i;
    fix f;

    fix_open(&f, "/nonexistent/keyring", 0);
    f.c.engines = eng;
    ck_assert_int_eq(cm_config_set(f.cfg, "EncryptToSelf", ets, err, sizeof(err)), 0);
    st = cm_engcall_add_archive(&f.c, e, ARCH_NOW, why, wlen);
    *got = 0;
    if (f.c.sess[e] != NULL)
        for (s = f.c.sess[e], i = 0; i < s->nrcpt; i++)
            snprintf(got + strlen(got), glen - strlen(got), "%s%s", i ? " " : "", s->rcpt[i]->fpr);
    ck_assert_ptr_null(f.c.sess[1 - e]);    /* the other class is never asked */
    fix_close(&f);
    return st;
}

static const struct {
    const char *ets;
    size_t engine;
    cm_stat want;
    const char *got, *why;      /* the recipients added; the reason's words */
} archive_cases[] = {
    {"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA /etc/archive.pem", 0, CM_OK,
     "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", ""},
    {"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa /etc/archive.pem", 1, CM_OK, "/etc/archive.pem", ""},
    {"/etc/archive.pem", 0, CM_OK, "", ""},     /* no OpenPGP one: nothing (the load refuses it) */
    {"DDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDD", 0, CM_ARCHIVE_KEY, "",
     "archive key (EncryptToSelf) DDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDD has expired"},
    {"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA EEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEE", 0,
     CM_ARCHIVE_KEY, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
     "EEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEE is not there"},
    {"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA /etc/none.pem", 1, CM_ARCHIVE_KEY, "",
     "/etc/none.pem is not there"},
};

START_TEST(archive_keys)
{
    char got[256], why[256];

    ck_assert_int_eq(archive(&arch_engines, archive_cases[_i].ets, archive_cases[_i].engine, got,
                             sizeof(got), why, sizeof(why)), archive_cases[_i].want);
    ck_assert_str_eq(got, archive_cases[_i].got);
    ck_assert_ptr_nonnull(strstr(why, archive_cases[_i].why));
    if (archive_cases[_i].want == CM_OK)
        ck_assert_str_eq(why, "");
}
END_TEST

/* An engine without key_by_id fails closed, but only when there is an
 * archive key to look up. */
START_TEST(archive_null_slot)
{
    char got[64], why[64];

    ck_assert_int_eq(archive(&engines, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", 0, got, sizeof(got),
                             why, sizeof(why)), CM_ERR_INTERNAL);
    ck_assert_int_eq(archive(&engines, "", 0, got, sizeof(got), why, sizeof(why)), CM_OK);
}
END_TEST

static void add_cases(Suite *s)
{
    TCase *tc = tcase_create("find_key_table");

    tcase_add_loop_test(tc, find_key_table, 0, (int) (sizeof(cases) / sizeof(cases[0])));
    suite_add_tcase(s, tc);
    CM_ADD(s, lookup_failure_is_kept);
    CM_ADD_LOOP(s, find_keys_aliases, sizeof(alias_cases) / sizeof(alias_cases[0]));
    CM_ADD(s, no_keyring_no_openpgp);
    CM_ADD(s, sessions_made_once);
    CM_ADD(s, null_slots_fail_closed);
    CM_ADD(s, gateway_skip_logged_once);
    CM_ADD_LOOP(s, archive_keys, sizeof(archive_cases) / sizeof(archive_cases[0]));
    CM_ADD(s, archive_null_slot);
}

CM_TEST_MAIN("cm_engcall", add_cases)
